"""``cronAdd``/``cronRemove`` for JS (the scheduler side: ``jsvm/crons.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.tools.cron import CronError, parse_expression

if TYPE_CHECKING:
    from pybase.jsvm.pool import Executor


def cron_validate(ex: Executor, expr: Any) -> None:
    try:
        parse_expression(str(expr))
    except CronError as ex_:
        raise BadRequestError(str(ex_)) from ex_


def cron_add(ex: Executor, job_id: Any, expr: Any, source: Any) -> None:
    try:
        ex.runtime.add_cron_source(str(job_id), str(expr), str(source))
    except CronError as ex_:
        raise BadRequestError(str(ex_)) from ex_


def cron_remove(ex: Executor, job_id: Any) -> None:
    ex.runtime.remove_cron(str(job_id))


OPS: dict[str, Callable[..., Any]] = {
    "cron.validate": cron_validate,
    "cron.add": cron_add,
    "cron.remove": cron_remove,
}
