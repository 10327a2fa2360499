"""SQLite's comparisons of values of different types, and its JSON operators, in a view query
made to read on Postgres as on SQLite (the parsed query, before the dialect renders it).

SQLite compares two values of different types by its type affinity rules: a column has the
affinity of its declared type (PocketBase's number, bool and json columns NUMERIC, its text
columns TEXT), ``CAST(x AS type)`` the type's, any other expression none. Before comparing,
when one side has NUMERIC affinity and the other TEXT or none, the other becomes the number it
reads as (a text that is one); when one side has TEXT affinity and the other none, the other
becomes its text. Then NULL < numbers < texts, numbers by value, texts byte by byte.
Postgres compares only values of one type (``title = 4``, ``n = 'abc'``, ``b = 1`` fail;
``(n + 0) = '4'`` is true where SQLite says false): such a comparison (``=``, ``<>``, ``<``...,
``IN (...)``, ``BETWEEN``, ``CASE x WHEN v``) compares the values as SQLite holds them
(``pb_sqlite_value``: a jsonb number or string), affinity applied, with ``pb_cmp``. A
comparison of two values of one type (both numbers, both texts) stays Postgres's own
operator (an index still serves it).

A number, a truth, a bool or a JSON value read as text (``n || 'x'``, ``length(n)``, LIKE) is
SQLite's text of it (``pb_text``: a REAL keeps its point, 1e20 is 1.0e+20), and ``typeof(x)``
SQLite's class of the value (``pb_typeof``).

``a -> path`` is the JSON text at the path (``pb_view_arrow``), ``a ->> path`` (and
``json_extract(a, path)``) the SQL value there (``pb_view_arrow_value``: a number, a text,
NULL; an object or array as its JSON text): shown as its text, compared as its value.

The translator's reading of a value (its kind, its affinity, the value as SQLite holds it) is
:mod:`pybase.store.view_kinds`'s, and its rewrites of values of several kinds (COALESCE, CASE,
max/min, a UNION's column, the aggregates) are :mod:`pybase.store.view_branches`'s: the class
here adds the comparisons, the values read as text, CAST and the JSON operators.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

from pybase.store import view_json_each
from pybase.store.sqlite_functions_base import call
from pybase.store.view_branches import Branches
from pybase.store.view_kinds import BOOL, JSON, NUM, TEXT, VIEW_JSON
from pybase.store.view_nodes import (
    BLOB,
    CAST_AFFINITY,
    SQL_VALUE,
    TRUTH_NUMBER,
    any_of,
    cast_affinity,
    folded,
    is_big,
    is_blob,
    is_text_literal,
    json_path,
    lambda_as_arrow,
    unparen,
)
from pybase.tools.dbutils import exp

# SQLite's well-formed number literal (a text that NUMERIC affinity makes a number)
_NUMBER_RE = re.compile(r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


# NOTE: functions, not module constants: ``exp`` imports sqlglot (~8 MB a process) on first use,
# and this module is imported by every app, on SQLite too, where no view query is translated.
@functools.cache
def comparisons() -> tuple[type, ...]:
    return (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ)


@functools.cache
def _text_arguments() -> dict[type, tuple[str, ...]]:
    """The nodes of SQLite's operators and functions that read arguments as text: their keys."""
    return {
        exp.DPipe: ("this", "expression"), exp.Like: ("this", "expression"), exp.ILike: ("this", "expression"),
        exp.Length: ("this",), exp.Upper: ("this",), exp.Lower: ("this",), exp.Replace: ("this", "expression", "replacement"),
        exp.Substring: ("this",), exp.Trim: ("this", "expression"), exp.StrPosition: ("this", "substr"),
        exp.Concat: ("expressions",), exp.ConcatWs: ("expressions",), exp.GroupConcat: ("this", "separator"),
        exp.Reverse: ("this",), exp.Unicode: ("this",),
    }  # fmt: skip



