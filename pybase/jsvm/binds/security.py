"""``$security`` for JS: hashes, random strings, JWTs and AES-GCM, as PocketBase's tools/security."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import re
import secrets
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.core.errors import BadRequestError
from pybase.tools import security

# NOTE: the stdlib's own regex parser (public as sre_parse until 3.11, deprecated since).
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from pybase.jsvm.pool import Executor


def _jwt() -> Any:
    """PyJWT, imported on first use: it loads the cryptography bindings (~14 MB per process)."""
    import jwt

    # NOTE: PocketBase accepts any HMAC key length for $security JWTs; PyJWT >= 2.10 warns on short ones.
    short_key_warning = getattr(getattr(jwt, "warnings", None), "InsecureKeyLengthWarning", None)
    if short_key_warning is not None:
        warnings.filterwarnings("ignore", category=short_key_warning)
    return jwt

GCM_NONCE_SIZE = 12  # Go's cipher.NewGCM default nonce size
MAX_REPEAT = 6  # PocketBase's defaultMaxRepeat for unbounded regex repeats
_ANY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_CATEGORY_CHARS = {
    sre_constants.CATEGORY_DIGIT: "0123456789",
    sre_constants.CATEGORY_WORD: _ANY_CHARS + "_",
    sre_constants.CATEGORY_SPACE: " \t\n\r\f\v",
}


def _text(value: Any) -> bytes:
    return ("" if value is None else str(value)).encode()


def _str(value: Any) -> str:
    return "" if value is None else str(value)


# ---- JWT -------------------------------------------------------------------------------------


def create_jwt(ex: Executor, payload: Any, secret: Any, duration: Any) -> str:
    """An HS256 token whose ``exp`` is now + ``duration`` seconds (payload keys win, as PB)."""
    claims: dict[str, Any] = {"exp": int(time.time()) + int(float(duration or 0))}
    if isinstance(payload, dict):
        claims.update(payload)
    return str(_jwt().encode(claims, _str(secret), algorithm="HS256"))


def _jwt_error(ex_: Exception, token: str, *, verified: bool) -> BadRequestError:
    """PyJWT's error as golang-jwt v5 words it (PocketBase's parse errors): ``token is
    malformed: ...``, ``token signature is invalid: ...``, ``token has invalid claims: ...``
    (without that prefix from parseUnverifiedJWT, which checks the claims itself)."""
    jwt = _jwt()
    claims = "token has invalid claims: " if verified else ""
    if isinstance(ex_, jwt.ExpiredSignatureError):
        return BadRequestError(f"{claims}token is expired")
    if isinstance(ex_, jwt.ImmatureSignatureError):
        return BadRequestError(f"{claims}token is not valid yet")
    if isinstance(ex_, jwt.InvalidSignatureError):
        return BadRequestError("token signature is invalid: signature is invalid")
    if isinstance(ex_, jwt.InvalidAlgorithmError):
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            alg = ""
        return BadRequestError(f"token signature is invalid: signing method {alg} is invalid")
    parts = token.split(".")
    if len(parts) != 3:
        return BadRequestError("token is malformed: token contains an invalid number of segments")
    for part, name in ((parts[0], "header"), (parts[1], "claim")):
        at = _base64_error_at(part, url=True)
        if at is not None:
            return BadRequestError(f"token is malformed: could not base64 decode {name}: illegal base64 data at input byte {at}")
    return BadRequestError(f"token is malformed: {ex_}")


def parse_unverified_jwt(ex: Executor, token: Any) -> dict[str, Any]:
    """The claims of a token without checking its signature (exp, nbf and iat are checked)."""
    options: Any = {"verify_signature": False, "verify_exp": True, "verify_nbf": True, "verify_iat": True}
    jwt = _jwt()
    text = _str(token)
    try:
        claims = jwt.decode(text, options=options, algorithms=["HS256", "HS384", "HS512", "RS256", "ES256"])
    except jwt.PyJWTError as ex_:
        raise _jwt_error(ex_, text, verified=False) from ex_
    return dict(claims)


def parse_jwt(ex: Executor, token: Any, secret: Any) -> dict[str, Any]:
    """The claims of an HS256 token signed with ``secret`` (and not expired)."""
    jwt = _jwt()
    text = _str(token)
    try:
        claims = jwt.decode(text, _str(secret), algorithms=["HS256"])
    except jwt.PyJWTError as ex_:
        raise _jwt_error(ex_, text, verified=True) from ex_
    return dict(claims)


_B64_STD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_B64_URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _base64_error_at(text: str, *, url: bool) -> int | None:
    """Where Go's base64 decoder (raw URL alphabet for JWT parts, padded standard otherwise)
    reports ``illegal base64 data at input byte N``, or None when the text decodes."""
    alphabet = _B64_URL if url else _B64_STD
    body = text if url else text.rstrip("=")
    for index, ch in enumerate(body):
        if ch not in alphabet:
            return index
    if url:
        return len(body) - 1 if len(body) % 4 == 1 else None
    padding = len(text) - len(body)
    if len(text) % 4 == 0 and padding <= 2 and (len(body) + padding) % 4 == 0 and len(body) % 4 != 1:
        return None
    return len(body) if padding else (len(body) - len(body) % 4 if len(body) % 4 else len(body))


# ---- AES-256-GCM -----------------------------------------------------------------------------


def _cipher(key: Any) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = _text(key)
    if len(raw) not in (16, 24, 32):
        raise BadRequestError(f"crypto/aes: invalid key size {len(raw)}")
    return AESGCM(raw)


def encrypt(ex: Executor, data: Any, key: Any) -> str:
    """base64(nonce + ciphertext + tag): the format of PocketBase's ``security.Encrypt``."""
    nonce = secrets.token_bytes(GCM_NONCE_SIZE)
    plain = bytes(_byte(b) for b in data) if isinstance(data, list) else _text(data)
    return base64.b64encode(nonce + _cipher(key).encrypt(nonce, plain, None)).decode()


