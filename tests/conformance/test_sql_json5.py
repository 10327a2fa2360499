"""SQLite's JSON reader in a view query answers as in PocketBase on both databases: JSON5 text
(comments, trailing commas, single quotes, unquoted keys, hex numbers, Infinity/NaN, more
whitespace and escapes) read by json(), ->, ->>, json_extract(), json_type(), json_each();
json_error_position() of valid and malformed texts; json_each()/json_tree()'s value and atom
compared, sorted and aggregated as SQLite's values of their class; keys needing quotes in
fullkey/path; json_group_array(DISTINCT x) and group_concat(DISTINCT x) (each value once, as
SQLite's DISTINCT tells them, where it first comes). Each case is a view over the source
collection of tests/conformance/test_sql_functions.py, created on both servers, whose fields
and records are compared. On Postgres: pybase/store/sqlite_json5_sql.py,
view_json_each.py, sqlite_json1_sql.py.

A case differing on purpose is named in tests/conformance/known.py as
``sql function [<backend>] <case>``.
"""

from __future__ import annotations

import itertools
import re

import pytest

from tests.conformance.harness import (
    Answer,
    Pair,
    Request,
    compare_together,
    difference,
    rounded,
    view_columns,
    view_fields,
)
from tests.conformance.known import explain
from tests.conformance.test_sql_functions import SOURCE, functions_pair  # noqa: F401 - a fixture

pytestmark = pytest.mark.both_backends


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# JSON5 documents SQLite reads (json_error_position 0) and texts it refuses, as written
VALID = [
    ("unquoted keys", "{a: 1, $b_2: 'x', \u00e9t\u00e9: 3}"),
    ("trailing commas", "[1, 2, {\"a\": [3,],},]"),
    ("comments", "/* c */ [1, // line\n 2 /* in */]"),
    ("single quotes", "{'k': 'say \"q\"', \"l\": 'a'}"),
    ("hex", "[0x1F, -0XfF, +0x10, 0xFFFFFFFFFFFF]"),
    ("numbers", "[.5, 5., -.5e2, +1, +1.5, 1.e3]"),
    ("infinity nan", "[Infinity, -Infinity, +inf, NaN, -nan, QNaN]"),
    ("escapes", "'\\x41\\v\\0\\\nz'"),
    ("whitespace", "\u00a0\ufeff[1,\u2028\u3000 2]\x0c"),
    ("control in string", "'a\tb'"),
    ("unicode key escape", "{\\u0061b: 1}"),
    ("plain", "{\"a\": [1, 2.5, true, null], \"b\": \"x\"}"),
]
# NOTE: PocketBase cannot list a JSON number past a double (json() of a hex integer past 64 bits)
OVERFLOW = [("hex past 64 bits", "[0xFFFFFFFFFFFFFFFFF, -0x10000000000000000]")]
MALFORMED = [
    ("empty", ""), ("blanks", "   "), ("open array", "[1,  "), ("no colon", "{\"a\" 1}"), ("number key", "{1: 2}"),
    ("true key", "{true: 1}"), ("missing comma", "[1 2]"), ("leading zero", "[01]"), ("double dot", "[1.2.3]"),
    ("bare e", "[1e]"), ("two commas", "[1,,2]"), ("bad escape", "\"\\q\""), ("unclosed", "\"abc"), ("trailing", "{a:1} x"),
    ("trailing after comma", "[1,] x"), ("hex empty", "-0x"), ("unclosed comment", "[1] /* c"), ("truex", "[truex]"),
    ("extra brace", "{\"a\":1}}"), ("space key", "{a b:1}"), ("multibyte", "[\"\u00e9\", \u00e9]"), ("digit after \\0", "'\\01'"),
]  # fmt: skip
# (label, expression): one row per record, asked together (harness.view_columns)
SCALAR_CASES = [
    *((f"json_error_position {label}", f"json_error_position({_literal(doc)})") for label, doc in VALID + OVERFLOW + MALFORMED),
    *((f"json {label}", f"json({_literal(doc)})") for label, doc in VALID),
    *((f"json_valid {label}", f"json_valid({_literal(doc)})") for label, doc in VALID[:3]),
    *((f"json_error_position of {aname}", f"json_error_position({arg})") for aname, arg in
      [("number", "n"), ("bool", "b"), ("null", "NULL"), ("json array", "json_array(title, n)")]),
    *((f"{fname} json5", f.replace("X", _literal("{a: [0x10, 'x', .5], 'b c': {d: NaN}, /* c */ e: +2,}"))) for fname, f in [
        ("json_extract", "json_extract(X, '$.a[0]')"), ("json_extract text", "json_extract(X, '$.a[1]')"),
        ("arrow", "(X -> '$.a')"), ("arrow value", "(X ->> '$.a[2]')"), ("arrow label", "(X -> 'e')"),
        ("json_type", "json_type(X, '$.e')"), ("json_array_length", "json_array_length(X, '$.a')"),
        ("json_set", "json_set(X, '$.f', 1)"), ("json_extract null", "json_extract(X, '$.\"b c\".d')"),
        ("json_extract compared", "(json_extract(X, '$.a[0]') = 16)"), ("json_pretty", "json_pretty(X)"),
    ]),
    # a hexadecimal integer past 64 bits is SQLite's 'integer' (JSON5's INT5; json() writes 9.0e999),
    # as a decimal one past them is
    *((f"json_type {label}", expression) for label, expression in [
        ("hex past 64 bits", "json_type('[0x10000000000000000]', '$[0]')"), ("negative hex past 64 bits", "json_type('-0x10000000000000000')"),
        ("written 9.0e999", "json_type('[9.0e999]', '$[0]')"), ("decimal past 64 bits", "json_type('18446744073709551616')"),
        ("json_tree past 64 bits", "(SELECT group_concat(type) FROM json_tree('[18446744073709551616, 1e999, 0x10000000000000000, 1]'))"),
    ]),
    # SQLite's paths: a quoted key, [#-n]
    *((f"path {label}", expression) for label, expression in [
        ("quoted key", "json_extract('{\"a.b\":1,\"a\":{\"b\":2}}', '$.\"a.b\"')"), ("dotted", "json_extract('{\"a.b\":1,\"a\":{\"b\":2}}', '$.a.b')"),
        ("arrow label with a blank", "('{\"b c\":[1]}' -> 'b c')"), ("arrow from the end", "('[1,2,3]' -> '$[#-1]')"),
        ("value from the end", "('[1,2,3]' ->> '$[#-2]')"),
        ("json field from the end", "(meta -> '$[#-1]')"), ("json field quoted key", "(meta ->> '$.\"a\"')"),
        ("json field quoted value", "json_extract(meta, '$.\"z\"[#-1]')"), ("text field quoted key", "(title ->> '$.\"k\"[#-1]')"),
        ("quoted key with an escape", "json_extract('{\"q\\\"\":1}', '$.\"q\\\"\"')"),
        ("quoted key with a unicode escape", "('{\"ab\":2}' ->> '$.\"a\\u0062\"')"),
    ]),
]  # fmt: skip

