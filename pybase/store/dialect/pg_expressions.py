"""SQLite's functions and loose typing spelt for Postgres: function calls, comparisons, LIKE and
||, rendered so a query written for SQLite gives SQLite's answer on Postgres."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    Cast,
    CollectionAggregate,
    ColumnClause,
    ExpressionClauseList,
    False_,
    Grouping,
    Null,
    True_,
    TypeCoerce,
)
from sqlalchemy.sql.functions import Function

from pybase.store.dialect.constructs import (
    GeoPointText,
    JSONText,
    JSONValue,
    ViewJSONText,
    _is_json_column,
    _is_view_json,
    json_value_at,
)
from pybase.store.index_long_keys import ORDERED_PREFIX_INFO

# ---- SQLite functions written by the generic query builders (tools/) -------------------------

# NOTE: the filter compiler (tools/, below the storage layer) spells SQLite's ``strftime`` and
# ``json_extract`` through ``func``; on Postgres they become the pb_* helpers of
# POSTGRES_HELPERS, which read the format and path at run time (so compiled statements stay
# reusable).
_PG_FUNCTIONS = {"strftime": "pb_strftime", "json_extract": "pb_json_extract"}


_NUMERIC_FUNCTIONS = frozenset({"radians", "degrees", "cos", "sin", "tan", "acos", "asin", "atan", "sqrt", "abs"})


@compiles(Function, "postgresql")
def _function_pg(element: Function, compiler: Any, **kw: Any) -> str:  # type: ignore[type-arg]
    name = element.name.lower()
    helper = _PG_FUNCTIONS.get(name)
    if helper is not None:
        if name == "strftime" and all(_plain_text(compiler, arg, **kw) for arg in element.clauses):
            # PERF (issue #17): a column's or a value's text is read again at no cost: the SQL
            # function Postgres inlines (~1 us a row; pb_strftime computes a costly argument once)
            helper = "pb_strftime_inline"
        args = ", ".join(f"CAST({_as_text(compiler, arg, **kw)} AS text)" for arg in element.clauses)
        return f"{helper}({args})"
    if name == "coalesce":
        value = _val(compiler, element, **kw)
        if value.cls == "dyn":
            # NOTE: SQLite's COALESCE(number, '') mixes types; outside a comparison, read as text.
            return _text_sql(value)
        return value.sql
    if name in _NUMERIC_FUNCTIONS:
        args = ", ".join(_as_number(compiler, arg, **kw) for arg in element.clauses)
        return f"{name}({args})"
    if name == "lower" and len(element.clauses) == 1:
        # NOTE: SQLite's lower() folds ASCII letters only and its text compares by bytes: so
        # does lower() under the "C" collation, whatever the database's (the :lower modifier)
        (arg,) = element.clauses
        return _ascii_lower(_as_text(compiler, arg, **kw))
    return str(compiler.visit_function(element, **kw))


# ---- SQLite's loose typing, spelt for Postgres ----------------------------------------------
#
# SQLite compares values by their storage class at run time (NULL < numbers < text) after
# applying an affinity taken from the operands' expressions: a column declared NUMERIC,
# BOOLEAN or JSON gives the other side numeric affinity (text that reads as a number becomes
# one), a TEXT column gives an operand without affinity text affinity (a number becomes its
# text); parameters, literals and function results have none. Postgres is strictly typed, so
# each operand is described here by its class (static: num, bool, text, null; or dyn: a value
# whose class is known per row only, carried as a jsonb number or string) and its affinity,
# and the comparison is spelt to give SQLite's answer. Operands of one static class compare
# natively (indexes keep working); anything dynamic goes through pb_cmp.

_COMPARISONS = frozenset(
    {
        operators.eq, operators.ne, operators.lt, operators.le, operators.gt, operators.ge,
        operators.is_distinct_from, operators.is_not_distinct_from,
    }
)


@dataclass(frozen=True)
class _Val:
    """One operand as SQLite sees it: SQL, class (num, bool, text, dyn, null) and affinity."""

    sql: str
    cls: str
    aff: str = "none"
    real: bool = False  # a REAL parameter (its text keeps ".0")
    to_number: bool = False  # text that numeric affinity turns into a number when it reads as one
    node: str | None = None  # a JSON value read from a jsonb column: its jsonb node (#>)
    # a dyn value costly to compute (pb_json_value of a text, a view's computed column): given
    # to the plpgsql *_once helpers, which compute it once (POSTGRES_HELPERS, issue #17)
    costly: bool = False


def _val(compiler: Any, element: Any, **kw: Any) -> _Val:
    if isinstance(element, Null):
        return _Val("NULL", "null")
    if isinstance(element, True_ | False_):
        return _Val("true" if isinstance(element, True_) else "false", "bool")
    if isinstance(element, Grouping):
        inner = _val(compiler, element.element, **kw)
        return replace(inner, sql=f"({inner.sql})")
    if isinstance(element, Function) and element.name.lower() == "coalesce":
        args = [_val(compiler, arg, **kw) for arg in element.clauses]
        classes = {("num" if arg.cls == "bool" else arg.cls) for arg in args} - {"null"}
        if len(classes) <= 1 and "dyn" not in classes:
            kind = classes.pop() if classes else "null"
            sqls = [_num_sql(arg) if kind == "num" else arg.sql for arg in args]
            return _Val(f"COALESCE({', '.join(sqls)})", kind)
        costly = any(arg.costly for arg in args)
        return _Val(f"COALESCE({', '.join(_jsonb(arg) for arg in args)})", "dyn", costly=costly)
    if isinstance(element, Function) and element.name.lower() == "json_extract":
        # NOTE: the generic query builders' json_extract: a JSON value, known per row only.
        doc, path = (_as_text(compiler, arg, **kw) for arg in element.clauses)
        return _Val(f"pb_json_value({doc}, {path})", "dyn", costly=True)
    if isinstance(element, json_value_at):
        column, path = element.clauses
        sql = str(compiler.process(element, **kw))
        if _is_json_column(column) and not _is_view_json(column):
            # NOTE: a view's json field goes through pb_json_value, which reads its text as
            # SQLite does (an object's keys in their order)
            node = f"({compiler.process(column, **kw)} #> pb_json_path(CAST({compiler.process(path, **kw)} AS text)))"
            return _Val(sql, "dyn", node=node)
        return _Val(sql, "dyn", costly=True)
    sql = str(compiler.process(element, **kw))
    sql_type = getattr(element, "type", None)
    is_column = isinstance(element, ColumnClause) and not isinstance(element, BindParameter)
    affinity = "none"
    if isinstance(sql_type, JSONText):
        return _json_column(sql, sql_type, is_column)
    if isinstance(sql_type, JSONValue):
        return _Val(sql, "dyn")
    if isinstance(sql_type, Boolean):
        return _Val(sql, "bool", "numeric" if is_column else "none")
    if isinstance(sql_type, Numeric | Float | Integer):
        if is_column:
            affinity = "numeric"
        # NOTE: a REAL prints with a decimal point ("0.0"): Float parameters and computed
        # values (geoDistance); a NUMERIC column stores whole numbers as integers.
        real = not is_column and isinstance(sql_type, Float)
        return _Val(sql, "num", affinity, real=real)
    if is_column and isinstance(sql_type, String):
        return _Val(sql, "text", "text")
    # NOTE: a parameter gets its type (Postgres cannot guess it inside CASE or a function).
    return _Val(f"CAST({sql} AS text)", "text")


def _json_column(sql: str, sql_type: JSONText, is_column: bool) -> _Val:
    """A JSON column's value as SQLite holds it: a number (stored as one under the column's
    NUMERIC affinity) or its JSON text (a geoPoint's with its keys lon, lat)."""
    affinity = "numeric" if is_column else "none"
    if isinstance(sql_type, ViewJSONText):
        # NOTE: a view's column holds SQLite's value: a text as it is, jsonb as a JSON column's
        return _Val(f"pb_sqlite_value({sql})", "dyn", affinity)
    if isinstance(sql_type, GeoPointText):
        return _Val(f"to_jsonb(pb_geo_text({sql}))", "dyn", affinity)
    return _Val(f"pb_stored_json({sql})", "dyn", affinity)


def _num_sql(value: _Val) -> str:
    return f"CAST({value.sql} AS int)" if value.cls == "bool" else value.sql


def _jsonb(value: _Val, compared: bool = False) -> str:
    """The operand as a jsonb number or string (NULL stays NULL); ``compared``: a number keeps
    its exact value for :func:`pb_cmp` (pb_real_json: 2^60 is not 1152921504606847000)."""
    if value.cls == "null":
        return "CAST(NULL AS jsonb)"
    if value.cls == "dyn":
        return value.sql
    if value.cls in ("num", "bool"):
        if compared:
            return f"pb_real_json(CAST({_num_sql(value)} AS double precision))"
        return f"to_jsonb(CAST({_num_sql(value)} AS double precision))"
    if value.to_number:
        return f"pb_numeric_affinity(to_jsonb(CAST({value.sql} AS text)))"
    return f"to_jsonb(CAST({value.sql} AS text))"


def _text_sql(value: _Val) -> str:
    """The operand as SQLite's text of it (numbers as SQLite prints them, JSON values unquoted)."""
    if value.cls == "text":
        return value.sql
    if value.cls == "null":
        return "CAST(NULL AS text)"
    if value.cls == "dyn":
        return f"pb_text_once({value.sql})" if value.costly else f"pb_text({value.sql})"
    real = "true" if value.real else "false"
    return f"pb_num_text(CAST({_num_sql(value)} AS double precision), {real})"


def _with_affinity(value: _Val, affinity: str) -> _Val:
    if affinity == "numeric":
        if value.cls == "text":
            return replace(value, to_number=True)
        if value.cls == "dyn":
            return replace(value, sql=f"pb_numeric_affinity({value.sql})")
        return value
    if value.cls in ("num", "bool", "dyn"):
        return _Val(_text_sql(value), "text")
    return value


_OPS = {
    operators.eq: "=", operators.ne: "<>", operators.lt: "<", operators.le: "<=", operators.gt: ">",
    operators.ge: ">=",
}
# NOTE: a number sorts before any text: the answer of `number op text` (swapped: `text op number`).
_NUMBER_FIRST = {"=": False, "<>": True, "<": True, "<=": True, ">": False, ">=": False}
_SWAPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _null_safe(op: Any, a: str, b: str, compare: str) -> str:
    """``compare`` (a comparison of a and b) with IS [NOT] DISTINCT FROM's handling of NULL."""
    if op is operators.is_distinct_from:
        return f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN ({a}) IS NULL <> (({b}) IS NULL) ELSE NOT ({compare}) END)"
    return f"(CASE WHEN ({a}) IS NULL OR ({b}) IS NULL THEN ({a}) IS NULL AND ({b}) IS NULL ELSE {compare} END)"


