"""Split a string on separator characters, keeping quoted and parenthesised parts whole.

The splitting PocketBase applies to its comma lists (``fields=``, modifier arguments) and to a
view query (its statements, its select list and tables): tokens are trimmed, empty ones dropped,
a backslash escapes a quote or parenthesis, and an unclosed quote or parenthesis is an error.
"""

from __future__ import annotations

from pybase.tools.filter.lexer import go_quote

QUOTES = "'\"`"
ESCAPE = "\\"
# NOTE: Go's whitespace set of the tokenizer: U+0085 and U+00A0 are trimmed too
WHITESPACE = " \t\n\r\v\f\x85\xa0"


class TokenizeError(ValueError):
    """An unbalanced parenthesis or quote."""


def split_tokens(
    text: str, separators: str = ",", *, group_parentheses: bool = True, keep_separator: bool = False,
) -> list[str]:
    """The non-empty, trimmed tokens of ``text`` between ``separators`` (PocketBase's
    ``Tokenizer.ScanAll``); ``keep_separator``: each token keeps the separator that ended it.

    As Go's reader gives rune 0 for the end of the input, a NUL ends the token it is in, and one
    where a token would begin ends the scan.
    """
    trim = "".join(ch for ch in WHITESPACE if ch not in separators)
    tokens: list[str] = []
    at, end = 0, len(text)
    while at < end and text[at] != "\x00":
        current: list[str] = []
        depth = 0
        quote = ""
        previous = ""
        while at < end:
            ch = text[at]
            at += 1
            if ch == "\x00":
                break
            if previous != ESCAPE:
                if group_parentheses and ch == "(" and not quote:
                    depth += 1
                elif group_parentheses and ch == ")" and depth and not quote:
                    depth -= 1
                elif ch in QUOTES:
                    if quote == ch:
                        quote = ""
                    elif not quote:
                        quote = ch
            if ch in separators and not depth and not quote:
                if keep_separator:
                    current.append(ch)
                break
            current.append(ch)
            previous = ch
        if depth or quote:
            raise TokenizeError(f"unbalanced parenthesis or quoted expression: {go_quote(''.join(current))}")
        token = "".join(current).strip(trim)
        if token:
            tokens.append(token)
    return tokens
