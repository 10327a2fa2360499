"""SQLite's functions, written in an index expression or a view query, as Postgres calls with
SQLite's results (the Postgres functions are :mod:`pybase.store.sqlite_functions_sql`'s).

Covered: printf()/format(), the JSON builders and editors (json(), json_array(), json_object(),
json_set(), json_insert(), json_replace(), json_remove(), json_patch(), and in views
json_group_array()/json_group_object()), the JSON readers json_type(), json_array_length(),
json_valid(), json_quote(), json_pretty(), json_error_position(), timediff(), unhex(),
zeroblob(), and the math functions, which give NULL out of their domain where Postgres raises;
in views also the table-valued json_each()/json_tree(), round(), char(), hex(), quote(),
octet_length(), unicode() (sqlite_json1_sql.py).

:func:`translate` rewrites one call, given a
:class:`~pybase.store.sqlite_functions_base.Converter` that turns an argument into what the
Postgres functions take (the index translator knows its columns' types; a view's arguments are
dispatched by Postgres on their types, :class:`~pybase.store.view_functions.ViewConverter`).
This module translates one call, for an index and a view alike; the walk over a whole view
query and the rewrites only a view needs (its operators, text reads, DISTINCT and ordered
aggregates) are :mod:`pybase.store.view_functions`'s, and what both use
:mod:`pybase.store.sqlite_functions_base`'s.
"""

from __future__ import annotations

from typing import Any

from pybase.store.sqlite_functions_base import (
    MATH_NODES,
    NUM,
    TEXT,
    Converter,
    Refused,
    arguments,
    call,
    function_name,
)
from pybase.tools.dbutils import exp

_MATH_NAMES = frozenset(MATH_NODES.values()) | {"ceiling", "power", "log", "log2", "log10"}
# SQLite's date functions in a view -> the strftime format each writes (strftime's is its first
# argument); pb_strftime (pybase/store/dialect/pg_strftime.py) reads times, modifiers and
# formats as SQLite does, as the filters' strftime() on Postgres does
_DATE_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M:%S", "datetime": "%Y-%m-%d %H:%M:%S", "julianday": "%J",
                 "unixepoch": "%s", "strftime": ""}  # fmt: skip
_SUBSEC = ("subsec", "subsecond")


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


def translate_json_table(node: Any, conv: Converter) -> None:
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
