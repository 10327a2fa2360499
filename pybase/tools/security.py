"""Random identifiers and constant-time comparisons."""

from __future__ import annotations

import hmac
import secrets
import zlib

DEFAULT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    """A cryptographically random string of ``length`` characters from ``alphabet``.

    PERF: one ``os.urandom`` call per string instead of one per character; bytes past the
    largest multiple of the alphabet size are rejected, so every character is equally likely.
    """
    size = len(alphabet)
    if size == 0 or size > 256:
        raise ValueError("alphabet must have 1 to 256 characters")
    limit = 256 - (256 % size)
    out: list[str] = []
    while len(out) < length:
        for byte in secrets.token_bytes(length - len(out) + 8):
            if byte < limit:
                out.append(alphabet[byte % size])
                if len(out) == length:
                    break
    return "".join(out)


def random_id(length: int = 15) -> str:
    """A record id as PocketBase makes them: lowercase letters and digits."""
    return random_string(length, DEFAULT_ID_ALPHABET)


def crc32_checksum(value: str) -> str:
    """CRC-32 (IEEE) of ``value`` as a decimal string, used for stable collection/field ids."""
    return str(zlib.crc32(value.encode()))


def equal(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
