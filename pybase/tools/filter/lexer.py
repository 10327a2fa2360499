"""Tokenizer for the PocketBase filter language (the grammar of its fexpr package)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_FUNCTION_DEPTH = 3
"""Function calls may nest this deep, counting the outer call (fexpr's limit)."""

SIGN_OPERATORS = frozenset(
    {"=", "!=", ">", ">=", "<", "<=", "~", "!~"}
    | {"?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"}
)
JOIN_OPERATORS = frozenset({"&&", "||"})

# NOTE: fexpr only treats space, tab and newline as whitespace; "\r" is an unexpected character.
_WHITESPACE = frozenset(" \t\n")
_WHITESPACE_RE = re.compile(r"[ \t\n]+")
_IDENTIFIER_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_#")
_IDENTIFIER_RE = re.compile(r"[A-Za-z@_#][A-Za-z0-9_.:]*")
_NUMBER_START = frozenset("-0123456789")
_NUMBER_RE = re.compile(r"-?[0-9]*(?:\.[0-9]*)?")
_SIGN_CHARS = frozenset("=?!<>~")
_SIGN_RE = re.compile(r"[=?!<>~]+")
_JOIN_CHARS = frozenset("&|")
_JOIN_RE = re.compile(r"[&|]+")
_QUOTES = frozenset("'\"")
_TEXT_RES = {
    "'": re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'", re.DOTALL),
    '"': re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL),
}
_GROUP_STOP_RE = re.compile(r"[()'\"]")
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
# The escapes PocketBase's scanner decodes in a quoted literal (probed on 0.40.6, every ASCII
# character after a backslash, both quotes); any other backslash stays as written: '\u0041',
# '\x41', '\b' and '100\%' keep their backslash.
_TEXT_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
# strconv.Quote's named escapes
_QUOTE_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def go_quote(value: object) -> str:
    """``value`` as Go's ``strconv.Quote`` (``%q``) writes it: in double quotes, ``"`` and ``\\``
    escaped, a character Go does not print as ``\\n``-like, ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN``."""
    text = str(value)
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    out = []
    for ch in text:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)  # NOTE: Python's printable is Go's IsPrint: letters, marks, numbers, punctuation, symbols, ' '
        elif ch in _QUOTE_ESCAPES:
            out.append(_QUOTE_ESCAPES[ch])
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def go_quote_rune(ch: str) -> str:
    """One character as Go's ``strconv.QuoteRune`` (``%q`` of a rune) writes it: in single
    quotes, ``'`` and ``\\`` escaped (``"`` not), else as :func:`go_quote`."""
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    return "'" + go_quote(ch)[1:-1] + "'"


class FilterError(ValueError):
    """An invalid filter or sort expression, with the character position of the problem."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position})"


class TokenKind(enum.Enum):
    """The kinds of significant tokens (whitespace and comments are skipped)."""

    IDENTIFIER = "identifier"
    FUNCTION = "function"
    NUMBER = "number"
    TEXT = "text"
    SIGN = "sign"
    JOIN = "join"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, value, span in the source and, for a function, its arguments.

    ``value`` is the identifier or function name, the decoded text, the number literal, the
    operator, or for a group the raw source between its parentheses.
    """

    kind: TokenKind
    value: str
    position: int
    end: int
    args: tuple[Token, ...] = ()


def decode_text(raw: str) -> str:
    """Decode the backslash escapes of a quoted literal's body (quotes already stripped)."""
    if "\\" in raw:
        raw = _ESCAPE_RE.sub(_decode_escape, raw)
    if _SURROGATE_RE.search(raw):
        # NOTE: lone surrogates as U+FFFD, which SQLite could not bind otherwise (Go does the
        # same with invalid UTF-8)
        raw = raw.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return raw


def _decode_escape(match: re.Match[str]) -> str:
    return _TEXT_ESCAPES.get(match.group(1), match.group(0))


def _is_valid_identifier(name: str) -> bool:
    return name[-1] not in ".:" and not (len(name) == 1 and name in "@_#")


