"""Compile filters against a real in-memory SQLite table and check which rows match."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from pybase.tools.filter import (
    FilterError,
    NullFallback,
    ResolvedField,
    SimpleResolver,
    compile_filter,
    like_pattern,
    parse_filter,
)

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String),
    Column("n", Float),
    Column("flag", Boolean),
    Column("created", String),
    Column("tags", String),
    Column("data", String),
    Column("lon", Float),
    Column("lat", Float),
)

SOFIA, LONDON, PARIS = (23.3219, 42.6977), (-0.1276, 51.5072), (2.3522, 48.8566)
ROWS: list[dict[str, Any]] = [
    dict(id=1, title="Hello World", n=10, flag=True, created="2024-03-10 08:00:00.000Z",
         tags='["a","b"]', data='{"a": 1, "b": {"c": "x"}, "list": [1, 2]}', lon=SOFIA[0], lat=SOFIA[1]),
    dict(id=2, title="hello", n=2, flag=False, created="2024-03-09 20:00:00.000Z",
         tags='["a"]', data='{"a": 2}', lon=SOFIA[0], lat=SOFIA[1]),
    dict(id=3, title="", n=0, flag=False, created="2024-02-29 12:00:00.000Z",
         tags="[]", data="{}", lon=LONDON[0], lat=LONDON[1]),
    dict(id=4, title=None, n=None, flag=None, created=None, tags=None, data=None, lon=None, lat=None),
    dict(id=5, title="100% sure", n=-1.5, flag=True, created="2023-12-31 23:59:59.999Z",
         tags='["b","c"]', data='{"a": null}', lon=PARIS[0], lat=PARIS[1]),
    dict(id=6, title="under_score", n=1000000, flag=False, created="2024-03-11 00:00:00.000Z",
         tags='["a","a"]', data='{"a": "1"}', lon=None, lat=None),
    dict(id=7, title="back\\slash", n=7, flag=True, created="2025-01-01 00:00:00.000Z",
         tags='["c"]', data='{"b": {"c": "y"}}', lon=None, lat=None),
    dict(id=8, title="it's \"quoted\"", n=8, flag=False, created="2024-03-10 12:34:56.789Z",
         tags='["A"]', data=None, lon=None, lat=None),
]  # fmt: skip
ALL = {row["id"] for row in ROWS}
NOW = datetime(2024, 3, 10, 12, 34, 56, 789123, tzinfo=UTC)  # a Sunday


class ItemsResolver(SimpleResolver):
    """SimpleResolver plus a multi-valued ``tags`` field and static ``@request.*`` values.

    Shows what a collection resolver provides: a LEFT JOIN for the main query (collected and
    applied in ``update_query``) and a correlated one-column subquery for "every item" checks.
    """

    def __init__(self) -> None:
        columns = {name: items.c[name] for name in ("id", "title", "n", "flag", "created")}
        columns |= {name: items.c[name] for name in ("data", "lon", "lat")}
        super().__init__(columns, json_columns=["data"])
        self.tags_joined = False
        self.tags_item = func.json_each(items.c.tags).table_valued("value").alias("__je_tags")

    def tag_items(self) -> Any:
        copy = items.alias("__mm_items")
        each = func.json_each(copy.c.tags).table_valued("value").alias("__mm_je_tags")
        return (
            select(each.c.value)
            .select_from(copy.outerjoin(each, true()))
            .where(copy.c.id == items.c.id)
            .correlate(items)
        )

    def resolve(self, identifier: str) -> ResolvedField | None:
        static = {
            "@request.query.a": ResolvedField.value("hello"),
            "@request.query.empty": ResolvedField.value(""),
            "@request.query.n": ResolvedField.value(2.0),
            "@request.query.lower": ResolvedField.value("HELLO", wrap=func.lower),
            "@request.body.x:isset": ResolvedField.boolean(True),
            "@request.missing": ResolvedField.null(),
            "title:lower": ResolvedField.column(func.lower(items.c.title)),
            "tags:length": ResolvedField.column(func.json_array_length(items.c.tags)),
            "data.a:raw": ResolvedField.column(
                func.json_extract(items.c.data, "$.a"), null_fallback=NullFallback.ENFORCED
            ),
        }
        if identifier in static:
            return static[identifier]
        if identifier in ("tags", "tags:each"):
            self.tags_joined = True
            return ResolvedField.column(self.tags_item.c.value, multi_match=self.tag_items())
        if identifier == "@request.broken":
            raise FilterError("not allowed here")
        return super().resolve(identifier)

    def update_query(self, stmt: Any) -> Any:
        if not self.tags_joined:
            return stmt
        return stmt.select_from(items.outerjoin(self.tags_item, true())).distinct()


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(items.insert(), ROWS)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def matching(conn: Connection, text: str) -> set[int]:
    resolver = ItemsResolver()
    where = compile_filter(text, resolver, clock=lambda: NOW)
    stmt = resolver.update_query(select(items.c.id).where(where))
    return {row[0] for row in conn.execute(stmt)}


CASES: list[tuple[str, set[int]]] = [
    # = and != with PocketBase's empty-vs-NULL normalisation
    ("title = 'hello'", {2}),
    ("title = 'Hello World'", {1}),
    ("title = ''", {3, 4}),
    ("title = null", {3, 4}),
    ("null = title", {3, 4}),
    ("'' = title", {3, 4}),
    ("title != ''", {1, 2, 5, 6, 7, 8}),
    ("title != null", {1, 2, 5, 6, 7, 8}),
    ("title != 'hello'", ALL - {2}),
    ("n = 0", {3}),
    ("n != 0", ALL - {3}),
    ("n = null", {4}),
    ("n != null", ALL - {4}),
    ("n = title", {4}),
    ("n != title", ALL - {4}),
    ("title = title", ALL),
    ("flag = true", {1, 5, 7}),
    ("flag = false", {2, 3, 6, 8}),
    ("flag != true", {2, 3, 4, 6, 8}),
    ("flag = TRUE", {1, 5, 7}),
    ("'' = null", ALL),
    ("null != ''", set()),
    ("null = null", ALL),
    ("'a' = 'a'", ALL),
    ("'a' != 'b'", ALL),
    ("1 = 2", set()),
    ("true = true", ALL),
    ("true != false", ALL),
    ('title = "it\'s \\"quoted\\""', {8}),
    ("title = 'it\\'s \"quoted\"'", {8}),
    ("title = 'back\\\\slash'", {7}),
    ("title ?= 'hello'", {2}),
    ("title ?!= 'hello'", ALL - {2}),
    # comparisons
    ("n > 5", {1, 6, 7, 8}),
    ("n >= 7", {1, 6, 7, 8}),
    ("n < 0", {5}),
    ("n <= 0", {3, 5}),
    ("n > -2", ALL - {4}),
    ("n >= 1000000", {6}),
    ("n < null", set()),
    ("5 < n", {1, 6, 7, 8}),
    ("n ?> 5", {1, 6, 7, 8}),
    ("n ?<= 2", {2, 3, 5}),
    ("n ?>= 8 && n ?< 11", {1, 8}),
    ("created > '2024-03-10'", {1, 6, 7, 8}),
    # LIKE: contains, case-insensitive for ASCII, PocketBase's escaping
    ("title ~ 'hello'", {1, 2}),
    ("title ~ 'WORLD'", {1}),
    ("title !~ 'hello'", {3, 5, 6, 7, 8}),
    ("title ~ '_'", {6}),
    ("title ~ 'r_s'", {6}),
    ("title ~ 'h%d'", {1}),
    ("title ~ '%'", ALL - {4}),
    ("title ~ ''", ALL - {4}),
    ("title ~ '100\\%'", {5}),
    ("title ~ '\\\\'", {7}),
    ("title ~ 'back\\\\s'", {7}),
    ("title ~ '\"'", {8}),
    ("title ~ null", set()),
    ("title !~ null", set()),
    ("'Hello World, hi' ~ title", {1, 2, 3}),
    ("'xx' !~ title", {1, 2, 5, 6, 7, 8}),
    ("n ~ 1", {1, 5, 6}),
    ("n ~ 1.5", {5}),
    ("title ?~ 'world'", {1}),
    ("title ?!~ 'o'", {3, 5, 7}),
    ("title:lower ~ 'hello w'", {1}),
    ("title:lower = 'hello world'", {1}),
    ("title ~ @request.query.a", {1, 2}),
    # static request values, NULL keyword, resolver errors falling back to keywords
    ("@request.query.a = 'hello'", ALL),
    ("title = @request.query.a", {2}),
    ("title = @request.query.empty", {3, 4}),
    ("title = @request.missing", {3, 4}),
    ("@request.missing = ''", ALL),
    ("@request.missing != null", set()),
    ("@request.body.x:isset = true", ALL),
    ("@request.body.x:isset = false", set()),
    ("n = @request.query.n", {2}),
    ("title = @request.query.lower", {2}),
    ("title ~ @request.query.lower", {1, 2}),
    # precedence, groups and comments
    ("n = 2 || n = 7 && title = 'x'", {2}),
    ("(n = 2 || n = 7) && title ~ 'slash'", {7}),
    ("n > 1 && n < 10 || n = 0", {2, 3, 7, 8}),
    ("n > 1 && (n < 10 || n = 0)", {2, 7, 8}),
    ("((n = 2))", {2}),
    ("n = 2 // the second\n|| n = 7 // and the seventh", {2, 7}),
    ("(n = 1 || (n = 2 || (n = 7 && flag = true))) && id > 0", {2, 7}),
    # datetime macros against the fixed clock
    ("created = @now", {8}),
    ("created > @now", {6, 7}),
    ("created >= @todayStart && created <= @todayEnd", {1, 8}),
    ("created < @todayStart && created >= @yesterday", {2}),
    ("created >= @tomorrow", {7}),
    ("created >= @monthStart && created <= @monthEnd", {1, 2, 6, 8}),
    ("created >= @yearStart && created <= @yearEnd", {1, 2, 3, 6, 8}),
    ("created < @yearStart", {5}),
    ("n = @day", {1}),
    ("n = @weekday", {3}),
    ("@month = 3 && @year = 2024 && @hour = 12 && @minute = 34 && @second = 56", ALL),
    # functions
    (f"geoDistance(lon, lat, {SOFIA[0]}, {SOFIA[1]}) < 1", {1, 2}),
    (f"geoDistance(lon, lat, {SOFIA[0]}, {SOFIA[1]}) > 1000", {3, 5}),
    (f"geoDistance({SOFIA[0]}, {SOFIA[1]}, lon, lat) > 2000", {3}),
    (f"geoDistance(lon, lat, {PARIS[0]}, {PARIS[1]}) ?< 1800", {1, 2, 3, 5}),
    ("geoDistance(lon, lat, null, 0) > 0", set()),
    ("strftime('%Y', created) = '2024'", {1, 2, 3, 6, 8}),
    ("strftime('%Y-%m', created, '+1 month') = '2024-04'", {1, 2, 6, 8}),
    ("strftime('%Y', created) = ''", {4}),
    ("strftime('%Y', title) = null", ALL),
    ("strftime('%d', @todayStart) = '10'", ALL),
    ("strftime('%H', created) = strftime('%H', @now)", {3, 8}),
    ("strftime('%m', created, 'start of year', '+1 day') = '01'", ALL - {4}),
    # JSON paths (null fallback disabled: plain IS / IS NOT)
    ("data.a = 1", {1}),
    ("data.a = '1'", {6}),
    ("data.a != 1", ALL - {1}),
    ("data.a = null", {3, 4, 5, 7, 8}),
    ("data.b.c = 'x'", {1}),
    ("data.list.1 = 2", {1}),
    ("data.a:raw = ''", {3, 4, 5, 7, 8}),
    # multi-valued tags: plain operators = every item, ? operators = any item
    ("tags = 'a'", {2, 6}),
    ("'a' = tags", {2, 6}),
    ("tags ?= 'a'", {1, 2, 6}),
    ("tags != 'a'", {3, 4, 5, 7, 8}),
    ("tags ?!= 'a'", {1, 3, 4, 5, 7, 8}),
    ("tags ~ 'a'", {2, 6, 8}),
    ("tags ?~ 'b'", {1, 5}),
    ("tags !~ 'a'", {5, 7}),
    ("tags:each != 'z'", ALL),
    ("tags > 'a'", {5, 7}),
    ("tags ?> 'b'", {5, 7}),
    ("tags = ''", {3, 4}),
    ("tags = tags", {2, 3, 4, 6, 7, 8}),
    ("tags:length = 2", {1, 5, 6}),
    ("tags:length = 0", {3}),
    ("tags ?= 'a' && tags:length > 1", {1, 6}),
    ("tags = 'a' || tags = 'c'", {2, 6, 7}),
    ("tags ?= tags", ALL),
    ("'a' ~ tags", {2, 6, 8}),
    ("strftime('%Y', tags) = ''", ALL),
    ("strftime('%Y', tags) != ''", set()),
    ("strftime('%Y', tags) ?= null", ALL),
]


def test_has_many_cases() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[case[0] for case in CASES])
def test_filter_matches(conn: Connection, text: str, expected: set[int]) -> None:
    assert matching(conn, text) == expected


ERRORS = [
    ("title = 1 && nope > 1", "invalid left operand \"nope\" - unknown field", 13),
    ("title = nope", "invalid right operand \"nope\"", 8),
    ("@request.broken = 1", "invalid left operand \"@request.broken\" - not allowed here", 0),
    ("@unknownMacro = 1", "invalid left operand", 0),
    ("data = 1 && data. = 1", "invalid identifier", 12),
    ("data..a = 1", "unknown field", 0),
    ("unknown(1) = 1", "unknown function \"unknown\"", 0),
    ("geoDistance(lon, lat, 1) < 1", "expected 4 arguments, got 3", 0),
    ("geoDistance(lon, lat, 'a', 2) < 1", "argument 2 must be an identifier or number", 22),
    ("geoDistance(lon, lat, 1, nope) < 1", "invalid geoDistance argument operand \"nope\"", 25),
    ("strftime() = 1", "at least 1 argument", 0),
    ("strftime(1) = 1", "first argument must be a format string", 0),
    ("strftime('%Y', strftime('%Y', created)) = 1", "invalid time-value argument", 15),
    ("strftime('%Y', created, 1) = 1", "modifiers must be strings", 24),
    ("strftime('%Y', created, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i') = 1", "too many", 0),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS, ids=repr)
def test_compile_errors(text: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text, ItemsResolver(), clock=lambda: NOW)
    assert message in info.value.message
    assert info.value.position == position


# PocketBase's TestLikeParamsWrapping (the values after its placeholder round trip).
LIKE_PATTERNS = [
    ("abc", "%abc%"),
    ("ab%c", "ab%c"),
    ("ab\\%c", "%ab\\%c%"),
    ("%ab\\%c", "%ab\\%c"),
    ("ab\\\\%c", "ab\\\\%c"),
    ("ab\\\\\\%c", "%ab\\\\\\%c%"),
    ("ab_c", "%ab\\_c%"),
    ("ab\\_c", "%ab\\_c%"),
    ("%ab_c", "%ab_c"),
    ("ab\\c", "%ab\\\\c%"),
    ("_ab\\c_", "%\\_ab\\\\c\\_%"),
    ("ab\\c%", "ab\\c%"),
    ("a\nb\\", "%a\nb\\\\%"),
    (12.0, "%12%"),
    (-0.5, "%-0.5%"),
    (1e21, "%1000000000000000000000%"),
    (True, "%true%"),
]


@pytest.mark.parametrize(("value", "pattern"), LIKE_PATTERNS, ids=repr)
def test_like_pattern(value: object, pattern: str) -> None:
    assert like_pattern(value) == pattern


def go_quote(value: str) -> str:
    """Go's strconv.Quote for the characters used here (what PocketBase's {:param} emits)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@pytest.mark.parametrize(("value", "pattern"), LIKE_PATTERNS[:13], ids=repr)
