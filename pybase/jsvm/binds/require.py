"""``require()`` for JS: resolve a CommonJS module path to its source."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor
import os

from pybase.core.errors import NotFoundError


def require_resolve(ex: Executor, path: str, base_dir: str) -> dict[str, Any]:
    hooks_dir = ex.runtime.hooks_dir
    if os.path.isabs(path):
        candidates = [path]
    elif path.startswith(("./", "../")):
        candidates = [os.path.join(base_dir or hooks_dir, path)]
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