class Lexer:
    """Splits ``text[start:end]`` into tokens, skipping whitespace and ``//`` comments.

    A parenthesised group is returned as one ``GROUP`` token (as fexpr does); the parser lexes
    its inside again with ``Lexer(text, token.position + 1, token.end - 1)``.
    """

    __slots__ = ("_end", "_pos", "_text")

    def __init__(self, text: str, start: int = 0, end: int | None = None) -> None:
        self._text = text
        self._pos = start
        self._end = len(text) if end is None else end

    def __iter__(self) -> Iterator[Token]:
        while (token := self.next_token()) is not None:
            yield token

    def next_token(self) -> Token | None:
        """Return the next significant token, or None at the end of the region."""
        text, end = self._text, self._end
        while self._pos < end:
            ch = text[self._pos]
            if ch in _WHITESPACE:
                self._skip_whitespace()
            elif ch == "/":
                self._skip_comment()
            elif ch == "(":
                return self._scan_group()
            elif ch in _IDENTIFIER_START:
                return self._scan_identifier(MAX_FUNCTION_DEPTH)
            elif ch in _NUMBER_START:
                return self._scan_number()
            elif ch in _QUOTES:
                return self._scan_text()
            elif ch in _SIGN_CHARS:
                return self._scan_operator(_SIGN_RE, SIGN_OPERATORS, TokenKind.SIGN)
            elif ch in _JOIN_CHARS:
                return self._scan_operator(_JOIN_RE, JOIN_OPERATORS, TokenKind.JOIN)
            else:
                raise FilterError(f"unexpected character {go_quote_rune(ch)}", self._pos)
        return None

    def _skip_whitespace(self) -> None:
        match = _WHITESPACE_RE.match(self._text, self._pos, self._end)
        assert match is not None
        self._pos = match.end()

    def _skip_comment(self) -> None:
        text, pos, end = self._text, self._pos, self._end
        if pos + 1 >= end or text[pos + 1] != "/":
            raise FilterError("invalid comment", pos)
        newline = text.find("\n", pos + 2, end)
        self._pos = end if newline < 0 else newline + 1

    def _scan_operator(
        self, pattern: re.Pattern[str], valid: frozenset[str], kind: TokenKind
    ) -> Token:
        start = self._pos
        match = pattern.match(self._text, start, self._end)
        assert match is not None
        literal = match.group()
        if literal not in valid:
            raise FilterError(f"invalid {kind.value} operator {go_quote(literal)}", start)
        self._pos = match.end()
        return Token(kind, literal, start, self._pos)

    def _scan_number(self) -> Token:
        start = self._pos
        match = _NUMBER_RE.match(self._text, start, self._end)
        assert match is not None
        literal = match.group()
        if literal == "-" or literal.endswith("."):
            raise FilterError(f"invalid number {go_quote(literal)}", start)
        self._pos = match.end()
        return Token(TokenKind.NUMBER, literal, start, self._pos)

    def _scan_text(self) -> Token:
        start = self._pos
        quote = self._text[start]
        match = _TEXT_RES[quote].match(self._text, start, self._end)
        if match is None:
            raise FilterError("invalid quoted text (missing closing quote)", start)
        self._pos = match.end()
        value = decode_text(self._text[start + 1 : self._pos - 1])
        return Token(TokenKind.TEXT, value, start, self._pos)

    def _scan_identifier(self, depth: int) -> Token:
        text, start, end = self._text, self._pos, self._end
        match = _IDENTIFIER_RE.match(text, start, end)
        assert match is not None
        name, pos = match.group(), match.end()
        if pos < end and text[pos] == "(":
            if depth <= 0:
                raise FilterError(
                    f"max nested function arguments reached (max: {MAX_FUNCTION_DEPTH})", start
                )
            if not _is_valid_identifier(name):
                raise FilterError(f"invalid function name {go_quote(name)}", start)
            self._pos = pos
            return self._scan_function_args(name, start, depth)
        if not _is_valid_identifier(name):
            raise FilterError(f"invalid identifier {go_quote(name)}", start)
        self._pos = pos
        return Token(TokenKind.IDENTIFIER, name, start, pos)

    def _scan_function_args(self, name: str, start: int, depth: int) -> Token:
        text, end = self._text, self._end
        pos = self._pos + 1
        args: list[Token] = []
        expect_comma = False
        while True:
            if pos >= end:
                raise FilterError(f"invalid or incomplete function {go_quote(name)} (expected ')')", start)
            ch = text[pos]
            if ch == ")":
                pos += 1
                break
            self._pos = pos
            if ch in _WHITESPACE:
                self._skip_whitespace()
            elif ch == "/":
                self._skip_comment()
            elif ch == ",":
                if not expect_comma:
                    raise FilterError(f"unexpected comma in function {go_quote(name)}", pos)
                expect_comma = False
                self._pos = pos + 1
            elif expect_comma:
                raise FilterError(
                    f"expected comma after the last argument in function {go_quote(name)}", pos
                )
            else:
                args.append(self._scan_argument(ch, name, depth))
                expect_comma = True
            pos = self._pos
        self._pos = pos
        return Token(TokenKind.FUNCTION, name, start, pos, tuple(args))

    def _scan_argument(self, ch: str, name: str, depth: int) -> Token:
        if ch in _IDENTIFIER_START:
            return self._scan_identifier(depth - 1)
        if ch in _NUMBER_START:
            return self._scan_number()
        if ch in _QUOTES:
            return self._scan_text()
        raise FilterError(f"unsupported argument character {go_quote(ch)} in function {go_quote(name)}", self._pos)

    def _scan_group(self) -> Token:
        text, start, end = self._text, self._pos, self._end
        open_groups = 1
        pos = start + 1
        while True:
            match = _GROUP_STOP_RE.search(text, pos, end)
            if match is None:
                raise FilterError(
                    f"invalid formatted group - missing {open_groups} closing bracket(s)", start
                )
            pos = match.start()
            ch = text[pos]
            if ch == "(":
                open_groups += 1
            elif ch == ")":
                open_groups -= 1
                if open_groups == 0:
                    break
            else:
                # NOTE: quoted text is skipped whole so that brackets inside it do not count.
                quoted = _TEXT_RES[ch].match(text, pos, end)
                if quoted is None:
                    raise FilterError("invalid quoted text (missing closing quote)", pos)
                pos = quoted.end() - 1
            pos += 1
        self._pos = pos + 1
        return Token(TokenKind.GROUP, text[start + 1 : pos], start, pos + 1)


def tokenize(text: str) -> list[Token]:
    """Return the top-level tokens of ``text`` (groups are not expanded)."""
    return list(Lexer(text))
