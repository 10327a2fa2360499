"""$security: JWTs (PyJWT), AES-256-GCM in PocketBase's format, random strings by regex."""

from __future__ import annotations

import base64
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.jsvm.conftest import HooksServerFactory

SECURITY_JS = """
routerAdd("POST", "/sec/{op}", (e) => {
  const a = e.requestInfo().body;
  const op = e.request.pathValue("op");
  try {
    let v;
    if (op === "create") v = $security.createJWT(a.payload, a.key, a.duration);
    if (op === "parse") v = $security.parseJWT(a.token, a.key);
    if (op === "unverified") v = $security.parseUnverifiedJWT(a.token);
    if (op === "encrypt") v = $security.encrypt(a.data, a.key);
    if (op === "decrypt") v = $security.decrypt(a.data, a.key);
    if (op === "regex") v = $security.randomStringByRegex(a.pattern);
    if (op === "roundtrip") v = $security.decrypt($security.encrypt(a.data, a.key), a.key);
    e.json(200, { v: v });
  } catch (err) {
    e.json(200, { error: err.message });
  }
});
"""

KEY = "0123456789abcdef0123456789abcdef"
K1 = "k1" * 16
K2 = "other-key" * 4


@pytest.fixture
def srv(hooks_server: HooksServerFactory):
    return hooks_server({"sec.pb.js": SECURITY_JS})


def _call(srv, op, **args):
    return srv.request("POST", f"/sec/{op}", json=args).json()


def test_create_jwt_is_hs256_with_exp(srv):
    token = _call(srv, "create", payload={"id": "abc", "n": 5}, key=KEY, duration=60)["v"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, KEY, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert claims["id"] == "abc" and claims["n"] == 5
    assert abs(claims["exp"] - (time.time() + 60)) < 5


def test_parse_jwt_verifies_signature_and_expiry(srv):
    good = jwt.encode({"sub": "x", "exp": int(time.time()) + 60}, K1, algorithm="HS256")
    assert _call(srv, "parse", token=good, key=K1)["v"]["sub"] == "x"
    # NOTE: golang-jwt's texts, as PocketBase's (tests/jsvm/corpus/sweep_utils compares them)
    assert _call(srv, "parse", token=good, key=K2)["error"] == "token signature is invalid: signature is invalid"
    expired = jwt.encode({"sub": "x", "exp": int(time.time()) - 10}, K1, algorithm="HS256")
    assert "expired" in _call(srv, "parse", token=expired, key=K1)["error"]


def test_parse_unverified_jwt_skips_the_signature_but_not_exp(srv):
    token = jwt.encode({"sub": "y", "exp": int(time.time()) + 60}, K2, algorithm="HS256")
    assert _call(srv, "unverified", token=token)["v"]["sub"] == "y"
    expired = jwt.encode({"sub": "y", "exp": int(time.time()) - 10}, K2, algorithm="HS256")
    assert "expired" in _call(srv, "unverified", token=expired)["error"]
    assert _call(srv, "unverified", token="not-a-token")["error"] == "token is malformed: token contains an invalid number of segments"


def test_encrypt_uses_pocketbase_format_nonce_then_ciphertext(srv):
    encrypted = _call(srv, "encrypt", data="hello world", key=KEY)["v"]
    raw = base64.b64decode(encrypted)
    assert len(raw) == 12 + len("hello world") + 16  # nonce + ciphertext + GCM tag
    assert AESGCM(KEY.encode()).decrypt(raw[:12], raw[12:], None) == b"hello world"


def test_decrypt_reads_what_go_would_write(srv):
    nonce = b"\x01" * 12
    cipher = base64.b64encode(nonce + AESGCM(KEY.encode()).encrypt(nonce, "héllo".encode(), None)).decode()
    assert _call(srv, "decrypt", data=cipher, key=KEY)["v"] == "héllo"
    assert _call(srv, "roundtrip", data="x" * 100, key=KEY)["v"] == "x" * 100
    assert "authentication failed" in _call(srv, "decrypt", data=cipher, key="f" * 32)["error"]
    assert "invalid key size" in _call(srv, "encrypt", data="x", key="short")["error"]


@pytest.mark.parametrize("pattern", [r"[a-z0-9]{12}", r"(foo|bar)-\d{3}", r"^[A-Z][a-z]+_?\w*$", r"[^a-z]{4}x?"])
def test_random_string_by_regex_matches_its_pattern(srv, pattern):
    for _ in range(3):
        value = _call(srv, "regex", pattern=pattern)["v"]
        assert re.fullmatch(pattern, value), (pattern, value)


def test_random_string_by_regex_rejects_bad_patterns(srv):
    assert _call(srv, "regex", pattern="[a-")["error"] == "error parsing regexp: missing closing ]: `[a-`"
