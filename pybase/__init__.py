"""pybase: a PocketBase-compatible backend you can also use as a Python framework."""

from pybase.app import VERSION as __version__
from pybase.app import PyBase
from pybase.apis.errors import ApiError
from pybase.config import Config

__all__ = ["ApiError", "Config", "PyBase", "__version__"]
