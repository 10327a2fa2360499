"""SQLite's strftime() on Postgres (issue #17): pb_strftime_inline, the SQL function Postgres
inlines, writes PocketBase's times from their own digits and gives pb_strftime_exact's answer
(the plpgsql one that reads any time) for every format letter and every class of time; it takes
its fast path exactly for the classes named here; Postgres inlines it where its arguments are a
column or a value. The answers are SQLite's: tests/conformance/test_view_strftime.py and
test_view_dates.py compare them with PocketBase. (pybase/store/dialect/pg_strftime.py)
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.pg import postgres_only

pytestmark = postgres_only

LETTERS = "YmdFHMSfTRekIlpPsJjwuVGgWU"
FORMATS = [f"%{letter}" for letter in LETTERS] + [
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%H:%M:%S", "%Y-%m-%d %H:%M:%f", "%s %f", "%Y-%m", "week %W/%U of %Y, day %j %w %u",
    "%G-W%V-%u %g", "[%e|%k|%I|%l|%p|%P]", "%J %s", "%T %R %F", "literal", "", "é %Y ü", "$1 $s {%Y}", "DD %d YYYY %Y",
    # NOTE: for pb_strftime_exact: %% (format() would read it), an unknown letter, a % at the end
    "%%", "100%% %Y", "%Y%Q", "$1 %1$s %Y", "%", "a %Y %",
]  # fmt: skip
FAST_FORMATS = [fmt for fmt in FORMATS if re.fullmatch(f"(?:[^%]|%[{LETTERS}])*", fmt)]
# the classes of time the fast path answers: YYYY-MM-DD, or that, a blank or T and HH:MM[:SS[.f
# to .fff]] and Z or nothing; a real date of the years 1 to 9999, an hour below 24
FAST = [
    "2024-02-29 13:45:30.250Z", "2024-02-29 13:45:30.250", "2024-02-29T13:45:30.250Z", "2023-12-31 00:05:09Z",
    "2024-01-01 12:00:00", "2024-07-04T09:08", "2024-07-04 09:08Z", "2024-07-04", "2021-01-03 23:59:59.9Z",
    "2020-12-31 10:20:30.45", "1969-12-31 23:59:59.999Z", "1970-01-01 00:00:00.000Z", "0001-01-01 00:00:00.000Z",
    "0999-03-01", "9999-12-31 23:59:59.999Z", "2000-02-29", "1900-02-28 23:00", "2024-04-30", "2024-09-30T23:59:59Z",
    "2024-12-31 23:59:59.999Z", "2024-01-31 11:59:59.000Z",
]  # fmt: skip
# the others: pb_strftime_exact's
SLOW = [
    None, "", "now", "NOW", "garbage", "2024-07-04Z", "2024-02-30 10:00:00.000Z", "2023-02-29", "2100-02-29", "2024-04-31 10:00",
    "2024-06-31", "2024-01-32", "2024-00-10", "2024-13-01", "2024-01-00", "0000-01-01 00:00:00.000Z", "0000-12-31",
    "2024-01-01 24:00:00.000Z", "2024-01-01 23:60:00.000Z", "2024-01-01 23:59:60.000Z", "2024-01-01 10:00:00.1234Z",
    "2024-01-01 10:00:00.9999Z", "2024-01-01 10:00:00.000z", "2024-01-01 10:00:00.000Z ", " 2024-01-01",
    "2024-01-01 10:00:00.000+01:00", "2024-01-01T10:00:00-05:30", "2024-1-01", "2024-01-01T", "2024-01-01 ", "10:00",
    "10:00:00.123Z", "2460311.5", "0", "-1", "1700000000", "x024-01-01 10:00:00.000Z", "2024-01-0a 10:00:00.000Z",
    "2024-01-01 1a:00:00.000Z", "2024-01-01 10:00:00.00aZ", "2024-01-01 10:-1:00.000Z", "2024-01-01 10:00:00.-10Z",
    "２０２４-01-01", "-2024-01-01", "+2024-01-01", "12024-01-01", "2024-01-01 10:00:00.000ZZ", "2024-01-01 10:00:00.Z",
    "2024-01-01 10:00:Z", "2024-01-01 10:0:00", "2024-01-01 10:00:0", "2024-01-01  10:00", "2024-01-01 10:00:00 Z",
]  # fmt: skip


def _corpus(count: int) -> list[str]:
    """Random times of the years 1 to 9999 in each form of FAST (a fixed seed)."""
    chance = random.Random(17)
    first = datetime(1, 1, 1)
    found = []
    for _ in range(count):
        moment = first + timedelta(days=chance.randrange(3652059), milliseconds=chance.randrange(86400000))
        date, clock, ms = moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S"), f"{moment.microsecond // 1000:03d}"
        found += [f"{date} {clock}.{ms}Z", f"{date}T{clock}.{ms}", f"{date} {clock}", f"{date}T{clock}Z", f"{date} {clock[:5]}",
                  f"{date} {clock}.{ms[:1]}Z", f"{date} {clock}.{ms[:2]}", date, f"{date}T{clock[:5]}Z"]  # fmt: skip
    return [value.zfill(len(value) + 4 - value.index("-")) for value in found]  # NOTE: years below 1000 as 4 digits


@pytest.fixture(scope="module")
def pg(pg: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
    """The database of pybase's functions (tests/store/conftest.py), with a table."""
    pg.execute("CREATE TABLE t (f text, v text, n float8)")
    return pg