def _constant(op: Any, a: _Val, b: _Val, number_first: bool) -> str:
    """A number against a text: the answer is known, NULL aside (``number_first``: a is the number)."""
    word = "=" if op in (operators.is_distinct_from, operators.is_not_distinct_from) else _OPS[op]
    answer = _NUMBER_FIRST[word if number_first else _SWAPPED[word]]
    if op is operators.is_distinct_from:
        return f"NOT (({a.sql}) IS NULL AND ({b.sql}) IS NULL)"
    if op is operators.is_not_distinct_from:
        return f"(({a.sql}) IS NULL AND ({b.sql}) IS NULL)"
    return f"(CASE WHEN ({a.sql}) IS NULL OR ({b.sql}) IS NULL THEN NULL ELSE {'true' if answer else 'false'} END)"


_ORDERINGS = frozenset({operators.lt, operators.le, operators.gt, operators.ge})


def byte_order(sql: str) -> str:
    """Text ``sql`` compared and sorted by its bytes, as SQLite compares text (UTF-8 byte order is
    code point order): under the "C" collation, whatever the database's (``en_US.UTF-8`` or ICU
    order ``a`` beside ``A``). A column pybase makes has it already (made ``COLLATE "C"``): an
    index on it still serves the comparison."""
    return f'({sql}) COLLATE "C"'


