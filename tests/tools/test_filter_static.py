"""evaluate_static answers as SQLite does, for conditions over bound values only."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import and_, create_engine, false, func, literal, null, or_, select, true
from sqlalchemy.sql import operators

from pybase.tools.filter import bind_value
from pybase.tools.filter.compiler import _binary
from pybase.tools.filter.static import NotStatic, evaluate_static, is_static

VALUES = [None, "", "a", "B", "é", "10", "9", 0, 1, 10, -1, 1.5, 10.0, True, False, float("nan")]
OPERATORS = [
    operators.eq, operators.ne, operators.is_, operators.is_not, operators.is_distinct_from,
    operators.is_not_distinct_from, operators.gt, operators.ge, operators.lt, operators.le,
]


@pytest.fixture(scope="module")
def conn():
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        yield connection


def sqlite_answer(conn, condition) -> bool:
    return conn.execute(select(literal(1)).where(condition)).first() is not None


def operand(value):
    return null() if value is None else bind_value(value)


@pytest.mark.parametrize("op", OPERATORS, ids=lambda op: op.__name__)
def test_comparisons_match_sqlite(conn, op) -> None:
    for left, right in itertools.product(VALUES, repeat=2):
        condition = _binary(operand(left), op, operand(right))
        assert is_static(condition)
        assert evaluate_static(condition) == sqlite_answer(conn, condition), (left, op.__name__, right)


def test_logic_matches_sqlite(conn) -> None:
    parts = [
        true(), false(), _binary(null(), operators.eq, bind_value("a")),
        _binary(bind_value("a"), operators.eq, bind_value("a")),
    ]
    for a, b in itertools.product(parts, repeat=2):
        for condition in (and_(a, b), or_(a, b), and_(or_(a, b), b), or_(and_(a, b), a)):
            assert evaluate_static(condition) == sqlite_answer(conn, condition), str(condition)


def test_columns_and_functions_are_not_static() -> None:
    from sqlalchemy import column, table

    t = table("t", column("a"))
    assert not is_static(t.c.a == "x")
    with pytest.raises(NotStatic):
        evaluate_static(_binary(func.lower(bind_value("A")), operators.eq, bind_value("a")))
    with pytest.raises(NotStatic):
        evaluate_static(_binary(bind_value("abc"), operators.like_op, bind_value("%b%")))
