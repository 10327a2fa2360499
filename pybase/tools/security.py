"""Random identifiers and constant-time comparisons."""

from __future__ import annotations

import hmac
import secrets
import zlib

DEFAULT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_string(length: int, alphabet: str = ALPHANUMERIC) -> str:
    """A cryptographically random string of ``length`` characters from ``alphabet``."""
    choice = secrets.choice
    return "".join(choice(alphabet) for _ in range(length))


def random_id(length: int = 15) -> str:
    """A record id as PocketBase makes them: lowercase letters and digits."""
    return random_string(length, DEFAULT_ID_ALPHABET)


def crc32_checksum(value: str) -> str:
    """CRC-32 (IEEE) of ``value`` as a decimal string, used for stable collection/field ids."""
    return str(zlib.crc32(value.encode()))


def equal(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