def _native(op: Any, a: str, b: str, text: bool = False) -> str:
    """``a op b``; ``text``: two texts, ordered by their bytes (``=`` is the same in any
    deterministic collation: left as is, so an index of any collation serves it)."""
    if text and op in _ORDERINGS:
        a, b = byte_order(a), byte_order(b)
    if op is operators.is_distinct_from:
        return f"{a} IS DISTINCT FROM {b}"
    if op is operators.is_not_distinct_from:
        return f"{a} IS NOT DISTINCT FROM {b}"
    return f"{a} {_OPS[op]} {b}"


def _json_node_comparison(op: Any, a: _Val, b: _Val) -> str | None:
    """A JSON value read from a jsonb column against a number or a text, spelt with jsonb's
    operators only (PERF: no function call per row; pb_cmp costs ~10x more).

    Against a text, the value becomes a text key that keeps SQLite's order: ``0`` for a number
    (before any text) and ``1`` + the text for a text; against a number, a number key: a text
    is NaN (Postgres orders it after any number, infinities too). NULL stays NULL.
    """
    if a.node is None and b.node is None or a.cls == b.cls == "dyn":
        return None
    dyn, other = (a, b) if a.cls == "dyn" else (b, a)
    if dyn.node is None or other.to_number:
        return None
    node = dyn.node
    if other.cls == "text":
        key = (
            f"(CASE jsonb_typeof({node}) WHEN 'string' THEN '1' || ({node} #>> '{{}}') WHEN 'number' THEN '0' "
            f"WHEN 'boolean' THEN '0' WHEN 'array' THEN '1' || pb_minified({node}) "
            f"WHEN 'object' THEN '1' || pb_minified({node}) END)"
        )
        other_sql = f"('1' || {other.sql})"
    else:
        # NOTE: a pair (double, tie-break): SQLite compares an INTEGER with a REAL exactly, and
        # past 2^53 equal doubles may stand for different numbers (pb_real_tie); Postgres reads
        # a row's second item only when the first ones are equal.
        key = (
            f"((CASE jsonb_typeof({node}) WHEN 'number' THEN CAST({node} #>> '{{}}' AS double precision) "
            f"WHEN 'boolean' THEN CASE WHEN {node} = 'true'::jsonb THEN 1.0 ELSE 0.0 END "
            f"WHEN 'string' THEN CAST('NaN' AS double precision) WHEN 'array' THEN CAST('NaN' AS double precision) "
            f"WHEN 'object' THEN CAST('NaN' AS double precision) END), pb_json_tie({node}))"
        )
        number = f"CAST({_num_sql(other)} AS double precision)"
        other_sql = f"({number}, pb_real_tie({number}))"
    sides = (key, other_sql) if dyn is a else (other_sql, key)
    return _native(op, *sides, text=other.cls == "text")


