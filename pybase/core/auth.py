"""Auth tokens (PocketBase's HS256 JWTs) and the password sign-in check.

PERF: the tokens pybase itself signs and checks (HS256 with PocketBase's plain header) are made
and verified here with hmac; PyJWT is imported only for other tokens. Importing PyJWT loads
the ``cryptography`` bindings (~14 MB in every worker process) for algorithms these never use.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

import orjson

from pybase.core.errors import BadRequestError
from pybase.core.records import check_password, hash_password
from pybase.tools.security import random_string

if TYPE_CHECKING:
    from pybase.core.collection_registry import CollectionRegistry
    from pybase.core.collections import Collection
    from pybase.core.record_query import RecordStore
    from pybase.core.records import Record

TOKEN_AUTH = "auth"
TOKEN_FILE = "file"
TOKEN_VERIFICATION = "verification"
TOKEN_PASSWORD_RESET = "passwordReset"
TOKEN_EMAIL_CHANGE = "emailChange"
# token type claim -> collection option holding its duration and secret
TOKEN_OPTION = {
    TOKEN_AUTH: "authToken",
    TOKEN_FILE: "fileToken",
    TOKEN_VERIFICATION: "verificationToken",
    TOKEN_PASSWORD_RESET: "passwordResetToken",
    TOKEN_EMAIL_CHANGE: "emailChangeToken",
}


def signing_key(record: Record, token_type: str) -> str:
    """The HMAC key: the record's tokenKey plus the collection's secret for that token type."""
    option = record.collection.token_option(TOKEN_OPTION[token_type])
    return record.token_key + str(option.get("secret") or "")


def new_auth_token(record: Record, *, refreshable: bool = True, duration: int | None = None) -> str:
    """A signed auth token with PocketBase's claims (no ``iat``)."""
    option = record.collection.token_option("authToken")
    seconds = duration if duration else int(option.get("duration") or 0)
    claims: dict[str, Any] = {
        "collectionId": record.collection.id,
        "exp": int(time.time()) + seconds,
        "id": record.id,
        "refreshable": refreshable,
        "type": TOKEN_AUTH,
    }
    return sign_hs256(claims, signing_key(record, TOKEN_AUTH))


def new_token(record: Record, token_type: str, extra: dict[str, Any] | None = None) -> str:
    """A signed non-auth token (file, verification, password reset...)."""
    option = record.collection.token_option(TOKEN_OPTION[token_type])
    claims: dict[str, Any] = {
        "collectionId": record.collection.id,
        "exp": int(time.time()) + int(option.get("duration") or 0),
        "id": record.id,
        "type": token_type,
        **(extra or {}),
    }
    return sign_hs256(claims, signing_key(record, token_type))


# The header PocketBase (and PyJWT) write on HS256 tokens, as encoded.
_HS256_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def _b64url(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def base64url_decode(raw: bytes) -> bytes:
    """Unpadded base64url, as JWTs carry it; ValueError when it is not."""
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except binascii.Error as ex:
        raise ValueError(str(ex)) from ex


_HS256_PREFIX = _b64url(_HS256_HEADER) + b"."


def sign_hs256(claims: dict[str, Any], key: str) -> str:
    """An HS256 JWT of ``claims`` (compact JSON in their order), as PyJWT's ``encode`` makes it."""
    signing_input = _HS256_PREFIX + _b64url(orjson.dumps(claims))
    signature = hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _b64url(signature)).decode("ascii")
# Claims PyJWT checks beyond ``exp`` (a token carrying one takes the PyJWT path).
_CHECKED_CLAIMS = frozenset({"iat", "nbf", "aud", "iss", "sub", "jti"})


class _FastToken:
    """An HS256 token with PocketBase's plain header and claims, verified without PyJWT.

    PERF: PyJWT decodes a token twice per request here (claims, then signature); this is the
    same check (HMAC-SHA256 over ``header.payload``, ``exp`` in the past refused) in one pass.
    """

    __slots__ = ("claims", "signing_input", "signature")

    def __init__(self, claims: dict[str, Any], signing_input: bytes, signature: bytes) -> None:
        self.claims = claims
        self.signing_input = signing_input
        self.signature = signature

    @classmethod
    def parse(cls, token: str) -> _FastToken | None:
        """The token's parts, or None when it is not a plain HS256 token (PyJWT decides then)."""
        try:
            raw = token.encode("ascii")
            header, payload, signature = raw.split(b".")
            if base64url_decode(header) != _HS256_HEADER:
                return None
            claims = orjson.loads(base64url_decode(payload))
            sig = base64url_decode(signature)
        except (ValueError, orjson.JSONDecodeError):
            return None
        if not isinstance(claims, dict) or not _CHECKED_CLAIMS.isdisjoint(claims):
            return None
        exp = claims.get("exp")
        if exp is not None and (isinstance(exp, bool) or not isinstance(exp, int)):
            return None
        return cls(claims, raw[: len(header) + 1 + len(payload)], sig)

    def verify(self, key: str) -> bool:
        """Whether the signature matches ``key`` and the token has not expired."""
        expected = hmac.new(key.encode(), self.signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, self.signature):
            return False
        exp = self.claims.get("exp")
        # NOTE: as PyJWT: expired when exp <= now (no leeway).
        return exp is None or exp > time.time()


