"""JS hooks: ``pb_hooks/*.pb.js`` run on embedded QuickJS, with hot reload (PocketBase's jsvm).

``JsRuntime`` loads the hooks and owns the executor pool and the route table; ``HooksWatcher``
reloads it on change. The JS surface lives in ``hooks_runtime/`` (see its README.md).
"""

from pybase.jsvm.runtime import JsRuntime
from pybase.jsvm.watch import HooksWatcher

__all__ = ["HooksWatcher", "JsRuntime"]