def _comparison_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str | None:
    """A comparison as SQLite makes it (None: Postgres's own is the same)."""
    left, right = element.left, element.right
    if isinstance(left, CollectionAggregate) or isinstance(right, CollectionAggregate):
        return None  # NOTE: x = ANY(array): Postgres's own (the driver's reflection queries)
    op = element.operator
    a, b = _val(compiler, left, **kw), _val(compiler, right, **kw)
    if "null" in (a.cls, b.cls):
        return None
    if a.aff == "numeric" and b.aff != "numeric":
        b = _with_affinity(b, "numeric")
    elif b.aff == "numeric" and a.aff != "numeric":
        a = _with_affinity(a, "numeric")
    elif a.aff == "text" and b.aff == "none":
        b = _with_affinity(b, "text")
    elif b.aff == "text" and a.aff == "none":
        a = _with_affinity(a, "text")
    if "dyn" in (a.cls, b.cls):
        fast = _json_node_comparison(op, a, b)
        if fast is not None:
            return fast
        ja, jb = _jsonb(a, compared=True), _jsonb(b, compared=True)
        once = a.costly or b.costly
        if op in (operators.is_distinct_from, operators.is_not_distinct_from):
            if once:
                same = f"pb_same_once({ja}, {jb})"
                return same if op is operators.is_not_distinct_from else f"(NOT {same})"
            return _null_safe(op, ja, jb, f"pb_cmp({ja}, {jb}) = 0")
        return f"{'pb_cmp_once' if once else 'pb_cmp'}({ja}, {jb}) {_OPS[op]} 0"
    if a.cls == b.cls == "bool":
        return _native(op, a.sql, b.sql)
    numbers = ("num", "bool")
    if a.cls in numbers and b.cls in numbers:
        return _native(op, _num_sql(a), _num_sql(b))
    if a.cls == b.cls == "text":
        return _with_prefix(op, left, right, a.sql, b.sql, _native(op, a.sql, b.sql, text=True))
    number, other = (a, b) if a.cls in numbers else (b, a)
    if other.to_number:
        # NOTE: text meeting numeric affinity: compared as a number when it reads as one.
        converted = f"pb_num({other.sql})"
        sides = (_num_sql(a), converted) if number is a else (converted, _num_sql(b))
        return f"(CASE WHEN {converted} IS NOT NULL THEN {_native(op, *sides)} ELSE {_constant(op, a, b, number is a)} END)"
    return _constant(op, a, b, number is a)