def _byte(value: Any) -> int:
    """An array item as goja converts it to a byte (a number's low 8 bits, 0 for no number)."""
    try:
        return int(float(value)) & 0xFF
    except (TypeError, ValueError, OverflowError):
        return 0


def decrypt(ex: Executor, cipher_text: Any, key: Any) -> str:
    """The text :func:`encrypt` (or PocketBase) encrypted with ``key``."""
    aes = _cipher(key)
    try:
        raw = base64.b64decode(_str(cipher_text), validate=True)
    except (binascii.Error, ValueError) as ex_:
        at = _base64_error_at(_str(cipher_text), url=False)
        raise BadRequestError(f"illegal base64 data at input byte {at if at is not None else 0}") from ex_
    if len(raw) < GCM_NONCE_SIZE:
        raise BadRequestError("cipher: message authentication failed")
    from cryptography.exceptions import InvalidTag

    try:
        plain = aes.decrypt(raw[:GCM_NONCE_SIZE], raw[GCM_NONCE_SIZE:], None)
    except InvalidTag as ex_:
        raise BadRequestError("cipher: message authentication failed") from ex_
    return plain.decode("utf-8", "replace")


# ---- random strings by regex -----------------------------------------------------------------


def random_string_by_regex(ex: Executor, pattern: Any, flags: Any = None) -> str:
    """A random string matching ``pattern`` (unbounded repeats stop at 6, as PocketBase)."""
    text = _str(pattern)
    try:
        parsed = sre_parse.parse(text)
    except re.error as ex_:
        raise BadRequestError(f"error parsing regexp: {_go_regexp_error(ex_, text)}") from ex_
    out: list[str] = []
    _write(parsed, out)
    return "".join(out)