def _answers(conn: psycopg.Connection[Any], function: str, values: list[str | None], formats: list[str]) -> dict[tuple[str, str | None], tuple[str | None, str | None]]:
    """(format, value) -> ``function``'s text and pb_strftime_exact's (of one statement: 'now'
    is one time); the format written into the query (a constant Postgres folds, as a view's) and
    the times a column."""
    found = {}
    for fmt in formats:
        literal = "'" + fmt.replace("'", "''").replace("%", "%%") + "'"
        rows = conn.execute(
            f"SELECT n, {function}({literal}, v), pb_strftime_exact({literal}, v) FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, n)", [values]
        ).fetchall()  # fmt: skip
        found.update({(fmt, values[n - 1]): (text, exact) for n, text, exact in rows})
    return found


def test_the_inlined_function_answers_as_the_exact_one(pg: psycopg.Connection[Any]) -> None:
    values = FAST + SLOW + _corpus(60)
    for function in ("pb_strftime_inline", "pb_strftime", "pb_view_strftime"):
        found = _answers(pg, function, values, FORMATS)
        wrong = {key: texts for key, texts in found.items() if texts[0] != texts[1]}
        assert not wrong, f"{function}: {len(wrong)} answers differ, e.g. {list(wrong.items())[:5]}"
    # NOTE: the answers are texts for the times that are times (the fast path writes them)
    assert all(found[("%Y-%m-%d %H:%M:%f", value)][0] is not None for value in FAST)


def test_a_format_given_per_row_answers_alike(pg: psycopg.Connection[Any]) -> None:
    # NOTE: a format Postgres cannot fold (a filter's bound value under a generic plan)
    rows = pg.execute(
        "SELECT f, v, pb_strftime_inline(f, v), pb_strftime_exact(f, v) FROM unnest(%s::text[]) AS f, unnest(%s::text[]) AS v",
        [FORMATS + [None], FAST + SLOW + _corpus(10)],
    ).fetchall()
    wrong = [row for row in rows if row[2] != row[3]]
    assert not wrong, wrong[:5]


def test_values_written_in_the_query_answer_alike(pg: psycopg.Connection[Any]) -> None:
    # NOTE: a time written as a value: Postgres folds the checks of its form, and of an
    # impossible date, before the query runs (no CAST of a field that is not digits)
    for value in [*FAST[:6], *SLOW[1:]]:
        literal = "'" + value.replace("'", "''") + "'"
        for fmt in ("%Y-%m-%d %H:%M:%f", "%s %J %j %w"):
            inline, exact = pg.execute(f"SELECT pb_strftime_inline('{fmt}', {literal}), pb_strftime_exact('{fmt}', {literal})").fetchone()
            assert inline == exact, (fmt, value)


def test_the_fast_path_answers_exactly_the_classes_named(pg: psycopg.Connection[Any]) -> None:
    values = FAST + SLOW + _corpus(20)
    fast = set(FAST + _corpus(20))
    with pg.transaction(force_rollback=True):
        # NOTE: pb_strftime_exact answers a mark: what the fast path does not answer shows it
        pg.execute("""CREATE OR REPLACE FUNCTION pb_strftime_exact(fmt text, value text DEFAULT 'now', VARIADIC modifiers text[] DEFAULT '{}')
            RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 'EXACT'; END $$""")
        found = _answers(pg, "pb_strftime_inline", values, FAST_FORMATS)
        slow = {key for key, (text, _) in found.items() if text == "EXACT"}
        assert slow == {(fmt, value) for fmt in FAST_FORMATS for value in values if value not in fast and value is not None}
        # NOTE: NULL (a time or a format) is NULL at once
        assert {found[(fmt, None)][0] for fmt in FAST_FORMATS} == {None}
        assert pg.execute("SELECT pb_strftime_inline(NULL, '2024-01-02')").fetchone() == (None,)
        for fmt in FORMATS:
            if fmt not in FAST_FORMATS:
                assert {text for text, _ in _answers(pg, "pb_strftime_inline", FAST[:3], [fmt]).values()} == {"EXACT"}
        # NOTE: a modifier, even one that changes nothing, is pb_strftime_exact's
        assert pg.execute("SELECT pb_strftime_inline('%Y', '2024-01-02', '+0 days')").fetchone() == ("EXACT",)


@pytest.mark.parametrize(
    ("call", "inlined"),
    [
        ("pb_strftime_inline('%Y', t.v)", True), ("pb_strftime_inline(t.f, t.v)", True),
        ("pb_view_strftime('%Y-%m-%d', t.v)", True), ("pb_view_strftime('%s', t.n)", False),
        ("pb_strftime('%Y', t.v)", False), ("pb_strftime_inline('%Y', t.v, '+1 day')", True),
        # NOTE: a costly time would be computed at each use: Postgres calls the function
        ("pb_strftime_inline('%Y', pb_text(pb_sqlite_value(t.v)))", False),
    ],
)  # fmt: skip
def test_postgres_inlines_the_function_where_its_arguments_cost_nothing(pg: psycopg.Connection[Any], call: str, inlined: bool) -> None:
    plan = "\n".join(row[0] for row in pg.execute(f"EXPLAIN VERBOSE SELECT {call} FROM t").fetchall())
    name = call.split("(", 1)[0]
    assert (f"{name}(" not in plan) is inlined, plan
