"""Parser from filter text to an immutable AST with source positions."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from pybase.tools.filter.lexer import FilterError, Lexer, Token, TokenKind, go_quote

MAX_FILTER_LENGTH = 3500
"""Longest accepted filter, in UTF-8 bytes (PocketBase's ``search.MaxFilterLength``)."""

MAX_FILTER_EXPRESSIONS = 200
"""Most ``left op right`` expressions in one filter (``search.DefaultFilterExprLimit``)."""

MAX_GROUP_DEPTH = 32
"""Deepest parenthesis nesting accepted (PocketBase has no limit; this one bounds recursion)."""

_PARSE_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Identifier:
    """A name such as ``title``, ``author.name:lower``, ``@request.auth.id`` or ``@now``."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Text:
    """A quoted string literal, escapes decoded."""

    value: str
    position: int


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric literal; ``value`` is a float as in PocketBase (0.0 when it overflows)."""

    value: float
    literal: str
    position: int


@dataclass(frozen=True, slots=True)
class Function:
    """A call such as ``geoDistance(lon, lat, 1, 2)``; arguments may be nested calls."""

    name: str
    args: tuple[Operand, ...]
    position: int


Operand: TypeAlias = Identifier | Text | Number | Function


@dataclass(frozen=True, slots=True)
class Expr:
    """One comparison ``left op right``; ``op`` is one of ``lexer.SIGN_OPERATORS``."""

    left: Operand
    op: str
    right: Operand
    position: int


@dataclass(frozen=True, slots=True)
class Group:
    """A parenthesised sub-filter; ``position`` is that of its ``(``."""

    node: Node
    position: int


@dataclass(frozen=True, slots=True)
class And:
    """Two or more nodes joined by ``&&``."""

    items: tuple[Node, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more nodes joined by ``||`` (``&&`` binds tighter, as in SQL)."""

    items: tuple[Node, ...]
    position: int


Node: TypeAlias = Expr | Group | And | Or


class _Step(enum.Enum):
    LEFT = enum.auto()
    SIGN = enum.auto()
    RIGHT = enum.auto()
    JOIN = enum.auto()


_OPERAND_KINDS = frozenset(
    {TokenKind.IDENTIFIER, TokenKind.TEXT, TokenKind.NUMBER, TokenKind.FUNCTION}
)


def parse_filter(
    text: str,
    *,
    max_expressions: int = MAX_FILTER_EXPRESSIONS,
    max_length: int | None = MAX_FILTER_LENGTH,
) -> Node:
    """Parse a filter into its AST, raising ``FilterError`` on invalid input (results are cached).

    Pass ``max_length=None`` for API rules, which PocketBase does not limit in length.
    """
    if not isinstance(text, str):
        raise FilterError("the filter must be a string", 0)
    return _parse_cached(text, max_expressions, max_length)


@lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_cached(text: str, max_expressions: int, max_length: int | None) -> Node:
    if max_length is not None and _utf8_length(text) > max_length:
        raise FilterError(f"max filter length limit reached (max: {max_length})", max_length)
    return _Parser(text, max_expressions).parse(0, len(text), 0)


def _utf8_length(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _operand(token: Token) -> Operand:
    if token.kind is TokenKind.IDENTIFIER:
        return Identifier(token.value, token.position)
    if token.kind is TokenKind.TEXT:
        return Text(token.value, token.position)
    if token.kind is TokenKind.NUMBER:
        value = float(token.value)
        # NOTE: PocketBase converts with cast.ToFloat64, which yields 0 when ParseFloat overflows.
        return Number(value if math.isfinite(value) else 0.0, token.value, token.position)
    return Function(token.value, tuple(_operand(arg) for arg in token.args), token.position)


def _describe(token: Token) -> str:
    if token.kind is TokenKind.GROUP:
        return "a parenthesised group"
    return f"{go_quote(token.value)} ({token.kind.value})"


class _Parser:
    __slots__ = ("_expressions", "_max_expressions", "_text")

    def __init__(self, text: str, max_expressions: int) -> None:
        self._text = text
        self._max_expressions = max_expressions
        self._expressions = 0

    def parse(self, start: int, end: int, depth: int) -> Node:
        """Parse ``text[start:end]`` (the whole filter or the inside of a group)."""
        # Each item is (is_or, node): fexpr's flat list of joined expressions.
        items: list[tuple[bool, Node]] = []
        step = _Step.LEFT
        is_or = False
        left: Operand | None = None
        op = ""
        for token in Lexer(self._text, start, end):
            if token.kind is TokenKind.GROUP:
                # NOTE: fexpr also accepts a group where an operand or a join is expected (and
                # silently drops the half-read expression); we reject that instead.
                if step is not _Step.LEFT:
                    raise self._unexpected(step, token)
                if depth + 1 > MAX_GROUP_DEPTH:
                    raise FilterError(
                        f"max nested parenthesis depth reached (max: {MAX_GROUP_DEPTH})",
                        token.position,
                    )
                inner = self.parse(token.position + 1, token.end - 1, depth + 1)
                items.append((is_or, Group(inner, token.position)))
                step = _Step.JOIN
            elif step is _Step.LEFT:
                if token.kind not in _OPERAND_KINDS:
                    raise self._unexpected(step, token)
                left = _operand(token)
                step = _Step.SIGN
            elif step is _Step.SIGN:
                if token.kind is not TokenKind.SIGN:
                    raise self._unexpected(step, token)
                op = token.value
                step = _Step.RIGHT
            elif step is _Step.RIGHT:
                if token.kind not in _OPERAND_KINDS:
                    raise self._unexpected(step, token)
                assert left is not None
                items.append((is_or, self._expression(left, op, _operand(token))))
                left = None
                step = _Step.JOIN
            else:
                if token.kind is not TokenKind.JOIN:
                    raise self._unexpected(step, token)
                is_or = token.value == "||"
                step = _Step.LEFT
        if step is not _Step.JOIN:
            if not items and left is None:
                raise FilterError("empty filter expression", max(start - 1, 0))
            raise FilterError("invalid or incomplete filter expression", end)
        return _combine(items)

    def _expression(self, left: Operand, op: str, right: Operand) -> Expr:
        self._expressions += 1
        if self._expressions > self._max_expressions:
            raise FilterError(
                f"max filter expressions limit reached (max: {self._max_expressions})",
                left.position,
            )
        return Expr(left, op, right, left.position)

    @staticmethod
    def _unexpected(step: _Step, token: Token) -> FilterError:
        expected = {
            _Step.LEFT: "expected left operand (identifier, function, text or number)",
            _Step.SIGN: "expected a sign operator",
            _Step.RIGHT: "expected right operand (identifier, function, text or number)",
            _Step.JOIN: "expected && or ||",
        }[step]
        return FilterError(f"{expected}, got {_describe(token)}", token.position)


def _combine(items: list[tuple[bool, Node]]) -> Node:
    """Turn fexpr's flat ``a && b || c`` list into And/Or nodes with SQL precedence."""
    branches: list[list[Node]] = []
    for is_or, node in items:
        if is_or or not branches:
            branches.append([node])
        else:
            branches[-1].append(node)
    ands: list[Node] = [
        nodes[0] if len(nodes) == 1 else And(tuple(nodes), _position(nodes[0]))
        for nodes in branches
    ]
    if len(ands) == 1:
        return ands[0]
    return Or(tuple(ands), _position(ands[0]))


def _position(node: Node) -> int:
    return node.position


def iter_expressions(node: Node) -> list[Expr]:
    """Return every ``Expr`` of an AST in source order."""
    found: list[Expr] = []
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Expr):
            found.append(current)
        elif isinstance(current, Group):
            stack.append(current.node)
        else:
            stack.extend(reversed(current.items))
    return found