# JSON text with a name twice in an object (after its escapes; JSON5's quotes): SQLite reads the
# first, each function (value classes x functions, (label, doc, path, the path quoted))
REPEATED = [
    ("names", '{"a":1,"b":2,"a":3}', "$.a", '$."a"'), ("nested names", '{"b":{"x":1,"x":[2]},"b":{"x":3}}', "$.b.x", '$."b"."x"'),
    ("names in an array", '[{"a":"s","a":1}]', "$[0].a", '$[#-1]."a"'), ("escaped names", '{"a":1,"\\u0061":2}', "$.a", '$."a"'),
    ("json5 names", "{a: 1, 'a': 2, \"a\": 3}", "$.a", '$."a"'), ("name as a value", '{"k":"a","a":5,"a":6}', "$.a", '$."a"'),
]  # fmt: skip
_ON_REPEATED = [
    ("json_extract", "json_extract(X, P)"), ("arrow", "(X -> P)"), ("arrow value", "(X ->> P)"), ("json_type", "json_type(X, P)"),
    ("compared", "(json_extract(X, P) = 1)"), ("typeof", "typeof(X ->> P)"), ("quoted path", "json_extract(X, Q)"),
    ("quoted path arrow", "(X -> Q)"), ("json_array_length", "json_array_length(X, P)"),
    ("json_each", "(SELECT group_concat(key || '=' || value, ';') FROM json_each(X))"),
    ("json_tree", "(SELECT group_concat(fullkey || '=' || type || '=' || COALESCE(atom, ''), ';') FROM json_tree(X))"),
    ("json_each where", "(SELECT group_concat(fullkey, ';') FROM json_each(X, '$') WHERE value = 1 OR atom = 's')"),
]  # fmt: skip
SCALAR_CASES += [
    (f"repeated {label} {fname}", f.replace("X", _literal(doc)).replace("P", _literal(path)).replace("Q", _literal(quoted)))
    for label, doc, path, quoted in REPEATED for fname, f in _ON_REPEATED
]  # fmt: skip