def find_record_by_token(
    token: str, token_type: str, registry: CollectionRegistry, records: RecordStore
) -> Record | None:
    """The auth record a valid, unexpired token of ``token_type`` belongs to; else None."""
    token = strip_bearer(token)
    if not token:
        return None
    fast = _FastToken.parse(token)
    if fast is not None:
        claims = fast.claims
    else:
        import jwt  # NOTE: lazily: see the module docstring

        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
    if claims.get("type") != token_type or not isinstance(claims.get("id"), str):
        return None
    collection = registry.find(str(claims.get("collectionId") or ""))
    if collection is None or not collection.is_auth:
        return None
    try:
        record = records.find_by_id(collection, claims["id"])
    except Exception:
        return None
    if fast is not None:
        return record if fast.verify(signing_key(record, token_type)) else None
    try:
        jwt.decode(
            token,
            signing_key(record, token_type),
            algorithms=["HS256"],
            options={"require": [], "verify_exp": True},
        )
    except jwt.PyJWTError:
        return None
    return record


def strip_bearer(header: str) -> str:
    """The token of an ``Authorization`` value; the ``Bearer `` scheme prefix is optional."""
    # NOTE: like PocketBase, only the header value is trimmed: "Bearer  <token>" (two spaces)
    # leaves a space in front of the token and fails.
    token = header.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:]
    return token


def token_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a token (for flags such as ``refreshable``)."""
    fast = _FastToken.parse(strip_bearer(token))
    if fast is not None:
        return dict(fast.claims)
    import jwt  # NOTE: lazily: see the module docstring

    try:
        return dict(jwt.decode(strip_bearer(token), options={"verify_signature": False}))
    except jwt.PyJWTError:
        return {}


def is_refreshable(claims: dict[str, Any]) -> bool:
    """Whether the ``refreshable`` claim is truthy (Go's ``cast.ToBool``; missing is false)."""
    value = claims.get("refreshable")
    if isinstance(value, str):
        return value.strip() in ("1", "t", "T", "true", "TRUE", "True")
    return bool(value) if isinstance(value, bool | int | float) else False


def find_by_identity(records: RecordStore, record_collection: Any, identity: str, fields: list[str]) -> Record | None:
    """The auth record whose identity field (email by default) equals ``identity``."""
    # NOTE: an exact match, emails included: PocketBase refuses "ADMIN@example.com" for
    # "admin@example.com" (probed on 0.40.6).
    for name in fields:
        if record_collection.field(name) is None:
            continue
        record = records.find_first(record_collection, **{name: identity})
        if record is not None:
            return record
    return None


def authenticate_password(
    records: RecordStore, collection: Any, identity: str, password: str, identity_field: str = ""
) -> Record:
    """Check a password sign-in; the same error for an unknown identity and a wrong password."""
    fields = collection.auth.get("passwordAuth", {}).get("identityFields") or ["email"]
    if identity_field:
        fields = [identity_field]
    record = find_by_identity(records, collection, identity, fields)
    if record is None:
        dummy_password_check(password)
        raise BadRequestError("Failed to authenticate.")
    if not record.validate_password(password):
        raise BadRequestError("Failed to authenticate.")
    return record


@functools.cache
def _dummy_hash() -> str:
    # A hash of a random password nobody knows, at the cost real passwords are hashed with.
    return hash_password(secrets.token_urlsafe(32))


def dummy_password_check(password: str) -> None:
    """Spend one bcrypt check's time on nothing (a sign-in whose identity matched no record).

    SECURITY: without it an unknown identity fails in about a millisecond and a known one with a
    wrong password in about 60 ms, which tells an attacker which accounts exist.
    """
    check_password(password, _dummy_hash())


def rotate_auth_secret_on_rule_change(collection: Collection, old: Collection | None) -> None:
    """A new ``authToken`` secret when an auth collection's ``authRule`` changes (as PocketBase).

    Tokens issued under the old rule stop verifying, so a rule tightened to lock users out is not
    undone by sessions that were already open. A null rule and an empty one count as the same.
    """
    if old is None or not collection.is_auth:
        return
    if (collection.rule("authRule") or "") == (old.rule("authRule") or ""):
        return
    collection.auth["authToken"] = {**collection.token_option("authToken"), "secret": random_string(50)}
