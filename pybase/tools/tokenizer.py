"""Split a string on separator characters, keeping quoted and parenthesised parts whole.

The splitting PocketBase applies to its comma lists (``fields=``, modifier arguments): tokens
are trimmed, empty ones dropped, a backslash escapes a quote or parenthesis, and an unclosed
quote or parenthesis is an error.
"""

from __future__ import annotations

QUOTES = "'\"`"
ESCAPE = "\\"
WHITESPACE = " \t\n\r\v\f"


class TokenizeError(ValueError):
    """An unbalanced parenthesis or quote."""


def split_tokens(text: str, separators: str = ",", *, group_parentheses: bool = True) -> list[str]:
    """The non-empty, trimmed tokens of ``text`` between ``separators``."""
    trim = "".join(ch for ch in WHITESPACE if ch not in separators)
    tokens: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    previous = ""
    for ch in text:
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
            _keep("".join(current), trim, tokens)
            current, previous = [], ""
            continue
        current.append(ch)
        previous = ch
    if depth or quote:
        raise TokenizeError(f"unbalanced parenthesis or quoted expression: {''.join(current)!r}")
    _keep("".join(current), trim, tokens)
    return tokens


def _keep(token: str, trim: str, tokens: list[str]) -> None:
    token = token.strip(trim)
    if token:
        tokens.append(token)
