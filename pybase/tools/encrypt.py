"""Symmetric encryption of small values with AES-GCM, in PocketBase's stored format.

The text is ``base64(nonce || ciphertext || tag)`` (standard alphabet, padded) with a random
12-byte nonce; the key is the raw bytes of a 16, 24 or 32 character string (AES-128/192/256,
PocketBase asks for 32). A value written by either server decrypts on the other.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_SIZE = 12


class EncryptionError(ValueError):
    """A bad key, or a text that is not a value encrypted with this key."""


def _cipher(key: str) -> AESGCM:
    # PERF: imported on first use: the cryptography bindings cost ~14 MB per process, and most
    # servers never encrypt their settings.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = key.encode()
    if len(raw) not in (16, 24, 32):
        raise EncryptionError(f"crypto/aes: invalid key size {len(raw)}")
    return AESGCM(raw)


def encrypt(data: bytes, key: str) -> str:
    """``data`` encrypted with ``key``, as base64 text."""
    nonce = os.urandom(NONCE_SIZE)
    return base64.b64encode(nonce + _cipher(key).encrypt(nonce, data, None)).decode("ascii")


def decrypt(text: str, key: str) -> bytes:
    """The bytes :func:`encrypt` turned into ``text``; EncryptionError when the key or text is wrong."""
    cipher = _cipher(key)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as ex:
        raise EncryptionError("illegal base64 data") from ex
    if len(raw) < NONCE_SIZE:
        raise EncryptionError("cipher: message authentication failed")
    from cryptography.exceptions import InvalidTag

    try:
        return cipher.decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], None)
    except InvalidTag as ex:
        raise EncryptionError("cipher: message authentication failed") from ex
