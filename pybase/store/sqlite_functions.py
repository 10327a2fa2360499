"""SQLite's functions, written in an index expression or a view query, as Postgres calls with
SQLite's results (the Postgres functions are :mod:`pybase.store.sqlite_functions_sql`'s).

Covered: printf()/format(), the JSON builders and editors (json(), json_array(), json_object(),
json_set(), json_insert(), json_replace(), json_remove(), json_patch(), and in views
json_group_array()/json_group_object()), the JSON readers json_type(), json_array_length(),
json_valid(), json_quote(), json_pretty(), json_error_position(), timediff(), unhex(),
zeroblob(), and the math functions, which give NULL out of their domain where Postgres raises;
in views also the table-valued json_each()/json_tree(), round(), char(), hex(), quote(),
octet_length(), unicode(), length(), GLOB, the bit operators and group_concat(DISTINCT x)
(sqlite_json1_sql.py).

:func:`translate` rewrites one call, given a :class:`Converter` that turns an argument into
what the Postgres functions take (the index translator knows its columns' types; a view's
arguments are dispatched by Postgres on their types, :class:`ViewConverter`).
:func:`translate_view` rewrites a whole view query.
"""

from __future__ import annotations

from typing import Any

from pybase.tools.dbutils import exp

NUM, TEXT = "num", "text"
#: a node's meta key: the JSON text SQLite writes of it in JSON (json_each()'s value: view_json_each)
JSON_TEXT = "pb_json_text"
#: a DISTINCT aggregate's meta key: the column giving the rows' order (view_scan_order)
SCAN_ORDER = "pb_scan_order"
#: a LIKE's meta key: its ESCAPE character (view_sql.like_escapes)
LIKE_ESCAPE = "pb_like_escape"

# sqlglot's node classes for SQLite's math functions -> the name pb_math() takes
_MATH_NODES = {
    "Sqrt": "sqrt", "Ln": "ln", "Exp": "exp", "Pow": "pow", "Acos": "acos", "Asin": "asin", "Atan": "atan",
    "Atan2": "atan2", "Acosh": "acosh", "Asinh": "asinh", "Atanh": "atanh", "Cos": "cos", "Sin": "sin",
    "Tan": "tan", "Cosh": "cosh", "Sinh": "sinh", "Tanh": "tanh", "Degrees": "degrees", "Radians": "radians",
    "Ceil": "ceil", "Floor": "floor", "Trunc": "trunc", "Sign": "sign",
}  # fmt: skip
_MATH_NAMES = frozenset(_MATH_NODES.values()) | {"ceiling", "power", "log", "log2", "log10"}
# the Postgres helpers whose result is JSON text (SQLite's JSON subtype: nested as JSON; the
# json_array()/json_object() translations, built with ||, are marked in their meta instead)
JSON_HELPERS = frozenset({"pb_json", "pb_json_edit", "pb_json_patch"})
# calls whose result SQLite nests as JSON (its JSON subtype), by the name written
_JSON_CALLS = frozenset({"json", "json_array", "json_object", "json_set", "json_insert", "json_replace",
                         "json_remove", "json_patch", "json_group_array", "json_group_object", "json_quote"})  # fmt: skip
# SQLite's date functions in a view -> the strftime format each writes (strftime's is its first
# argument); pb_strftime (pybase/store/dialect/pg_functions.py) reads times, modifiers and
# formats as SQLite does, as the filters' strftime() on Postgres does
_DATE_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M:%S", "datetime": "%Y-%m-%d %H:%M:%S", "julianday": "%J",
                 "unixepoch": "%s", "strftime": ""}  # fmt: skip
_SUBSEC = ("subsec", "subsecond")


class Refused(ValueError):
    """A call Postgres cannot answer as SQLite does; the message names the function and why."""


def call(name: str, *args: Any) -> Any:
    return exp.Anonymous(this=name, expressions=list(args))