_ROWS = f"SELECT id, {{}} AS v FROM {SOURCE}"
_GROUPED = f"SELECT (CASE WHEN n > 1 THEN 'big' ELSE 'small' END) AS id, {{}} AS v FROM {SOURCE} GROUP BY 1"
# json_each()/json_tree(): a row per member, each column
_TABLE = f"SELECT ({SOURCE}.id || '-' || COALESCE(j.fullkey, '')) AS id, j.{{column}} AS v FROM {SOURCE}, {{fn}}({{doc}}) AS j"
_JSON5_DOC = _literal("{a: 1, 'b': [0x10, .5, +2,], \"c\": 'x\"y', // note\n d: NaN, \"f.g\": {h: null}}")
_KEYS_DOC = _literal('{"a.b": {"c\\"d": [1]}, "e f": 2, "_x": 3, "": 4, "x1": 5, "[y]": 6, "t\\tz": 7}')
# keys SQLite spells as written in fullkey (a single-quoted key's " bare, escapes kept) and counts
# as written in its ids (with JSON5's numbers, strings and NaN; NOTE: no Infinity: PocketBase
# cannot list an array or object holding one, json_each()'s value)
_WRITTEN_DOC = _literal("{'q\"': {\"x'y\": 1, \"\\u0061b\": [+2, {\"t\\tz\": +.5e1}]}, \\u0063: 'v\"w', 'k': [0x1F, .5, NaN, 5.],}")
_DOCS = [("json5", _JSON5_DOC), ("escaped keys", _KEYS_DOC), ("keys as written", _WRITTEN_DOC)]
CASES = [(f"{fn} {column} of {dname}", _TABLE.format(column=column, fn=fn, doc=doc))
         for fn, column, (dname, doc) in itertools.product(("json_each", "json_tree"), ("key", "value", "type", "atom", "fullkey", "path"), _DOCS)]  # fmt: skip
CASES += [(f"json_tree {column} of {dname}", _TABLE.format(column=column, fn="json_tree", doc=doc)) for column in ("id", "parent") for dname, doc in _DOCS]
CASES += [("json_tree at escaped key", _TABLE.format(column="value", fn="json_tree", doc=f"{_KEYS_DOC}, '$.\"a.b\"'"))]
# an infinity (JSON's 1e999) a member: SQLite's REAL, which PocketBase shows "+Inf"
CASES += [(f"json_each {column} of infinities", _TABLE.format(column=column, fn="json_each", doc="'[1e999, -1e999, 2]'")) for column in ("value", "atom")]
# over a json field (Postgres: jsonb, read as the text SQLite stores: compact, keys sorted)
CASES += [(f"{fn} {column} of a json field", _TABLE.format(column=column, fn=fn, doc="meta"))
          for fn, column in itertools.product(("json_each", "json_tree"), ("key", "value", "type", "id", "parent", "fullkey"))]  # fmt: skip
# a root's key and path as written (an index's digits, 0 for [#-n]; a quoted key's escapes kept)
CASES += [(f"{fn} {column} at {rname}", _TABLE.format(column=column, fn=fn, doc=doc)) for fn, column, (rname, doc) in itertools.product(
    ("json_each", "json_tree"), ("key", "path", "id"),
    [("a quoted key with an escape", f"{_KEYS_DOC}, '$.\"a.b\".\"c\\\"d\"'"), ("the last", "'[1,[2,3]]', '$[#-1]'")])]  # fmt: skip

