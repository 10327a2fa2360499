"""``$template``: a safe subset of Go's ``html/template`` for JS hooks.

Supported: ``{{.}}``, ``{{.a.b}}``, variables (``$``, ``$x := ...``, ``$x = ...``, ``$x.a``),
pipelines with ``|`` and parentheses, string/raw-string/number/bool/nil literals, ``{{if}}``/
``{{else if}}``/``{{else}}``, ``{{range}}`` (over lists, maps sorted by key, and integers; with
``$i, $e :=``, ``{{else}}``, ``{{break}}``, ``{{continue}}``), ``{{with}}``, ``{{define}}``,
``{{template "name" .}}``, ``{{block}}``, comments and ``{{-``/``-}}`` trimming; the functions
``and or not len index slice eq ne lt le gt ge print printf println html js urlquery`` and
PocketBase's ``raw``. Every value an action prints is HTML-escaped (``raw`` opts out); unlike Go,
escaping is the same in every context (text, attributes, scripts, URLs). Nothing can call into
Python or the app: templates only read the data given to ``render``.
"""

from __future__ import annotations

import html
import json
import operator
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_ACTION_RE = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<str>"(?:[^"\\]|\\.)*") | (?P<raw>`[^`]*`) |
    (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?) |
    (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*) | (?P<field>(?:\.[A-Za-z0-9_]+)+|\.) |
    (?P<ident>[A-Za-z_][A-Za-z0-9_]*) | (?P<op>:=|=|\||\(|\)|,)
    )""",
    re.X | re.S,
)
_MAX_DEPTH = 100
_MAX_OUTPUT = 16 << 20


class TemplateError(ValueError):
    """A template that cannot be parsed or rendered."""


class SafeHTML(str):
    """Text that is printed as is (from ``raw``)."""


@dataclass
class _Node:
    kind: str  # text | action | if | range | with | template | set | break | continue
    text: str = ""
    pipe: Any = None
    body: list[_Node] = field(default_factory=list)
    other: list[_Node] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    declare: bool = True


class _BreakLoop(Exception):
    pass


class _ContinueLoop(Exception):
    pass


# ---- parsing ---------------------------------------------------------------------------------


def _split(source: str) -> list[tuple[str, str]]:
    """The source as ("text", s) and ("action", s) items, with trim markers applied."""
    items: list[tuple[str, str]] = []
    pos = 0
    for match in _ACTION_RE.finditer(source):
        text = source[pos : match.start()]
        if match.group(1):
            text = text.rstrip()
        if items and items[-1][0] == "trim":
            items.pop()
            text = text.lstrip()
        if text:
            items.append(("text", text))
        body = match.group(2).strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            items.append(("action", body))
        if match.group(3):
            items.append(("trim", ""))
        pos = match.end()
    tail = source[pos:]
    if items and items[-1][0] == "trim":
        items.pop()
        tail = tail.lstrip()
    if tail:
        items.append(("text", tail))
    return items


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise TemplateError(f"unexpected {text[pos:pos + 10]!r} in action {{{{{text}}}}}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, defines: dict[str, list[_Node]]) -> None:
        self.defines = defines

    def parse(self, source: str) -> list[_Node]:
        self.items = _split(source)
        self.pos = 0
        nodes, end = self._list()
        if end is not None:
            raise TemplateError(f"unexpected {{{{{end}}}}}")
        return nodes

    def _list(self) -> tuple[list[_Node], str | None]:
        nodes: list[_Node] = []
        while self.pos < len(self.items):
            kind, text = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                nodes.append(_Node("text", text))
                continue
            word = text.split(None, 1)[0] if text else ""
            rest = text[len(word):].strip()
            if word in ("end", "else"):
                return nodes, text
            if word in ("if", "range", "with"):
                nodes.append(self._control(word, rest))
            elif word in ("define", "block"):
                name_tokens = _tokens(rest)
                if not name_tokens or name_tokens[0][0] not in ("str", "raw"):
                    raise TemplateError(f"{word} needs a quoted name")
                name = _literal(name_tokens[0])
                body, end = self._list()
                if end != "end":
                    raise TemplateError(f"unterminated {word} {name!r}")
                self.defines.setdefault(name, body) if word == "block" else self.defines.__setitem__(name, body)
                if word == "block":
                    nodes.append(_Node("template", name, _pipeline(name_tokens[1:]) if len(name_tokens) > 1 else None))
            elif word == "template":
                name_tokens = _tokens(rest)
                if not name_tokens or name_tokens[0][0] not in ("str", "raw"):
                    raise TemplateError("template needs a quoted name")
                pipe = _pipeline(name_tokens[1:]) if len(name_tokens) > 1 else None
                nodes.append(_Node("template", _literal(name_tokens[0]), pipe))
            elif word in ("break", "continue") and not rest:
                nodes.append(_Node(word))
            else:
                nodes.append(self._action(text))
        return nodes, None

    def _action(self, text: str) -> _Node:
        tokens = _tokens(text)
        if len(tokens) >= 3 and tokens[0][0] == "var" and tokens[1] in (("op", ":="), ("op", "=")):
            return _Node("set", names=[tokens[0][1]], pipe=_pipeline(tokens[2:]), declare=tokens[1][1] == ":=")
        return _Node("action", pipe=_pipeline(tokens))

    def _control(self, word: str, rest: str) -> _Node:
        tokens = _tokens(rest)
        names: list[str] = []
        # {{range $i, $e := pipeline}} / {{with $x := pipeline}}
        for index, tok in enumerate(tokens):
            if tok == ("op", ":="):
                names = [t[1] for t in tokens[:index] if t[0] == "var"]
                tokens = tokens[index + 1 :]
                break
        node = _Node(word, pipe=_pipeline(tokens), names=names)
        node.body, end = self._list()
        if end is None:
            raise TemplateError(f"unterminated {{{{{word}}}}}")
        if end != "end":
            after = end[len("else"):].strip()
            if after.split(None, 1)[0:1] in (["if"], ["with"]):
                inner_word = after.split(None, 1)[0]
                # NOTE: {{else if x}} ... {{end}} is {{else}}{{if x}} ... {{end}}{{end}} with one {{end}}.
                node.other = [self._control(inner_word, after[len(inner_word):].strip())]
            else:
                node.other, end = self._list()
                if end != "end":
                    raise TemplateError(f"unterminated {{{{{word}}}}} (missing {{{{end}}}})")
        return node


def _literal(token: tuple[str, str]) -> Any:
    kind, text = token
    if kind == "str":
        return json.loads(text)
    if kind == "raw":
        return text[1:-1]
    if kind == "num":
        number = float(text)
        return int(number) if number.is_integer() and re.fullmatch(r"-?\d+", text) else number
    raise TemplateError(f"not a literal: {text}")


def _pipeline(tokens: list[tuple[str, str]]) -> list[list[Any]]:
    """Commands of a pipeline; each a list of operands (tokens or nested pipelines)."""
    commands: list[list[Any]] = [[]]
    stack: list[list[list[Any]]] = []
    for tok in tokens:
        if tok == ("op", "|"):
            commands.append([])
        elif tok == ("op", "("):
            stack.append(commands)
            commands = [[]]
        elif tok == ("op", ")"):
            if not stack:
                raise TemplateError("unexpected )")
            inner = commands
            commands = stack.pop()
            commands[-1].append(("pipe", inner))
        elif tok[0] == "op":
            raise TemplateError(f"unexpected {tok[1]!r}")
        else:
            commands[-1].append(tok)
    if stack:
        raise TemplateError("unclosed (")
    if any(not c for c in commands):
        raise TemplateError("missing value in pipeline")
    return commands


# ---- evaluation ------------------------------------------------------------------------------


def truthy(value: Any) -> bool:
    """Go's template truth: false, 0, nil and empty values are false."""
    if value is None or value is False:
        return False
    if isinstance(value, int | float | str | list | dict | tuple):
        return bool(value)
    return True