def translate(tree: Any, kinds: dict[str, str]) -> None:
    """Rewrite the JSON operators and the comparisons of ``tree`` in place (innermost first).
    ``kinds``: a column's kind (:data:`~pybase.store.view_kinds.NUM`, :data:`~pybase.store.view_kinds.TEXT`, ...) by its lower-case name."""
    view_json_each.mark_values(tree, SQL_VALUE)
    for arrow in list(tree.find_all(exp.Lambda)):
        lambda_as_arrow(arrow)
    for hint in list(tree.find_all(exp.Anonymous)):
        # NOTE: likely(x), unlikely(x), likelihood(x, p): hints to SQLite's planner, x as it is
        if str(hint.this).lower() in ("likely", "unlikely", "likelihood") and hint.expressions:
            hint.replace(exp.Paren(this=hint.expressions[0].copy()))
    for blob in list(tree.find_all(exp.HexString)):
        # NOTE: SQLite's BLOB literal x'41' (Postgres's is a bit string)
        found = call("decode", exp.Literal.string(str(blob.this)), exp.Literal.string("hex"))
        found.meta[BLOB] = True
        blob.replace(found)
    translator = _Translator(kinds)
    for collate in list(tree.find_all(exp.Collate)):
        translator.collation(collate)
    translator.visit(tree)