# json_each()'s value compared, sorted, aggregated: values of every class (1 and 1.0 alike)
_MIXED = _literal('[1, "1", 1.0, 2, "a", null, true, 2.5, "10", 9, {"o": 1}, [2], "B", -3]')
_MEMBERS = f"SELECT ({SOURCE}.id || '-' || j.key) AS id, EXPR AS v FROM {SOURCE}, json_each({_MIXED}) AS j"
_ONE = f"SELECT id, (SELECT EXPR FROM json_each({_MIXED})) AS v FROM {SOURCE}"
CASES += [(f"json_each {label}", _MEMBERS.replace("EXPR", "j.value") + f" WHERE {test}") for label, test in [
    ("value = 1", "j.value = 1"), ("value = '1'", "j.value = '1'"), ("value > 1", "j.value > 1"), ("value < 'a'", "j.value < 'a'"),
    ("atom >= 2", "j.atom >= 2"), ("value in", "j.value IN (1, 'a', 2.5)"), ("value between", "j.value BETWEEN 1 AND 2"),
    ("value <> text", "j.value <> 'B'"), ("value is", "j.value IS 9"), ("value = 1.0", "1.0 = j.value"),
    ("alias in capitals", "J.Value = 2"),
]]  # fmt: skip
CASES += [
    ("json_each unqualified value", f"SELECT id, 1 AS v FROM {SOURCE} WHERE EXISTS (SELECT 1 FROM json_each({_MIXED}) WHERE value = 2.5)"),
    ("json_each sorted", _MEMBERS.replace("EXPR", "row_number() OVER (PARTITION BY fn_src.id ORDER BY j.value, j.key)")),
    ("json_each sorted desc", _MEMBERS.replace("EXPR", "row_number() OVER (PARTITION BY fn_src.id ORDER BY j.atom DESC, j.key)")),
    ("json_each max", _ONE.replace("EXPR", "max(value)")), ("json_each min atom", _ONE.replace("EXPR", "min(atom)")),
    ("json_each group_concat distinct", _ONE.replace("EXPR", "group_concat(DISTINCT value)")),
    ("json_each json_group_array distinct", _ONE.replace("EXPR", "json_group_array(DISTINCT value)")),
    ("json_each typeof", _MEMBERS.replace("EXPR", "typeof(j.value)")),
    ("json_each value plus", _MEMBERS.replace("EXPR", "(j.value + 1)")),
    ("json_each json_group_array", _ONE.replace("EXPR", "json_group_array(value)")),
    ("json_tree key compared", f"SELECT ({SOURCE}.id || '-' || j.fullkey) AS id, j.key AS v FROM {SOURCE}, "
                               f"json_tree('{{\"a\":[5,6,7],\"1\":2,\"b\":{{\"0\":1}}}}') AS j WHERE j.key = 0 OR j.key = '1' OR j.key > 1"),
    ("json_each key sorted", f"SELECT ({SOURCE}.id || '-' || j.key) AS id, row_number() OVER (PARTITION BY fn_src.id ORDER BY j.key) AS v "
                             f"FROM {SOURCE}, json_each('{{\"b\":1,\"10\":2,\"9\":3,\"B\":4}}') AS j"),
    ("json_each index sorted", f"SELECT ({SOURCE}.id || '-' || j.key) AS id, row_number() OVER (PARTITION BY fn_src.id ORDER BY j.key DESC) AS v "
                               f"FROM {SOURCE}, json_each('[1,2,3,4,5,6,7,8,9,10,11,12]') AS j"),
    ("json_each json_array", _MEMBERS.replace("EXPR", "json_array(j.value, j.atom)")),
]  # fmt: skip
# json_group_array(DISTINCT x) / group_concat(DISTINCT x) of each argument class
_ARGS = [("json", "meta"), ("text", "title"), ("number", "n"), ("bool", "b"), ("null", "NULL"), ("truth", "(n > 1)"),
         ("label", "(meta ->> '$.a')")]  # fmt: skip
CASES += [(f"{fname} of {aname}", _GROUPED.format(f.replace("X", arg))) for (fname, f), (aname, arg) in itertools.product(
    [("json_group_array distinct", "json_group_array(DISTINCT X)"), ("group_concat distinct", "group_concat(DISTINCT X)")], _ARGS)]  # fmt: skip
_names = itertools.count()

# DISTINCT aggregates keep SQLite's scan order (its rowid's) after a row is updated (Postgres
# writes the updated row anew, at the table's end): a collection of its own, its first row updated
ORDERED = "fn_order"
_ORDER_ROWS = [("fixord000000001", "c", 1), ("fixord000000002", "a", 1), ("fixord000000003", "b", 2), ("fixord000000004", "a", 2),
               ("fixord000000005", "d", 1), ("fixord000000006", "1", 2), ("fixord000000007", "b", 1)]  # fmt: skip