def go_print(value: Any) -> str:
    """A value as Go's ``fmt.Sprint`` prints it."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _printf(fmt: Any, *args: Any) -> str:
    values = list(args)

    def verb(match: re.Match[str]) -> str:
        spec, kind = match.group(1), match.group(2)
        if kind == "%":
            return "%"
        value = values.pop(0) if values else None
        if kind == "b" and isinstance(value, int) and not isinstance(value, bool):
            return format(value, "b")
        if kind in "dxXo" and isinstance(value, int | float) and not isinstance(value, bool):
            return ("%" + spec + kind) % int(value)
        if kind in "feEgG" and isinstance(value, int | float):
            return ("%" + spec + kind) % float(value)
        if kind == "q":
            return json.dumps(go_print(value) if not isinstance(value, str) else value, ensure_ascii=False)
        return ("%" + spec + "s") % go_print(value)

    return re.sub(r"%([-+ #0]*\d*(?:\.\d+)?)([a-zA-Z%])", verb, str(fmt))


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}


def _compare(op: str) -> Callable[..., bool]:
    def compare(a: Any, *others: Any) -> bool:
        if op == "eq":
            return any(a == b for b in others)
        b = others[0] if others else None
        try:
            return bool(_OPERATORS[op](a, b))
        except TypeError as ex:
            raise TemplateError(f"incompatible types for comparison: {go_print(a)}, {go_print(b)}") from ex

    return compare


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(str(key))
        elif isinstance(value, list | str):
            try:
                value = value[int(key)]
            except (IndexError, ValueError, TypeError) as ex:
                raise TemplateError(f"index out of range: {key}") from ex
        else:
            raise TemplateError(f"can't index item of type {type(value).__name__}")
    return value


def _slice(value: Any, *bounds: Any) -> Any:
    parts = [int(b) for b in bounds]
    return value[parts[0] if parts else 0 : parts[1] if len(parts) > 1 else None]


FUNCS: dict[str, Callable[..., Any]] = {
    "and": lambda *a: next((v for v in a if not truthy(v)), a[-1] if a else None),
    "or": lambda *a: next((v for v in a if truthy(v)), a[-1] if a else None),
    "not": lambda a: not truthy(a),
    "len": lambda a: len(a) if a is not None else 0,
    "index": _index,
    "slice": _slice,
    "eq": _compare("eq"), "ne": _compare("ne"), "lt": _compare("lt"),
    "le": _compare("le"), "gt": _compare("gt"), "ge": _compare("ge"),
    "print": lambda *a: "".join(go_print(v) for v in a),
    "println": lambda *a: " ".join(go_print(v) for v in a) + "\n",
    "printf": _printf,
    "html": lambda *a: escape("".join(go_print(v) for v in a)),
    "js": lambda *a: json.dumps("".join(go_print(v) for v in a))[1:-1].replace("<", "\\u003c").replace(">", "\\u003e"),
    "urlquery": lambda *a: urllib.parse.quote_plus("".join(go_print(v) for v in a)),
    "raw": lambda a: SafeHTML(a if isinstance(a, str) else go_print(a)),
}


def escape(text: str) -> str:
    """HTML-escape as Go's html/template does (``&#39;`` and ``&#34;`` for quotes)."""
    return html.escape(text, quote=True).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")