class _Translator(Branches):
    def visit(self, node: Any) -> None:
        for child in list(node.iter_expressions()):
            self.visit(child)
        if not self.aggregate(node):
            self.rewrite(node)

    def rewrite(self, node: Any) -> None:
        """``node`` (its children rewritten) as SQLite answers it."""
        if isinstance(node, exp.JSONExtract | exp.JSONExtractScalar):
            node.replace(self.json_operator(node))
        elif isinstance(node, comparisons()):
            done = self.compare(type(node), node.this, node.expression)
            if done is not None:
                node.replace(done)
        elif isinstance(node, exp.In) and node.expressions and not node.args.get("query"):
            self.within(node)
        elif isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery):
            self.within_query(node)
        elif isinstance(node, exp.Between):
            low = self.compare(exp.GTE, node.this, node.args["low"])
            high = self.compare(exp.LTE, node.this, node.args["high"])
            if low is not None or high is not None:
                low = low or exp.GTE(this=node.this.copy(), expression=node.args["low"].copy())
                high = high or exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())
                node.replace(exp.Paren(this=exp.And(this=low, expression=high)))
        elif isinstance(node, exp.Case) and node.this is not None:
            self.case(node)
        elif isinstance(node, exp.Typeof):
            node.replace(self.typeof(node))
            return
        elif type(node) in _text_arguments():
            self.texts(node, _text_arguments()[type(node)])
        elif isinstance(node, exp.Abs | exp.Round):
            self.number_of(node)
        if isinstance(node, exp.Cast):
            self.cast(node)
        elif isinstance(node, exp.Nullif):
            self.nullif(node)
        elif isinstance(node, exp.Coalesce | exp.Case | exp.If | exp.Greatest | exp.Least | exp.SetOperation):
            self.values_of_two_kinds(node)

    def within_query(self, node: Any) -> None:
        """``x IN (SELECT v ...)`` where ``v`` is a value read from JSON (a json_each() value,
        json_extract()): ``x`` and each ``v`` compared as SQLite's values (jsonb: Postgres refused
        a number IN texts, "operator does not exist: double precision = text")."""
        select = node.args["query"].this
        if not isinstance(select, exp.Select) or len(select.expressions) != 1:
            return
        item = select.expressions[0]
        shown = unparen(item.this if isinstance(item, exp.Alias) else item)
        if SQL_VALUE not in shown.meta or isinstance(unparen(node.this), exp.Null):
            return
        shown.replace(shown.meta[SQL_VALUE].copy())
        node.set("this", self.value(node.this))

    def number_of(self, node: Any) -> None:
        """abs(x), round(x) of a value Postgres holds as a text or a boolean: of the number SQLite reads."""
        held = self.held(node.this)
        if held is not None:
            # NOTE: abs(json_extract(...)), abs((SELECT value FROM json_each(...))): the number of the
            # SQL value (Postgres has no abs(text)); abs() keeps its class (numeric: 2.0 keeps its point)
            node.set("this", call("pb_sql_exact_arg" if isinstance(node, exp.Abs) else "pb_sql_arith_arg", held))
            return
        kind = self.kind(node.this)
        if kind in (TEXT, BOOL, JSON, VIEW_JSON):
            # NOTE: abs('4'), round(b): the number SQLite reads (Postgres has no abs(text)); abs
            # of a view's json column its exact number, a REAL's point kept (abs(4.0) is 4.0)
            exact = isinstance(node, exp.Abs) and kind == VIEW_JSON
            node.set("this", call("pb_exact_arg" if exact else "pb_arith_arg", node.this.copy()))
            if isinstance(node, exp.Abs) and kind == TEXT:
                node.meta[CAST_AFFINITY] = "real"  # NOTE: SQLite's abs() of a text is a REAL: abs('4') is 4.0

    # ---- comparisons ------------------------------------------------------------------------

    def collation(self, node: Any) -> None:
        """``x COLLATE NOCASE`` (SQLite's: ASCII letters alike), ``BINARY`` or ``RTRIM``, which
        Postgres does not have: NOCASE compares (``x COLLATE NOCASE = 'ABC'``, both sides) and
        sorts (``ORDER BY x COLLATE NOCASE``) texts lower-cased by ``lower()`` under the "C"
        collation (ASCII letters only, as SQLite); elsewhere (a column shown) and for the other
        collations the value as it is (a text compares by its bytes already)."""
        name = node.expression.name.lower() if isinstance(node.expression, exp.Var | exp.Identifier | exp.Column) else ""
        if name not in ("nocase", "binary", "rtrim"):
            return
        value = node.this
        parent = node.parent
        texts = (TEXT, None)
        if name == "nocase" and isinstance(parent, comparisons()) and self.kind(value) in texts:
            other = parent.expression if parent.this is node else parent.this
            if self.kind(other) in texts and not isinstance(unparen(other), exp.Null):
                other.replace(folded(other.copy()))
                node.replace(folded(value.copy()))
                return
        if name == "nocase" and isinstance(parent, exp.Ordered) and self.kind(value) in texts:
            node.replace(folded(value.copy()))
            return
        node.replace(value.copy())

    def compare(self, op: Any, a: Any, b: Any) -> Any | None:
        """``a op b`` as SQLite compares, or None when Postgres's own operator answers alike."""
        a, b = unparen(a), unparen(b)
        if isinstance(a, exp.Null) or isinstance(b, exp.Null):
            return None  # NOTE: x IS NULL (sqlglot's NullSafeEQ of NULL too) is alike
        ka, kb = self.kind(a), self.kind(b)
        if ka is not None and ka == kb and ka in (NUM, TEXT, BOOL) and not (ka == NUM and (is_big(a) or is_big(b))):
            return None
        for column, literal, kind in ((a, b, ka), (b, a, kb)):
            # NOTE: a number column meets a text that reads as a number as that number (Postgres
            # reads the literal as the column's type)
            if kind == NUM and self.affinity(column) == "numeric" and is_text_literal(literal) and _NUMBER_RE.match(literal.this):
                if math.isfinite(float(literal.this)):
                    return None
                # NOTE: SQLite reads '1e400' as an infinity; Postgres refuses it (out of range)
                infinity = exp.Cast(this=exp.Literal.string("Infinity" if float(literal.this) > 0 else "-Infinity"),
                                    to=exp.DataType.build("double"))  # fmt: skip
                return op(this=column.copy(), expression=infinity) if column is a else op(this=infinity, expression=column.copy())
        left, right = self.value(a), self.value(b)
        fa, fb = self.affinity(a), self.affinity(b)
        if fa == "numeric" and fb != "numeric":
            right = call("pb_numeric_affinity", right)
        elif fb == "numeric" and fa != "numeric":
            left = call("pb_numeric_affinity", left)
        elif fa == "text" and fb is None:
            right = call("to_jsonb", call("pb_text", right))
        elif fb == "text" and fa is None:
            left = call("to_jsonb", call("pb_text", left))
        compared = call("pb_cmp", left, right)
        if op in (exp.NullSafeEQ, exp.NullSafeNEQ):
            # NOTE: a IS b: true for two NULLs, false for one
            both_null = exp.And(this=exp.Is(this=left.copy(), expression=exp.Null()),
                                expression=exp.Is(this=right.copy(), expression=exp.Null()))  # fmt: skip
            same = call("COALESCE", exp.EQ(this=compared, expression=exp.Literal.number(0)), both_null)
            return same if op is exp.NullSafeEQ else exp.Not(this=exp.Paren(this=same))
        return op(this=compared, expression=exp.Literal.number(0))

    def within(self, node: Any) -> None:
        """``x IN (a, b...)``: each ``x = a`` as SQLite compares (when one differs)."""
        if isinstance(unparen(node.this), exp.Null):
            node.replace(exp.Null())  # NOTE: NULL IN (...) is NULL (Postgres would type the list first)
            return
        items = [self.compare(exp.EQ, node.this, item) for item in node.expressions]
        if any(item is not None for item in items):
            node.replace(exp.Paren(this=any_of([
                item if item is not None else exp.EQ(this=node.this.copy(), expression=value.copy())
                for item, value in zip(items, node.expressions, strict=True)
            ])))  # fmt: skip

    def case(self, node: Any) -> None:
        """``CASE x WHEN v THEN ...``: each ``x = v`` as SQLite compares (when one differs)."""
        tests = [self.compare(exp.EQ, node.this, when.this) for when in node.args.get("ifs") or []]
        if all(test is None for test in tests):
            return
        for when, test in zip(node.args["ifs"], tests, strict=True):
            when.set("this", test if test is not None else exp.EQ(this=node.this.copy(), expression=when.this.copy()))
        node.set("this", None)

    # ---- values read as text, typeof() ----------------------------------------------------

    def texts(self, node: Any, keys: tuple[str, ...]) -> None:
        """The arguments SQLite reads as text (``n || 'x'``, ``length(n)``, ``b LIKE '1'``)
        of a number, a truth, a bool or a JSON column as SQLite's text of its value (a REAL
        with its point: 4.0, 1.0e+20; a truth 1/0): Postgres writes 4, 1e+20, true, or refuses."""
        for key in keys:
            found = node.args.get(key)
            for value in found if isinstance(found, list) else [found]:
                # NOTE: group_concat(x, ',' ORDER BY y), group_concat(DISTINCT x): x's text
                value = value.this if isinstance(value, exp.Order) else value
                if isinstance(value, exp.Distinct) and len(value.expressions) == 1:
                    value = value.expressions[0]
                if isinstance(value, exp.Expression) and self.kind(value) in (NUM, BOOL, JSON, VIEW_JSON):
                    value.replace(call("pb_text", self.value(value)))

    def typeof(self, node: Any) -> Any:
        """SQLite's ``typeof(x)``: the class of the value SQLite holds ('integer' for a number
        field's integral value, 'real', 'text', 'null', 'blob')."""
        inner = unparen(node.this)
        if isinstance(inner, exp.Null):
            return exp.Literal.string("null")
        if is_text_literal(inner):
            return exp.Literal.string("text")
        if is_blob(inner):
            null = exp.Is(this=inner.copy(), expression=exp.Null())
            return exp.Paren(this=exp.Case(ifs=[exp.If(this=null, true=exp.Literal.string("null"))], default=exp.Literal.string("blob")))
        return call("pb_typeof", self.value(inner))

    def cast(self, node: Any) -> None:
        """``CAST(x AS INTEGER/REAL/NUMERIC/TEXT)`` as SQLite casts: a text to its numeric prefix
        (0 without one), a number to an integer truncated and held to 64 bits, a number to its
        text as SQLite writes it. Postgres refuses ``CAST('abc' AS int)`` and rounds 1.9 to 2."""
        if node.meta.get(TRUTH_NUMBER):
            return  # NOTE: a truth's 0/1 (view_sql.truths_as_values), an integer as it is
        affinity = cast_affinity(node)
        inner = unparen(node.this)
        kind = self.kind(inner)
        if affinity == "text":
            if kind == TEXT or isinstance(inner, exp.Null):
                return
            cast = call("pb_text", self.value(inner))
        elif affinity in ("integer", "real", "numeric"):
            if isinstance(inner, exp.Null) or (kind == NUM and affinity != "integer"):
                return
            cast = call("pb_cast_integer" if affinity == "integer" else "pb_cast_number", self.value(inner))
        elif affinity == "blob" and isinstance(inner, exp.Null):
            node.replace(exp.Null())
            return
        elif affinity == "blob":
            # NOTE: SQLite's BLOB of a value: the bytes of its text (a BLOB as it is); Postgres's
            # CAST of a text to bytea reads backslash escapes, of a number refuses
            cast = inner.copy() if is_blob(inner) else call("convert_to", call("pb_text", self.value(inner)), exp.Literal.string("UTF8"))
            cast.meta[BLOB] = True
            node.replace(cast)
            return
        else:
            return
        cast.meta[CAST_AFFINITY] = affinity
        node.replace(cast)

    def nullif(self, node: Any) -> None:
        """``NULLIF(a, b)`` of values of two kinds: SQLite compares them as they are (a function's
        arguments get no affinity: 1.5 and '1.5' differ), and answers ``a`` with its type."""
        a, b = unparen(node.this), unparen(node.expression)
        kinds = {self.kind(a), self.kind(b)}
        if isinstance(b, exp.Null):
            if self.held(a) is not None:
                node.replace(node.this)  # NOTE: nullif(json_extract(...), NULL) is the value, its class kept
            return
        if len(kinds) == 1 and kinds & {NUM, TEXT, BOOL}:
            return
        value = self.value(a)
        same = exp.EQ(this=call("pb_cmp", value.copy(), self.value(b)), expression=exp.Literal.number(0))
        found = exp.Case(ifs=[exp.If(this=same, true=exp.Null())], default=value)
        shown = exp.Paren(this=call("pb_text", found))
        shown.meta[SQL_VALUE] = found
        node.replace(shown)

    # ---- JSON operators -------------------------------------------------------------------

    def json_operator(self, node: Any) -> Any:
        doc = unparen(node.this)
        if self.kind(doc) in (NUM, BOOL):
            doc = call("pb_text", self.value(doc))  # NOTE: SQLite's text of the number (1.0e+20, 4.0)
        elif self.kind(doc) not in (JSON, TEXT):
            doc = exp.Cast(this=doc.copy(), to=exp.DataType.build("text"))
        else:
            doc = doc.copy()
        path = json_path(node.expression)
        more = node.args.get("expressions") or []
        if more:
            # NOTE: json_extract(doc, p1, p2...): a JSON array of what each path holds (null for none)
            parts: list[Any] = []
            for each in [path, *(json_path(p) for p in more)]:
                parts.append(call("COALESCE", call("pb_view_arrow", doc.copy(), each), exp.Literal.string("null")))
            listed = parts[0]
            for part in parts[1:]:
                listed = exp.DPipe(this=exp.DPipe(this=listed, expression=exp.Literal.string(",")), expression=part)
            array = exp.DPipe(this=exp.DPipe(this=exp.Literal.string("["), expression=listed), expression=exp.Literal.string("]"))
            array = exp.Paren(this=exp.Case(ifs=[exp.If(this=exp.Is(this=doc.copy(), expression=exp.Null()), true=exp.Null())],
                                            default=array))  # fmt: skip
            array.meta["pb_json"] = True
            return array
        if isinstance(node, exp.JSONExtract):
            arrow = exp.Paren(this=call("pb_view_arrow", doc, path))
            arrow.meta["pb_json"] = True  # NOTE: JSON, as SQLite's -> gives: json_array(a -> '$.b') nests it
            return arrow
        found = call("pb_view_arrow_value", doc, path)
        shown = exp.Paren(this=call("pb_text", found))
        shown.meta[SQL_VALUE] = found
        return shown
