"""``require()`` for JS: resolve a CommonJS module path to its source."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import NotFoundError

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def require_resolve(ex: Executor, path: str, base_dir: str) -> dict[str, Any]:
    hooks_dir = ex.runtime.hooks_dir
    if os.path.isabs(path):
        candidates = [path]
    elif path.startswith(("./", "../")):
        # NOTE: as PocketBase, a relative path at the top of a hooks file is relative to the
        # working directory; pybase also looks in pb_hooks. Inside a module: to that module.
        candidates = [os.path.join(base_dir, path)] if base_dir else [os.path.join(os.getcwd(), path), os.path.join(hooks_dir, path)]
    else:
        candidates = [os.path.join(hooks_dir, path), os.path.join(hooks_dir, "node_modules", path)]
    for candidate in candidates:
        for option in (candidate, candidate + ".js", candidate + ".json", os.path.join(candidate, "index.js")):
            if os.path.isfile(option):
                real = os.path.realpath(option)
                with open(real, encoding="utf-8") as fh:
                    source = fh.read()
                return {"path": real, "dir": os.path.dirname(real), "src": source, "json": real.endswith(".json")}
    raise NotFoundError(f"Cannot find module '{path}'.")


OPS: dict[str, Callable[..., Any]] = {
    "require.resolve": require_resolve,
}