def _field(value: Any, names: list[str]) -> Any:
    for name in names:
        if isinstance(value, dict):
            value = value.get(name)
        elif value is None:
            return None
        else:
            raise TemplateError(f"can't evaluate field {name} in type {type(value).__name__}")
    return value


class Template:
    """Parsed templates: the first source is the one ``render`` runs; all share their defines."""

    def __init__(self, sources: list[str]) -> None:
        if not sources:
            raise TemplateError("no templates to parse")
        self.defines: dict[str, list[_Node]] = {}
        parser = _Parser(self.defines)
        parsed = [parser.parse(src) for src in sources]
        self.main = parsed[0]

    def render(self, data: Any) -> str:
        """Execute the main template with ``data`` as ``.`` and ``$``."""
        out: list[str] = []
        self._size = 0
        self._run(self.main, data, [{"$": data}], out, 0)
        return "".join(out)

    def _emit(self, out: list[str], text: str) -> None:
        self._size += len(text)
        if self._size > _MAX_OUTPUT:
            raise TemplateError("template output too large")
        out.append(text)

    def _run(self, nodes: list[_Node], dot: Any, scope: list[dict[str, Any]], out: list[str], depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise TemplateError("exceeded maximum template depth")
        for node in nodes:
            kind = node.kind
            if kind == "text":
                self._emit(out, node.text)
            elif kind == "action":
                value = self._pipe(node.pipe, dot, scope)
                if value is not None:
                    self._emit(out, value if isinstance(value, SafeHTML) else escape(go_print(value)))
            elif kind == "set":
                value = self._pipe(node.pipe, dot, scope)
                name = node.names[0]
                target = scope[-1] if node.declare else next((s for s in reversed(scope) if name in s), None)
                if target is None:
                    raise TemplateError(f"undefined variable: {name}")
                target[name] = value
            elif kind in ("if", "with"):
                self._branch(node, dot, scope, out, depth)
            elif kind == "range":
                self._range(node, dot, scope, out, depth)
            elif kind == "template":
                body = self.defines.get(node.text)
                if body is None:
                    raise TemplateError(f'no such template "{node.text}"')
                value = self._pipe(node.pipe, dot, scope) if node.pipe else None
                self._run(body, value, [{"$": value}], out, depth + 1)
            elif kind == "break":
                raise _BreakLoop()
            elif kind == "continue":
                raise _ContinueLoop()

    def _branch(self, node: _Node, dot: Any, scope: list[dict[str, Any]], out: list[str], depth: int) -> None:
        value = self._pipe(node.pipe, dot, scope)
        if not truthy(value):
            self._run(node.other, dot, [*scope, {}], out, depth + 1)
        elif node.kind == "with":
            self._run(node.body, value, [*scope, dict.fromkeys(node.names, value)], out, depth + 1)
        else:
            self._run(node.body, dot, [*scope, {}], out, depth + 1)

    def _range(self, node: _Node, dot: Any, scope: list[dict[str, Any]], out: list[str], depth: int) -> None:
        value = self._pipe(node.pipe, dot, scope)
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple | str):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        elif value is None:
            items = []
        else:
            raise TemplateError(f"range can't iterate over {go_print(value)}")
        if not items:
            self._run(node.other, dot, [*scope, {}], out, depth + 1)
            return
        for key, element in items:
            local: dict[str, Any] = {}
            if len(node.names) == 1:
                local[node.names[0]] = element
            elif len(node.names) >= 2:
                local[node.names[0]], local[node.names[1]] = key, element
            try:
                self._run(node.body, element, [*scope, local], out, depth + 1)
            except _ContinueLoop:
                continue
            except _BreakLoop:
                break

    def _pipe(self, commands: list[list[Any]], dot: Any, scope: list[dict[str, Any]]) -> Any:
        value: Any = None
        for index, command in enumerate(commands):
            value = self._command(command, dot, scope, value, index > 0)
        return value

    def _command(self, command: list[Any], dot: Any, scope: list[dict[str, Any]], piped: Any, has_piped: bool) -> Any:
        head = command[0]
        if head[0] == "ident" and head[1] not in ("true", "false", "nil"):
            fn = FUNCS.get(head[1])
            if fn is None:
                raise TemplateError(f'function "{head[1]}" not defined')
            args = [self._operand(op, dot, scope) for op in command[1:]]
            if has_piped:
                args.append(piped)
            try:
                return fn(*args)
            except TemplateError:
                raise
            except (TypeError, ValueError, IndexError, KeyError) as ex:
                raise TemplateError(f"error calling {head[1]}: {ex}") from ex
        if len(command) > 1 or has_piped:
            raise TemplateError("can't give arguments to a non-function")
        return self._operand(head, dot, scope)

    def _operand(self, op: Any, dot: Any, scope: list[dict[str, Any]]) -> Any:
        kind, text = op
        if kind == "pipe":
            return self._pipe(text, dot, scope)
        if kind == "field":
            return dot if text == "." else _field(dot, text[1:].split("."))
        if kind == "var":
            name, *path = text.split(".")
            for frame in reversed(scope):
                if name in frame:
                    return _field(frame[name], path)
            raise TemplateError(f"undefined variable: {name}")
        if kind == "ident":
            return {"true": True, "false": False, "nil": None}.get(text)
        return _literal(op)


def render_sources(sources: list[str], data: Any) -> str:
    """Parse ``sources`` (the first is the main template) and render it with ``data``."""
    return Template(sources).render(data)