def test_like_params_round_trip(value: str, pattern: str) -> None:
    where = compile_filter(f"title ~ {go_quote(value)}", ItemsResolver())
    assert list(where.compile().params.values()) == [pattern]


def test_like_wraps_only_the_bound_value() -> None:
    compiled = compile_filter("title ~ @request.query.lower", ItemsResolver()).compile(
        dialect=sqlite.dialect()
    )
    assert str(compiled) == "items.title LIKE lower(?) ESCAPE '\\'"
    assert list(compiled.params.values()) == ["%HELLO%"]


def test_only_bound_parameters_reach_the_sql() -> None:
    evil = "x'; DROP TABLE items; --"
    text = f'title = "{evil}" || title ~ "{evil}" || data.a = "{evil}" || n > 1000'
    compiled = compile_filter(text, ItemsResolver()).compile(dialect=sqlite.dialect())
    sql = str(compiled)
    assert "DROP" not in sql
    assert "'" not in sql.replace("ESCAPE '\\'", "")
    assert evil in compiled.params.values()


def test_sql_shapes_follow_pocketbase() -> None:
    def sql(text: str) -> str:
        compiled = compile_filter(text, ItemsResolver(), clock=lambda: NOW)
        return str(compiled.compile(dialect=sqlite.dialect()))

    assert sql("title = ''") == "items.title = ? OR items.title IS NULL"
    assert sql("'' = title") == "? = items.title OR items.title IS NULL"
    assert sql("title != ''") == "items.title IS NOT ? AND items.title IS NOT NULL"
    assert sql("title = 'a'") == "items.title = ?"
    assert sql("title != 'a'") == "items.title IS NOT ?"
    assert sql("title = n") == "coalesce(items.title, ?) = coalesce(items.n, ?)"
    assert sql("data.a = n") == "json_extract(items.data, ?) IS items.n"
    assert sql("title ~ n") == "items.title LIKE (? || items.n || ?) ESCAPE '\\'"
    assert sql("strftime('%Y', created) = '2024'") == "strftime(?, items.created) = ?"
    assert sql("strftime('%Y', created) = title").startswith("coalesce(strftime(")
    assert "NOT (EXISTS (SELECT" in sql("tags = 'a'")
    assert "EXISTS" not in sql("tags ?= 'a'")
    postgres = compile_filter("title != 'a' && data.a = 1", ItemsResolver()).compile(
        dialect=postgresql.dialect()
    )
    # NOTE: on Postgres a JSON value meets a number as SQLite compares them (pb_cmp; the JSON
    # value, costly, computed once in plpgsql: pb_same_once)
    assert "IS DISTINCT FROM" in str(postgres) and "pb_same_once(pb_json_value(" in str(postgres)


