"""pybase: a PocketBase-compatible backend you can also use as a Python framework.

``PyBase`` is the app (hooks as ``app.on_<hook>``, ``app.route``, ``app.cron``,
``app.migration``, ``app.start()``); ``RouteEvent`` is what route handlers receive; handlers
raise ``ApiError`` to answer an error. See README, "Use pybase as a Python framework".
"""

from pybase.apis.errors import ApiError
from pybase.app import VERSION as __version__
from pybase.app import PyBase
from pybase.config import Config
from pybase.routes import RouteEvent

__all__ = ["ApiError", "Config", "PyBase", "RouteEvent", "__version__"]