def _go_regexp_error(ex_: re.error, pattern: str) -> str:
    """Python's regex syntax error as Go's regexp/syntax words the common ones."""
    message, pos = str(ex_.msg), ex_.pos if ex_.pos is not None else 0
    if message.startswith("missing ), unterminated subpattern"):
        return f"missing closing ): `{pattern}`"
    if message.startswith("unbalanced parenthesis"):
        return f"unexpected ): `{pattern}`"
    if message.startswith("unterminated character set"):
        return f"missing closing ]: `{pattern[pos:]}`"
    if message.startswith("nothing to repeat"):
        return f"missing argument to repetition operator: `{pattern[pos:pos + 1]}`"
    return message


def _pick(chars: str) -> str:
    if not chars:
        raise BadRequestError("unsupported regex pattern (empty character class)")
    return chars[secrets.randbelow(len(chars))]


def _class_chars(items: list[Any]) -> str:
    negate = False
    chars: list[str] = []
    for op, arg in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op is sre_constants.RANGE:
            chars.extend(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre_constants.CATEGORY and arg in _CATEGORY_CHARS:
            chars.extend(_CATEGORY_CHARS[arg])
        else:
            raise BadRequestError(f"unsupported regex class item {op}")
    if negate:
        excluded = set(chars)
        return "".join(c for c in _ANY_CHARS if c not in excluded)
    return "".join(dict.fromkeys(chars))


def _write(parsed: Any, out: list[str]) -> None:
    for op, arg in parsed:
        if op is sre_constants.LITERAL:
            out.append(chr(arg))
        elif op is sre_constants.NOT_LITERAL:
            out.append(_pick(_ANY_CHARS.replace(chr(arg), "")))
        elif op is sre_constants.ANY:
            out.append(_pick(_ANY_CHARS))
        elif op is sre_constants.IN:
            out.append(_pick(_class_chars(list(arg))))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, getattr(sre_constants, "POSSESSIVE_REPEAT", None)):
            low, high, sub = arg
            high = MAX_REPEAT if high == sre_constants.MAXREPEAT else high
            high = max(high, low)
            for _ in range(low + (secrets.randbelow(high - low + 1) if high > low else 0)):
                _write(sub, out)
        elif op is sre_constants.SUBPATTERN:
            _write(arg[-1], out)
        elif op is getattr(sre_constants, "ATOMIC_GROUP", None):
            _write(arg, out)
        elif op is sre_constants.BRANCH:
            branches = arg[1]
            _write(branches[secrets.randbelow(len(branches))], out)
        elif op is sre_constants.AT:
            continue  # anchors produce nothing
        elif op is sre_constants.CATEGORY:
            out.append(_pick(_CATEGORY_CHARS.get(arg, "")))
        else:
            raise BadRequestError(f"unsupported regex pattern operator {op}")


OPS: dict[str, Callable[..., Any]] = {
    "security.randomString": lambda ex, n: security.random_string(int(n)),
    "security.randomStringWithAlphabet": lambda ex, n, alphabet: security.random_string(int(n), str(alphabet)),
    "security.randomStringByRegex": random_string_by_regex,
    "security.md5": lambda ex, text: hashlib.md5(_text(text)).hexdigest(),  # noqa: S324 - PB's API
    "security.sha256": lambda ex, text: hashlib.sha256(_text(text)).hexdigest(),
    "security.sha512": lambda ex, text: hashlib.sha512(_text(text)).hexdigest(),
    "security.hs256": lambda ex, text, secret: hmac.new(_text(secret), _text(text), hashlib.sha256).hexdigest(),
    "security.hs512": lambda ex, text, secret: hmac.new(_text(secret), _text(text), hashlib.sha512).hexdigest(),
    "security.equal": lambda ex, a, b: security.equal(_str(a), _str(b)),
    "security.createJWT": create_jwt,
    "security.parseUnverifiedJWT": parse_unverified_jwt,
    "security.parseJWT": parse_jwt,
    "security.encrypt": encrypt,
    "security.decrypt": decrypt,
}