def ordered_prefix(element: Any) -> int | None:
    """The characters of the ordered index over a text column's prefix (its info's
    ``ORDERED_PREFIX_INFO``: pybase.store.index_long_keys), None for any other value."""
    if not isinstance(element, ColumnClause) or isinstance(element, BindParameter) or element.is_literal:
        return None
    chars = (getattr(element, "info", None) or {}).get(ORDERED_PREFIX_INFO)
    return chars if isinstance(chars, int) and not isinstance(chars, bool) else None


def prefix_key(sql: str, chars: int) -> str:
    """The key of the ordered index over text ``sql``'s prefix, spelt as the index spells it."""
    return f'left({sql}, {chars}) COLLATE "C"'


_NON_STRICT = {operators.lt: "<=", operators.le: "<=", operators.gt: ">=", operators.ge: ">="}


def _is_value(element: Any) -> bool:
    """A parameter (cast or grouped): the same value wherever the statement reads it."""
    while isinstance(element, Grouping | Cast | TypeCoerce):
        element = element.clause if isinstance(element, Cast | TypeCoerce) else element.element
    return isinstance(element, BindParameter)


def _with_prefix(op: Any, left: Any, right: Any, a: str, b: str, compared: str) -> str:
    """``compared`` (text ``a op b`` in byte order), with the condition it implies on the prefix
    of a column that has an ordered index over it (``left(col, N) >= left(v, N)`` beside
    ``col > v``), which that index serves (issue #17). The answer is the same, NULL included:
    ``left(., N)`` keeps byte order (``x <= y`` gives ``left(x, N) <= left(y, N)``: both are
    cut at a character's end, and a cut that keeps where they differ keeps their order, one
    that does not makes them equal), and is NULL exactly when its text is."""
    word = _NON_STRICT.get(op)
    if word is None:
        return compared
    chars = ordered_prefix(left) if _is_value(right) else ordered_prefix(right) if _is_value(left) else None
    if chars is None:
        return compared
    return f"({compared} AND {prefix_key(a, chars)} {word} {prefix_key(b, chars)})"


def _as_text(compiler: Any, element: Any, **kw: Any) -> str:
    """``element`` as SQLite's text of it (for LIKE, COALESCE over mixed values, strftime)."""
    return _text_sql(_val(compiler, element, **kw))