def test_compile_accepts_a_parsed_ast_and_is_deterministic(conn: Connection) -> None:
    node = parse_filter("n > 1 && title ~ 'o'")
    resolver = ItemsResolver()
    first = compile_filter(node, resolver)
    second = compile_filter(node, resolver)
    assert str(first.compile()) == str(second.compile())
    assert {row[0] for row in conn.execute(select(items.c.id).where(first))} == {1, 2, 6, 8}


def test_macros_use_the_clock_once_and_in_utc() -> None:
    calls: list[int] = []
    plus_two = timezone(timedelta(hours=2))

    def clock() -> datetime:
        calls.append(1)
        return datetime(2024, 3, 10, 1, 30, tzinfo=plus_two)  # 2024-03-09 23:30 UTC

    compiled = compile_filter(
        "created > @now && created < @todayEnd && n = @day && n != @weekday && created < @monthEnd",
        ItemsResolver(),
        clock=clock,
    ).compile()
    assert calls == [1]
    assert list(compiled.params.values()) == [
        "2024-03-09 23:30:00.000Z",
        "2024-03-09 23:59:59.999Z",
        9,
        6,
        "2024-03-31 23:59:59.999Z",
    ]


@pytest.mark.parametrize(
    ("moment", "month_end", "year_end"),
    [
        (datetime(2024, 2, 10), "2024-02-29 23:59:59.999Z", "2024-12-31 23:59:59.999Z"),
        (datetime(2023, 12, 31, 23, 59), "2023-12-31 23:59:59.999Z", "2023-12-31 23:59:59.999Z"),
    ],
)
def test_month_and_year_end(moment: datetime, month_end: str, year_end: str) -> None:
    compiled = compile_filter(
        "created < @monthEnd && created < @yearEnd && created > @yearStart",
        ItemsResolver(),
        clock=lambda: moment,
    ).compile()
    assert list(compiled.params.values()) == [
        month_end,
        year_end,
        f"{moment.year}-01-01 00:00:00.000Z",
    ]


IDENTIFIERS = ["title", "n", "flag", "created", "tags", "tags:length", "data.a", "data.b.c", "lon"]
IDENTIFIERS += ["@now", "@day", "null", "true", "@request.query.a", "@request.missing", "nope"]
FRAGMENTS = IDENTIFIERS + ["=", "!=", "?=", "~", "?!~", ">", "<=", "&&", "||", "(", ")", "'a'"]
FRAGMENTS += [
    "'%_\\\\'",
    '""',
    "1",
    "-2.5",
    "geoDistance(lon, lat, 1, 2)",
    "strftime('%Y', created)",
]
FRAGMENTS += ["strftime('%Y', tags, 'utc')", "// c\n", "'", "f(", ","]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=16).map(" ".join))
def test_random_filters_compile_and_run_or_raise_filter_error(conn: Connection, text: str) -> None:
    try:
        resolver = ItemsResolver()
        where = compile_filter(text, resolver, clock=lambda: NOW)
    except FilterError:
        return
    conn.execute(resolver.update_query(select(items.c.id).where(where))).fetchall()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_only_raises_filter_error(text: str) -> None:
    try:
        compile_filter(text, ItemsResolver(), clock=lambda: NOW)
    except FilterError:
        pass