def affinity(type_sql: str) -> str:
    """SQLite's affinity of a declared type (its rules on the type's name): integer, text,
    blob, real or numeric."""
    name = type_sql.upper()
    if "INT" in name:
        return "integer"
    if any(word in name for word in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in name or not name:
        return "blob"
    if any(word in name for word in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric"


def function_name(node: Any) -> str | None:
    """The SQLite function ``node`` calls (lower case), for the calls this module translates."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    kind = type(node).__name__
    if kind in _MATH_NODES:
        return _MATH_NODES[kind]
    return {
        "TimeToStr": "strftime", "Date": "date", "Log": "log", "Format": "format", "JSONObject": "json_object", "JSONSet": "json_set",
        "JSONRemove": "json_remove", "Unhex": "unhex", "JSONArrayAgg": "json_group_array",
        "JSONObjectAgg": "json_group_object", "JSONType": "json_type", "Round": "round", "Hex": "hex", "Unicode": "unicode", "Chr": "char",
    }.get(kind)  # fmt: skip


def arguments(node: Any) -> list[Any]:
    """The arguments of a call as written."""
    if isinstance(node, exp.JSONObject):
        out: list[Any] = []
        for pair in node.expressions:
            out += [pair.this, pair.expression] if isinstance(pair, exp.JSONKeyValue) else [pair]
        return out
    if isinstance(node, exp.Log):
        return [node.this] if node.expression is None else [node.this, node.expression]
    if isinstance(node, exp.TimeToStr):  # NOTE: strftime(format, value) as sqlglot reads it
        value = node.this.this if isinstance(node.this, exp.TsOrDsToTimestamp) else node.this
        if isinstance(value, exp.CurrentTimestamp):
            value = exp.Literal.string("now")
        return [node.args["format"], value]
    args = [node.this] if isinstance(node.args.get("this"), exp.Expression) else []
    args += list(node.expressions)
    if isinstance(node.args.get("expression"), exp.Expression):
        args.append(node.args["expression"])
    return args


def is_json_call(node: Any) -> bool:
    """Whether SQLite gives ``node`` its JSON subtype (a JSON function's result)."""
    while isinstance(node, exp.Paren):
        node = node.this
    name = function_name(node)
    return name in _JSON_CALLS or isinstance(node, exp.JSONExtract)


class Converter:
    """Turns a call's argument into what the Postgres helpers take."""

    def value(self, node: Any) -> Any:
        """SQLite's value as a jsonb number or string (NULL stays NULL)."""
        raise NotImplementedError

    def json(self, node: Any) -> Any | None:
        """The JSON text of an argument SQLite reads as JSON (None: a plain SQL value)."""
        raise NotImplementedError

    def number(self, node: Any) -> Any:
        """The double a math function reads (NULL for a text that is no number)."""
        raise NotImplementedError

    def real(self, node: Any) -> Any:
        """The double SQLite reads from any value (a text's leading number, else 0)."""
        raise NotImplementedError

    def text(self, node: Any) -> Any:
        """SQLite's text of the value."""
        raise NotImplementedError

    def json_text(self, node: Any) -> Any:
        """The argument as SQLite writes it into JSON."""
        found = self.json(node)
        if found is not None:
            return call("COALESCE", found, exp.Literal.string("null"))
        return call("pb_json_text", self.value(node))


def translate(node: Any, conv: Converter, in_view: bool = False) -> tuple[Any, str] | None:
    """``node`` as a Postgres expression with SQLite's result, and its value class; None when
    this module does not translate it. Raises :class:`Refused`."""
    name = function_name(node)
    if name is None:
        return None
    args = arguments(node)
    if name in _MATH_NAMES:
        return _math(node, name, args, conv), NUM
    if name in ("printf", "format"):
        if not args:
            return exp.Null(), TEXT
        return call("pb_printf", conv.text(args[0]), *(conv.value(arg) for arg in args[1:])), TEXT
    if name in _JSON_READERS:
        return _json_reader(name, args, conv)
    if in_view and (name in ("round", "char") or name in _TEXT_READERS):
        return _view_function(name, node, args, conv)
    if name.startswith("json"):
        json = _json(name, args, conv, in_view)
        return (json, TEXT) if json is not None else None
    if name == "total" and len(args) == 1 and in_view:
        # NOTE: SQLite's sum as a real, 0.0 over no value (a text read as the number it starts with)
        total = call("COALESCE", exp.Sum(this=conv.real(args[0])), exp.Literal.number(0))
        return exp.Cast(this=total, to=exp.DataType.build("double")), NUM
    if name in _DATE_FORMATS and in_view:
        return _date(name, args, conv)
    if name == "timediff" and len(args) == 2:
        return call("pb_timediff", conv.text(args[0]), conv.text(args[1])), TEXT
    if name == "unhex" and args:
        return call("pb_unhex", *(conv.text(arg) for arg in args[:2])), "blob"
    if name == "zeroblob" and len(args) == 1:
        if in_view:
            raise Refused("zeroblob() is not supported in a view on Postgres: a view's field cannot hold a BLOB of zero bytes")
        return call("pb_zeroblob", conv.number(args[0])), "blob"
    return None


def _date(name: str, args: list[Any], conv: Converter) -> tuple[Any, str]:
    """date(), time(), datetime(), julianday(), unixepoch(), strftime() as SQLite answers them
    (NULL for what reads as no time, a modifier it does not know, a NULL argument)."""
    if name == "strftime":
        if not args:
            return exp.Null(), TEXT
        fmt, args = conv.text(args[0]), args[1:]
    else:
        fmt = exp.Literal.string(_DATE_FORMATS[name])
    value = conv.text(args[0]) if args else exp.Literal.string("now")
    modifiers = [conv.text(arg) for arg in args[1:]]
    # NOTE: 'subsec' shows the milliseconds (pb_strftime reads it as no change otherwise)
    subsec = any(isinstance(arg, exp.Literal) and arg.is_string and str(arg.this).strip().lower() in _SUBSEC for arg in args[1:])
    if subsec and name in ("time", "datetime"):
        fmt = exp.Literal.string(_DATE_FORMATS[name].replace("%S", "%f"))
    if name == "julianday" or (name == "unixepoch" and subsec):
        # NOTE: from the milliseconds, as SQLite computes both
        shown = _strftime(exp.Literal.string("%s %f"), args[0] if args else None, value, modifiers)
        return call("pb_julianday" if name == "julianday" else "pb_epoch_subsec", shown), NUM
    found = _strftime(fmt, args[0] if args else None, value, modifiers)
    if name == "unixepoch":
        return exp.Cast(this=found, to=exp.DataType.build("bigint")), NUM
    return found, TEXT


def _strftime(fmt: Any, arg: Any, value: Any, modifiers: list[Any]) -> Any:
    """pb_strftime's call for a view: ``arg`` the time as written, ``value`` its text
    (ViewConverter.text's).

    PERF (issue #17): Postgres inlines pb_strftime_inline (~1 us a row for PocketBase's times)
    only where its arguments cost nothing to read again: with the format and modifiers written
    as values, a column goes through pb_view_strftime (a text column's own text; another's as
    SQLite's text, computed once) and a value straight in; any other call through pb_strftime,
    which computes its arguments once (~2 us more; inlined, a costly argument would stop
    Postgres inlining and cost ~35 us a row)."""
    if all(_plain(node) for node in (fmt, *modifiers)):
        if isinstance(arg, exp.Column) and _calls(value, "pb_text", "pb_sqlite_value", arg):
            return call("pb_view_strftime", fmt, arg, *modifiers)
        if _plain(value):
            return call("pb_strftime_inline", fmt, value, *modifiers)
    return call("pb_strftime", fmt, value, *modifiers)


def _calls(node: Any, outer: str, inner: str, arg: Any) -> bool:
    """Whether ``node`` is ``outer(inner(arg))``."""
    for name in (outer, inner):
        if not (isinstance(node, exp.Anonymous) and str(node.this) == name and len(node.expressions) == 1):
            return False
        node = node.expressions[0]
    return node is arg


def _distinct_key(value: Any, conv: Converter) -> Any:
    """The SQL value DISTINCT tells ``value`` by (a jsonb, NULL typed so)."""
    if isinstance(value, exp.Null):
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("jsonb"))
    return conv.value(value)


def _calls_one(node: Any, name: str) -> bool:
    """Whether ``node`` is ``name(x)``."""
    return isinstance(node, exp.Anonymous) and str(node.this) == name and len(node.expressions) == 1


def _plain(node: Any) -> bool:
    """Whether a translated argument is a text written as a value (or NULL)."""
    return (isinstance(node, exp.Literal) and node.is_string) or (isinstance(node, exp.Cast) and isinstance(node.this, exp.Null))


def _json(name: str, args: list[Any], conv: Converter, in_view: bool) -> Any | None:
    """The JSON builders and editors (their JSON text)."""
    if name == "json" and len(args) == 1:
        return call("pb_json", _doc(args[0], conv))
    if name == "json_array":
        return _joined("[", [conv.json_text(arg) for arg in args], "]")
    if name == "json_object":
        if len(args) % 2:
            raise Refused("json_object() requires an even number of arguments")
        pairs = [exp.DPipe(this=exp.DPipe(this=call("pb_json_label", conv.value(key), exp.Literal.string("json_object")),
                                          expression=exp.Literal.string(":")), expression=conv.json_text(value))
                 for key, value in zip(args[::2], args[1::2], strict=True)]  # fmt: skip
        return _joined("{", pairs, "}")
    if name in ("json_set", "json_insert", "json_replace", "json_remove") and args:
        mode = name.removeprefix("json_")
        edits = [conv.text(arg) if mode == "remove" or number % 2 == 0 else conv.json_text(arg)
                 for number, arg in enumerate(args[1:])]  # fmt: skip
        if mode != "remove" and len(edits) % 2:
            raise Refused(f"{name}() needs an odd number of arguments")
        return call("pb_json_edit", exp.Literal.string(mode), _doc(args[0], conv), *edits)
    if name == "json_patch" and len(args) == 2:
        return call("pb_json_patch", _doc(args[0], conv), _doc(args[1], conv))
    if name in ("json_group_array", "json_group_object") and in_view:
        return _aggregate(name, args, conv)
    return None


#: SQLite's functions of a value's text (sqlite_json1_sql.py) -> the Postgres function
_TEXT_READERS = {"hex": "pb_hex", "quote": "pb_quote", "octet_length": "pb_octet_length", "unicode": "pb_unicode"}  # fmt: skip

def _view_function(name: str, node: Any, args: list[Any], conv: Converter) -> tuple[Any, str]:
    """round(), char(), and hex(), quote(), octet_length(), unicode() of any value, in a view."""
    if name == "char":
        # NOTE: each value read as a 64-bit integer (NULL as 0), a code point (U+FFFD past them)
        codes = [call("pb_cast_integer", conv.value(arg)) if not isinstance(arg, exp.Null) else exp.Literal.number(0) for arg in args]
        return call("pb_char", *codes), TEXT
    if name == "round":
        # NOTE: SQLite's round() rounds half away from zero (Postgres's round of a double to
        # even: 2.5 is 2), any value read as a number (a text's leading one), to 0..30 digits
        digits = node.args.get("decimals") if isinstance(node, exp.Round) else (args[1] if len(args) > 1 else None)
        return call("pb_round", conv.real(args[0]), conv.real(digits) if digits is not None else exp.Literal.number(0)), NUM
    if len(args) != 1:
        raise Refused(f"wrong number of arguments to function {name}()")
    if name == "quote":
        return call("pb_quote", conv.value(args[0])), TEXT
    return call(_TEXT_READERS[name], conv.text(args[0])), (TEXT if name == "hex" else NUM)


#: SQLite's JSON1 functions reading a document or a value (sqlite_json1_sql.py): their argument counts
_JSON_READERS = {"json_type": (1, 2), "json_array_length": (1, 2), "json_valid": (1,), "json_quote": (1,),
                 "json_pretty": (1, 2), "json_error_position": (1,)}  # fmt: skip


def _json_reader(name: str, args: list[Any], conv: Converter) -> tuple[Any, str]:
    """json_type(), json_array_length() (of a document at a path), json_valid(), json_quote(),
    json_pretty(), json_error_position()."""
    if len(args) not in _JSON_READERS[name]:
        raise Refused(f"wrong number of arguments to function {name}()")
    if name == "json_valid":
        return call("pb_json_valid", _doc(args[0], conv)), NUM
    if name == "json_error_position":
        # NOTE: where SQLite's reader (JSON5 too) first fails: pb_json5_scan (sqlite_json5_sql.py)
        return call("pb_json_error_position", _doc(args[0], conv)), NUM
    if name == "json_quote":
        found = conv.json(args[0])  # NOTE: JSON (a JSON function's) is kept as it is
        return (found if found is not None else call("pb_json_text", conv.value(args[0]))), TEXT
    if name == "json_pretty":
        indent = conv.text(args[1]) if len(args) > 1 else exp.Literal.string("    ")
        return call("pb_json_pretty", _doc(args[0], conv), indent), TEXT
    path = conv.text(args[1]) if len(args) > 1 else exp.Literal.string("$")
    return call(f"pb_view_{name}", _doc(args[0], conv), path), (TEXT if name == "json_type" else NUM)


def _json_table(node: Any, conv: Converter) -> None:
    """``FROM t, json_each(doc[, path]) AS j`` (json_tree's too): pb_json_tree's rows, named
    as SQLite names them when no alias is given (``json_each.value``)."""
    name = str(node.this).lower()
    args = list(node.expressions)
    if len(args) not in (1, 2):
        raise Refused(f"wrong number of arguments to {name}()")
    root = conv.text(args[1]) if len(args) == 2 else exp.Literal.string("$")
    table = node.parent
    if not table.args.get("alias"):
        table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
    node.replace(call("pb_json_tree", _doc(args[0], conv), root, exp.Boolean(this=name == "json_tree")))


def translate_window(node: Any, conv: Converter) -> Any | None:
    """``json_group_array(...) OVER (...)`` (and json_group_object's), ``node`` the window."""
    name = function_name(node.this)
    if name not in ("json_group_array", "json_group_object"):
        return None
    return _aggregate(name, arguments(node.this), conv, window=node)


def _math(node: Any, name: str, args: list[Any], conv: Converter) -> Any:
    if name == "ceiling":
        name = "ceil"
    if name == "power":
        name = "pow"
    if isinstance(node, exp.Log) and len(args) == 2:
        base = args[0]
        if isinstance(base, exp.Literal) and str(base.this) in ("2", "10") and not _written_log(node):
            name, args = f"log{base.this}", args[1:]  # NOTE: log2(X), log10(X) as sqlglot reads them
        else:
            # NOTE: SQLite's log(B, X) reads any X as a number (a text's leading one), B as others
            return call("pb_math", exp.Literal.string("log"), conv.number(base), conv.real(args[1]))
    elif name == "log":
        name = "log10"  # NOTE: SQLite's log(X) is the base-10 logarithm
    return call("pb_math", exp.Literal.string(name), *(conv.number(arg) for arg in args[:2]))


def _modulo(node: Any, conv: Converter) -> Any:
    """SQLite's ``a % b`` (of the integers a and b read as: 7.5 % 2 is 1) or ``mod(a, b)`` (the
    real remainder: 1.5); NULL for a zero divisor. sqlglot reads both as Mod: the function keeps
    its name's place in the text."""
    if "start" in node.meta:
        return call("pb_math", exp.Literal.string("mod"), conv.number(node.this), conv.number(node.expression))
    return call("pb_int_mod", conv.real(node.this), conv.real(node.expression))


def _substr(node: Any, conv: Converter) -> Any:
    """SQLite's substr(x, y[, z]): y < 0 counts from the end, z < 0 the characters before y
    (Postgres's substr reads y < 1 as before the text, refuses z < 0)."""

    def integer(value: Any) -> Any:
        if isinstance(value, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("bigint"))
        return call("pb_cast_integer", conv.value(value))

    length = node.args.get("length")
    args = [conv.text(node.this), integer(node.args.get("start") or exp.Literal.number(1))]
    return call("pb_substr", *args, *([integer(length)] if length is not None else []))


#: SQLite's bit operators (of the 64-bit integers the values read as) -> Postgres's
_BITWISE = {"BitwiseAnd": "&", "BitwiseOr": "|", "BitwiseLeftShift": "<<", "BitwiseRightShift": ">>", "BitwiseNot": "~"}


def _bitwise(node: Any, conv: Converter) -> Any:
    """``a & b``, ``a | b``, ``a << b``, ``a >> b``, ``~a`` as SQLite computes them: of the
    integers the values read as (a text's integer prefix, a REAL truncated, held to 64 bits),
    a shift past 63 bits 0 (or -1), a negative shift the other way (Postgres shifts by the count
    modulo 64, and has no & of a text or a double)."""

    def integer(value: Any) -> Any:
        if isinstance(value, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("bigint"))
        return call("pb_cast_integer", conv.value(value))

    op = _BITWISE[type(node).__name__]
    if op == "~":
        return exp.Paren(this=exp.BitwiseNot(this=integer(node.this)))
    a, b = integer(node.this), integer(node.expression)
    if op in ("<<", ">>"):
        return call("pb_shift", a, b if op == "<<" else exp.Neg(this=b))
    return exp.Paren(this=(exp.BitwiseAnd if op == "&" else exp.BitwiseOr)(this=a, expression=b))


def _written_log(node: Any) -> bool:
    """Whether a call sqlglot reads as Log(2, X) was written ``log(2, X)`` (not ``log2(X)``): its
    name's place in the text is kept."""
    meta = node.meta
    return "start" in meta and "end" in meta and meta["end"] - meta["start"] + 1 == len("log")


def _doc(node: Any, conv: Converter) -> Any:
    found = conv.json(node)
    return found if found is not None else conv.text(node)


def _joined(start: str, parts: list[Any], end: str) -> Any:
    joined: Any = exp.Literal.string(start)
    for number, part in enumerate(parts):
        if number:
            joined = exp.DPipe(this=joined, expression=exp.Literal.string(","))
        joined = exp.DPipe(this=joined, expression=part)
    return exp.Paren(this=exp.DPipe(this=joined, expression=exp.Literal.string(end)))


def _aggregate(name: str, args: list[Any], conv: Converter, window: Any = None) -> Any:
    if name == "json_group_array":
        if len(args) != 1:
            raise Refused("json_group_array() takes one argument")
        item, empty, start, end = conv.json_text(args[0]), "[]", "[", "]"
    else:
        if len(args) != 2:
            raise Refused("json_group_object() takes two arguments")
        label = call("pb_json_label", conv.value(args[0]), exp.Literal.string("json_group_object"))
        item = exp.DPipe(this=exp.DPipe(this=label, expression=exp.Literal.string(":")), expression=conv.json_text(args[1]))
        empty, start, end = "{}", "{", "}"
    listed = call("string_agg", item, exp.Literal.string(","))
    if window is not None:
        # NOTE: as a window function (OVER ...): the window is string_agg's
        window = window.copy()
        window.set("this", listed)
        listed = window
    wrapped = exp.DPipe(this=exp.DPipe(this=exp.Literal.string(start), expression=listed), expression=exp.Literal.string(end))
    return call("COALESCE", wrapped, exp.Literal.string(empty))


# ---- views --------------------------------------------------------------------------------


class ViewConverter(Converter):
    """A view's arguments: their Postgres types are not known here, Postgres picks the helper's
    overload (``pb_sqlite_value``, ``pb_math_arg``) by the argument's type."""

    def value(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Null()
        inner = _unparen(node)
        if "pb_sql_value" in inner.meta:
            # NOTE: ->> (view_compare), json_each's value (view_json_each): shown as text
            return inner.meta["pb_sql_value"].copy()
        if _is_json_helper(node):
            return call("pb_sqlite_value", exp.Cast(this=node, to=exp.DataType.build("text")))
        return call("pb_sqlite_value", node)

    def json(self, node: Any) -> Any | None:
        return node if _is_json_helper(node) else None

    def json_text(self, node: Any) -> Any:
        inner = _unparen(node)
        if JSON_TEXT in inner.meta:
            return inner.meta[JSON_TEXT].copy()  # NOTE: json_each's value (an array, an object as JSON)
        return super().json_text(node)

    def number(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("double"))
        return call("pb_math_arg", node)

    def real(self, node: Any) -> Any:
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("double"))
        return call("pb_real_arg", node)

    def text(self, node: Any) -> Any:
        if isinstance(node, exp.Literal) and node.is_string:
            return node
        if isinstance(node, exp.Null):
            return exp.Cast(this=exp.Null(), to=exp.DataType.build("text"))
        if _is_json_helper(node):
            return node
        return call("pb_text", self.value(node))


def _unparen(node: Any) -> Any:
    """``node`` out of its parentheses, down to one marked with a value (``pb_sql_value``, JSON text)."""
    while isinstance(node, exp.Paren) and "pb_sql_value" not in node.meta and JSON_TEXT not in node.meta:
        node = node.this
    return node


def _is_json_helper(node: Any) -> bool:
    """Whether a translated argument is JSON text (a JSON function's, translated)."""
    while isinstance(node, exp.Expression):
        # NOTE: json_array()/json_object() translate to text built with ||, marked so
        if node.meta.get("pb_json") or (isinstance(node, exp.Anonymous) and str(node.this).lower() in JSON_HELPERS):
            return True
        if not isinstance(node, exp.Paren):
            return False
        node = node.this
    return False


def _group_concat_distinct(node: Any, conv: Converter) -> Any:
    """group_concat(DISTINCT x): the values in the rows' order, each once as SQLite's DISTINCT
    tells them (by class and value: 1 and '1' two, 1 and 1.0 one; Postgres's string_agg(DISTINCT
    x) sorts them); x may be pb_text(v) already (view_compare)."""
    if node.args.get("separator") is not None:
        raise Refused("DISTINCT aggregates must have exactly one argument")
    value = node.this.expressions[0]
    shown = _calls_one(value, "pb_text")
    key = value.expressions[0] if shown else _distinct_key(value, conv)
    texts = _in_order(node, value if shown else conv.text(value))
    return call("pb_distinct_join", texts, _in_order(node, key), exp.Literal.string(","), exp.true())


def _json_array_distinct(node: Any, conv: Converter) -> Any:
    """json_group_array(DISTINCT x): each value once (as :func:`_group_concat_distinct`), where
    it first comes, as JSON."""
    value = node.this.expressions[0]
    joined = call("pb_distinct_join", _in_order(node, conv.json_text(value)), _in_order(node, _distinct_key(value, conv)),
                  exp.Literal.string(","), exp.false())  # fmt: skip
    listed = exp.DPipe(this=exp.Literal.string("["), expression=call("COALESCE", joined, exp.Literal.string("")))
    return exp.Paren(this=exp.DPipe(this=listed, expression=exp.Literal.string("]")))


def _scan_ordered(result: Any, order: Any) -> None:
    """json_group_array(x)/json_group_object(k, v) translated (string_agg(item, ',')) in the
    rows' scan order (view_scan_order): string_agg(item, ',' ORDER BY order)."""
    for found in list(result.find_all(exp.Anonymous)):
        if str(found.this) == "string_agg" and len(found.expressions) == 2:
            found.expressions[1].replace(exp.Order(this=found.expressions[1].copy(), expressions=[exp.Ordered(this=order.copy())]))


def _in_order(node: Any, value: Any) -> Any:
    """``array_agg(value)``, in the rows' scan order when ``node`` is marked with it."""
    order = node.meta.get(SCAN_ORDER)
    if order is None:
        return call("array_agg", value)
    return call("array_agg", exp.Order(this=value, expressions=[exp.Ordered(this=order.copy())]))


def _listing(node: Any, conv: Converter) -> bool:
    """group_concat(DISTINCT x) and json_group_array(DISTINCT x) (each value once), and
    group_concat(x[, sep]) in the rows' scan order (view_scan_order); whether ``node`` is done."""
    if isinstance(node, exp.GroupConcat | exp.JSONArrayAgg) and isinstance(node.this, exp.Distinct) and len(node.this.expressions) == 1:
        if not (isinstance(node.parent, exp.Window) and node.parent.this is node):  # NOTE: SQLite refuses DISTINCT in a window
            done = _group_concat_distinct(node, conv) if isinstance(node, exp.GroupConcat) else _json_array_distinct(node, conv)
            done.meta["pb_json"] = isinstance(node, exp.JSONArrayAgg)
            node.replace(done)
        return True
    if isinstance(node, exp.GroupConcat) and SCAN_ORDER in node.meta:
        node.set("this", exp.Order(this=node.this, expressions=[exp.Ordered(this=node.meta[SCAN_ORDER].copy())]))
        return True
    return False


def _text_read(node: Any, conv: Converter) -> bool:
    """substr(), length(), instr(), replace(), LIKE and trim() of given characters, of text
    Postgres may hold escaped (pybase.store.pg_nul), as SQLite reads the text; whether ``node``
    is done."""
    if isinstance(node, exp.Substring):
        node.replace(_substr(node, conv))
    elif isinstance(node, exp.Length):
        node.replace(call("pb_length", node.this))  # NOTE: the characters before a NUL
    elif isinstance(node, exp.StrPosition) and node.args.get("position") is None:
        node.replace(call("pb_instr", node.this, node.args["substr"]))
    elif isinstance(node, exp.Like):
        escape = [node.meta[LIKE_ESCAPE]] if LIKE_ESCAPE in node.meta else []
        done = call("pb_like", node.this, node.expression, *escape)
        node.replace(exp.Not(this=done) if node.args.get("negate") else done)
    elif isinstance(node, exp.Replace):
        node.replace(call("pb_replace", node.this, node.expression, node.args["replacement"]))
    elif isinstance(node, exp.Trim) and node.args.get("expression") is not None:
        ends = str(node.args.get("position") or "both").lower()
        node.replace(call("pb_trim", node.this, node.args["expression"], exp.Literal.string(ends)))
    else:
        return False
    return True


def translate_view(tree: Any) -> None:
    """Rewrite the SQLite functions of a parsed view query in place (its innermost calls
    first, so that an argument is already translated when its call is)."""
    conv = ViewConverter()

    def visit(node: Any) -> None:
        for child in list(node.iter_expressions()):
            visit(child)
        if isinstance(node, exp.Window):
            windowed = translate_window(node, conv)
            if windowed is not None:
                windowed.meta["pb_json"] = True
                node.replace(windowed)
            return
        if isinstance(node, exp.Mod):
            node.replace(_modulo(node, conv))
            return
        if _text_read(node, conv):
            return
        if isinstance(node, exp.Glob):
            node.replace(call("pb_glob", conv.text(node.expression), conv.text(node.this)))
            return
        if type(node).__name__ in _BITWISE:
            node.replace(_bitwise(node, conv))
            return
        if _listing(node, conv):
            return
        if not isinstance(node, exp.Func) or (isinstance(node.parent, exp.Window) and node.parent.this is node):
            return
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("json_each", "json_tree") and isinstance(node.parent, exp.Table):
            _json_table(node, conv)
            return
        done = translate(node, conv, in_view=True)
        if done is None:
            return
        result = done[0]
        if function_name(node) in _JSON_CALLS:
            result.meta["pb_json"] = True
        if SCAN_ORDER in node.meta:
            _scan_ordered(result, node.meta[SCAN_ORDER])
        node.replace(result)

    visit(tree)