def costly_json(compiler: Any, element: Any, **kw: Any) -> bool:
    """Whether ``element`` is a JSON value costly to compute (:attr:`_Val.costly`)."""
    return _val(compiler, element, **kw).costly


def _plain_text(compiler: Any, element: Any, **kw: Any) -> bool:
    """Whether ``element`` is a text column or a value, as its text (or NULL)."""
    if isinstance(element, BindParameter | Null):
        return _val(compiler, element, **kw).cls in ("text", "null")
    return isinstance(element, ColumnClause) and not element.is_literal and _val(compiler, element, **kw).cls == "text"


def _as_number(compiler: Any, element: Any, **kw: Any) -> str:
    value = _val(compiler, element, **kw)
    if value.cls in ("num", "bool"):
        return _num_sql(value)
    if value.cls == "null":
        return value.sql
    return f"pb_num({_text_sql(value)})"




def _ascii_lower(sql: str) -> str:
    # NOTE: SQLite's LIKE folds the case of ASCII letters only, whatever Postgres's locale:
    # lower() under the "C" collation does (PERF: 13x faster than translate()).
    return f'lower(({sql}) COLLATE "C")'


def _lowered_before_nul(sql: str, column: bool = False) -> str:
    """Text ``sql`` ASCII-lowered, up to an escaped NUL (the first U+0001 U+0001:
    pybase.store.pg_nul), unescaped (an escaped U+0001 as it is: a pattern's U+0002 matches no
    escape's second character); ``column``: ``sql`` is a column's (cheap to read twice).

    PERF (200,000 rows, LIKE '%abc%'): split_part on every row cost 0.28 us a row more than the
    LIKE alone; a column is cut only when it holds the escape (a test of it: ~0.06 us a row).
    """
    lowered = _ascii_lower(sql)
    cut = f"replace(split_part({lowered}, chr(1) || chr(1), 1), chr(1) || chr(2), chr(1))"
    if not column:
        return cut
    return f"(CASE WHEN strpos({sql}, chr(1)) > 0 THEN {cut} ELSE {lowered} END)"


@compiles(ExpressionClauseList, "postgresql")
def _clause_list_pg(element: ExpressionClauseList[Any], compiler: Any, **kw: Any) -> str:
    if element.operator is operators.concat_op:
        # NOTE: SQLite's || reads any value as text (true as 1).
        return " || ".join(_as_text(compiler, clause, **kw) for clause in element.clauses)
    return str(compiler.visit_expression_clauselist(element, **kw))


@compiles(BinaryExpression, "postgresql")
def _binary_pg(element: BinaryExpression[Any], compiler: Any, **kw: Any) -> str:
    op = element.operator
    if op is operators.like_op or op is operators.not_like_op:
        # NOTE: SQLite's LIKE reads any value as text and ignores the case of ASCII letters.
        # SQLite's LIKE reads both up to a NUL: pybase.store.pg_nul's escape of one ends them here
        # (a bound pattern is cut before: tools.filter.compiler.like_pattern)
        left = _lowered_before_nul(_as_text(compiler, element.left, **kw), isinstance(element.left, ColumnClause))
        right = _as_text(compiler, element.right, **kw)
        if isinstance(element.right, BindParameter):
            right = f"replace({_ascii_lower(right)}, chr(1) || chr(2), chr(1))"  # NOTE: held no NUL (like_pattern)
        else:
            right = _lowered_before_nul(right)
        escape = (element.modifiers or {}).get("escape")
        word = "LIKE" if op is operators.like_op else "NOT LIKE"
        sql = f"{left} {word} {right}"
        if escape:
            sql += " ESCAPE " + compiler.render_literal_value(escape, Text())
        return sql
    if op is operators.concat_op:
        return f"{_as_text(compiler, element.left, **kw)} || {_as_text(compiler, element.right, **kw)}"
    if op in _COMPARISONS:
        mixed = _comparison_pg(element, compiler, **kw)
        if mixed is not None:
            return mixed
    return str(compiler.visit_binary(element, **kw))
