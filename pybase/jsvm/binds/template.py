"""``$template`` for JS: ``loadFiles(...)``/``loadString(...)`` then ``render(data)`` (the engine: ``jsvm/template.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.jsvm.template import TemplateError, render_sources

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def template_render(ex: Executor, files: Any, strings: Any, data: Any) -> str:
    sources = [str(s) for s in strings or ()]
    for path in files or ():
        try:
            with open(str(path), encoding="utf-8") as fh:
                sources.append(fh.read())
        except OSError as ex_:
            raise BadRequestError(f"template: {ex_.strerror or ex_}: {path}") from ex_
    try:
        return render_sources(sources, data)
    except TemplateError as ex_:
        raise BadRequestError(f"template: {ex_}") from ex_


OPS: dict[str, Callable[..., Any]] = {
    "template.render": template_render,
}