ORDER_CASES = [
    (f"scan order {label} {gname}", f"SELECT {group} AS id, {expression} AS v FROM {ORDERED} GROUP BY 1")
    for label, expression in [("group_concat distinct", "group_concat(DISTINCT title)"),
                              ("json_group_array distinct", "json_group_array(DISTINCT title)"),
                              ("json_group_array distinct number", "json_group_array(DISTINCT n)"),
                              ("group_concat", "group_concat(title)"), ("group_concat sep", "group_concat(title, ';')"),
                              ("json_group_array", "json_group_array(title)"), ("json_group_object", "json_group_object(id, n)")]
    for gname, group in (("of all", "'all'"), ("grouped", "CAST(n AS TEXT)"))
]  # fmt: skip


@pytest.fixture(scope="module")
def ordered_pair(functions_pair: Pair) -> Pair:  # noqa: F811 - the fixture
    """The pair with :data:`ORDERED`'s rows, the first one updated after the others were made."""
    if functions_pair.first_time("sql json5 order"):
        functions_pair.ok("POST", "/api/collections", {"name": ORDERED, "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]})
        for row_id, title, n in _ORDER_ROWS:
            functions_pair.ok("POST", f"/api/collections/{ORDERED}/records", {"id": row_id, "title": title, "n": n})
        functions_pair.ok("PATCH", f"/api/collections/{ORDERED}/records/{_ORDER_ROWS[0][0]}", {"n": 1.0, "title": "c"})
        functions_pair.ok("PATCH", f"/api/collections/{ORDERED}/records/{_ORDER_ROWS[2][0]}", {"n": 2})
    return functions_pair


@pytest.mark.parametrize(("label", "query"), ORDER_CASES, ids=[label for label, _ in ORDER_CASES])
def test_view_scan_order(ordered_pair: Pair, backend: str, label: str, query: str) -> None:
    name = f"fn_j{next(_names)}"
    pb, py = ordered_pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query}))
    assert (pb.status, view_fields(pb.body)) == (py.status, view_fields(py.body)), difference(pb, py)
    pb, py = ordered_pair.ask(Request("GET", f"/api/collections/{name}/records?sort=id&fields=id,v"))
    explain(f"sql function [{backend}] {label}", pb, py, difference(pb, py))


@pytest.mark.parametrize(("label", "query"), [(label, None) for label, _ in SCALAR_CASES] + CASES,
                         ids=[label for label, _ in SCALAR_CASES] + [label for label, _ in CASES])  # fmt: skip
def test_view_json5(functions_pair: Pair, backend: str, label: str, query: str | None) -> None:  # noqa: F811 - the fixture
    known = f"sql function [{backend}] {label}"
    if query is None:
        batched = view_columns(functions_pair, f"sql json5 {backend}", SCALAR_CASES, lambda columns: _ROWS.format(columns).replace(" AS v FROM", " FROM"),
                               (f"fn_j{next(_names)}" for _ in itertools.count())).get(label)  # fmt: skip
        if compare_together(batched, known, round_to=12, known_fields=True):
            return
        query = _ROWS.format(dict(SCALAR_CASES)[label])
    name = f"fn_j{next(_names)}"
    pb, py = functions_pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query}))
    if pb.status == 400 and py.status != 200:
        # NOTE: a query either server refuses: compared up to the query's text (PocketBase
        # quotes its columns [[id]], pybase `id`); on Postgres in Postgres's words
        pb, py = (Answer(a.status, re.sub(r"; failed query: .*", "", str(a.body))) for a in (pb, py))
        if backend == "sqlite":
            assert difference(pb, py) is None, difference(pb, py)
        return
    if (pb.status, view_fields(pb.body)) != (py.status, view_fields(py.body)):
        explain(known, pb, py, difference(pb, py))
        return
    if pb.status != 200:
        return
    listing = Request("GET", f"/api/collections/{name}/records?sort=id&perPage=200&fields=id,v")
    pb, py = (rounded(answer) for answer in functions_pair.ask(listing))
    explain(known, pb, py, difference(pb, py))
