"""Settings API: who may read and change them, hooks, secrets, persistence and encryption.

The field-by-field validation is compared with PocketBase in tests/conformance/test_settings.py;
these scenarios check what the conformance table cannot: the hooks fired, what lands in
``_params``, restarts, and ``--encryptionEnv``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from pybase.app import PyBase
from pybase.config import Config
from pybase.core.auth import new_auth_token
from pybase.core.errors import ValidationError
from pybase.core.settings import Settings
from pybase.tools.encrypt import decrypt, encrypt
from tests import testapp
from tests.data.filter_cases import pocketbase_binary
from tests.scenarios import Scenario, run
from tests.testapp import SUPERUSER_EMAIL, data_rows

pytestmark = pytest.mark.both_backends

SU = {"Authorization": "SUPERUSER"}
USER = {"Authorization": "USER1"}
UNAUTHORIZED = '"message":"The request requires valid record authorization token."'
FORBIDDEN = '"message":"The authorized record is not allowed to perform this action."'
SAVE_FAILED = '"message":"An error occurred while saving the new settings."'
KEY = "0123456789abcdef0123456789abcdef"
KEY_ENV = "PYBASE_TEST_SETTINGS_KEY"


def stored_value(data_dir: Path, database_url: str = "") -> bytes | str:
    return data_rows(data_dir, database_url, "SELECT value FROM _params WHERE id = 'settings'")[0][0]


def stored(server: testapp.TestServer) -> dict:
    return json.loads(stored_value(Path(server.app.data_dir), server.app.database_url))


def check_stored(**expected):
    """After-check: dotted paths of the stored (plain) settings."""

    def check(server, resp):
        data = stored(server)
        for path, value in expected.items():
            node = data
            for part in path.split("__"):
                node = node[part]
            assert node == value, f"{path}: {node!r}"

    return check


def patch_first(body: dict):
    def before(server):
        resp = server.request("PATCH", "/api/settings", json=body, headers={"Authorization": server.token("superuser")})
        assert resp.status_code == 200, resp.text

    return before


SCENARIOS = [
    Scenario("view as guest", "GET", "/api/settings", expected_status=401, expected_content=[UNAUTHORIZED],
             expected_events={"*": 0}),
    Scenario("view as user", "GET", "/api/settings", headers=USER, expected_status=403, expected_content=[FORBIDDEN],
             expected_events={"*": 0}),
    Scenario("view as superuser", "GET", "/api/settings", headers=SU,
             expected_content=['"appName":"Acme"', '"rateLimits":{', '"superuserIPs":[]', '"maxDataSize":0'],
             not_expected_content=['"password"', '"secret"'],
             expected_events={"onSettingsListRequest": 1, "*": 0}),
    Scenario("view with fields", "GET", "/api/settings?fields=meta.appName", headers=SU,
             expected_content=['{"meta":{"appName":"Acme"}}'], expected_events={"onSettingsListRequest": 1}),
    Scenario("update as guest", "PATCH", "/api/settings", body={"meta": {"appName": "x"}}, expected_status=401,
             expected_events={"*": 0}, after=check_stored(meta__appName="Acme")),
    Scenario("update as user", "PATCH", "/api/settings", body={"meta": {"appName": "x"}}, headers=USER,
             expected_status=403, expected_events={"*": 0}, after=check_stored(meta__appName="Acme")),
    Scenario("update", "PATCH", "/api/settings", headers=SU,
             body={"meta": {"appName": "Renamed"}, "smtp": {"password": "pw", "host": "mail.example.com"}},
             expected_content=['"appName":"Renamed"', '"host":"mail.example.com"'], not_expected_content=['"password"'],
             expected_events={"onSettingsUpdateRequest": 1, "onModelUpdate": 1, "onModelValidate": 1,
                              "onModelUpdateExecute": 1, "onModelAfterUpdateSuccess": 1, "onSettingsReload": 1, "*": 0},
             after=check_stored(meta__appName="Renamed", smtp__password="pw", meta__senderName="Support")),
    Scenario("update invalid", "PATCH", "/api/settings", headers=SU,
             body={"meta": {"appName": ""}, "rateLimits": {"rules": [{"label": "!"}]}},
             expected_status=400,
             expected_content=[SAVE_FAILED, '"meta":{"appName":{"code":"validation_required"',
                               '"rules":{"0":{"duration":{"code":"validation_required"'],
             expected_events={"onSettingsUpdateRequest": 1, "onModelUpdate": 1, "onModelValidate": 1,
                              "onModelAfterUpdateError": 1, "*": 0},
             after=check_stored(meta__appName="Acme")),
    Scenario("update with a bad type", "PATCH", "/api/settings", headers=SU, body={"smtp": {"port": "25"}},
             expected_status=400, expected_content=['"message":"An error occurred while loading the submitted data."'],
             expected_events={"*": 0}),
    Scenario("secrets kept when left out", "PATCH", "/api/settings", headers=SU, body={"meta": {"appName": "Other"}},
             before=patch_first({"smtp": {"password": "pw"}, "s3": {"secret": "s3-secret"}, "backups": {"s3": {"secret": "b"}}}),
             not_expected_content=['"password"', '"secret"'],
             after=check_stored(smtp__password="pw", s3__secret="s3-secret", backups__s3__secret="b")),
    Scenario("blank S3 secret keeps the stored one", "PATCH", "/api/settings", headers=SU,
             body={"s3": {"secret": ""}, "smtp": {"password": ""}},
             before=patch_first({"smtp": {"password": "pw"}, "s3": {"secret": "s3-secret"}}),
             after=check_stored(smtp__password="", s3__secret="s3-secret")),
    Scenario("test s3 not enabled", "POST", "/api/settings/test/s3", headers=SU, body={"filesystem": "storage"},
             expected_status=400, expected_content=["S3 storage filesystem is not enabled."]),
    Scenario("test s3 as user", "POST", "/api/settings/test/s3", headers=USER, body={"filesystem": "storage"},
             expected_status=403),
    Scenario("test email invalid", "POST", "/api/settings/test/email", headers=SU, body={"email": "x"},
             expected_status=400,
             expected_content=['"message":"Failed to send the test email."', '"email":{"code":"validation_is_email"',
                               '"template":{"code":"validation_required"']),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_settings_api(server, scenario):
    run(server, scenario)


def test_python_hooks_see_and_change_the_settings(server):
    seen: dict = {}

    def on_update(e):
        seen["old"] = e.old_settings["meta"]["appName"]
        e.new_settings["meta"]["senderName"] = "Set by a hook"
        return e.next()

    def on_list(e):
        e.settings["meta"]["appName"] = "Shown, not stored"
        return e.next()

    def on_reload(e):
        seen["reloaded"] = e.settings["meta"]["appName"]
        return e.next()

    app = server.app
    app.on_settings_update_request.bind(on_update)
    app.on_settings_list_request.bind(on_list)
    app.on_settings_reload.bind(on_reload)
    su = {"Authorization": server.token("superuser")}
    resp = server.request("PATCH", "/api/settings", json={"meta": {"appName": "New"}}, headers=su)
    assert resp.status_code == 200
    assert resp.json()["meta"]["senderName"] == "Set by a hook"
    assert seen == {"old": "Acme", "reloaded": "New"}
    assert server.request("GET", "/api/settings", headers=su).json()["meta"]["appName"] == "Shown, not stored"
    assert app.settings()["meta"]["appName"] == "New"


def test_python_api_reads_and_saves_the_live_settings(server):
    app = server.app
    settings = app.settings()
    assert isinstance(settings, Settings) and settings.get("smtp.port") == 587
    settings["meta"]["appName"] = "Changed in place"
    assert app.settings().get("meta.appName") == "Acme", "a copy: changing it changes nothing"
    settings["batch"]["maxBodySize"] = -1
    with pytest.raises(ValidationError) as info:
        app.save_settings(settings)
    assert info.value.data == {"batch": {"maxBodySize": {
        "code": "validation_min_greater_equal_than_required", "message": "Must be no less than 0.", "params": {"threshold": 0},
    }}}  # fmt: skip
    settings["batch"]["maxBodySize"] = 10
    saved = app.save_settings(settings)
    assert saved.get("meta.appName") == "Changed in place" and app.settings().get("batch.maxBodySize") == 10
    su = {"Authorization": server.token("superuser")}
    assert server.request("GET", "/api/settings", headers=su).json()["batch"]["maxBodySize"] == 10


def test_renaming_a_collection_renames_its_rate_limit_rules(server):
    su = {"Authorization": server.token("superuser")}
    rules = [
        {"label": "posts:create", "duration": 1, "maxRequests": 5},
        {"label": "postsx:list", "duration": 1, "maxRequests": 5},
        {"label": "*:auth", "duration": 1, "maxRequests": 5},
    ]
    assert server.request("PATCH", "/api/settings", json={"rateLimits": {"rules": rules}}, headers=su).status_code == 200
    assert server.request("PATCH", "/api/collections/posts", json={"name": "articles"}, headers=su).status_code == 200
    labels = [r["label"] for r in server.request("GET", "/api/settings", headers=su).json()["rateLimits"]["rules"]]
    assert labels == ["articles:create", "postsx:list", "*:auth"]


# ---- persistence and encryption ---------------------------------------------------------------


def _serve(data_dir: Path, encryption_env: str = "", database_url: str = "") -> testapp.TestServer:
    pybase = PyBase(Config(data_dir=str(data_dir), http="127.0.0.1:0", encryption_env=encryption_env, database_url=database_url))
    pybase.bootstrap()
    server = pybase.serve_in_thread()
    return testapp.TestServer(pybase, f"http://127.0.0.1:{server.port}")


def _superuser_token(server: testapp.TestServer) -> str:
    record = server.app.records.find_first(server.app.find_collection("_superusers"), email=SUPERUSER_EMAIL)
    return new_auth_token(record)


@pytest.fixture
def stored_app(tmp_path: Path, fixture_data: Path, backend: str, databases: Any) -> Iterator[tuple[Path, str]]:
    """A copy of the fixture data dir and, on Postgres, of its database (not served)."""
    template, url = (databases.copy_of_fixture() if backend == "postgres" else (fixture_data, ""))
    target = tmp_path / "pb_data"
    shutil.copytree(template, target)
    yield target, url
    databases.drop(url)


def test_settings_survive_a_restart(stored_app: tuple[Path, str]):
    data_dir, url = stored_app
    server = _serve(data_dir, database_url=url)
    try:
        su = {"Authorization": _superuser_token(server)}
        body = {"meta": {"appName": "Persisted"}, "smtp": {"password": "pw"}, "batch": {"enabled": True}}
        assert server.request("PATCH", "/api/settings", json=body, headers=su).status_code == 200
    finally:
        server.stop()
    server = _serve(data_dir, database_url=url)
    try:
        su = {"Authorization": _superuser_token(server)}
        data = server.request("GET", "/api/settings", headers=su).json()
        assert (data["meta"]["appName"], data["batch"]["enabled"]) == ("Persisted", True)
        assert server.app.settings()["smtp"]["password"] == "pw"
    finally:
        server.stop()


def test_encrypted_settings(stored_app: tuple[Path, str], monkeypatch: pytest.MonkeyPatch):
    data_dir, url = stored_app
    monkeypatch.setenv(KEY_ENV, KEY)
    server = _serve(data_dir, KEY_ENV, url)
    try:
        su = {"Authorization": _superuser_token(server)}
        body = {"meta": {"appName": "Encrypted"}, "smtp": {"password": "top-secret"}}
        assert server.request("PATCH", "/api/settings", json=body, headers=su).status_code == 200
    finally:
        server.stop()
    raw = stored_value(data_dir, url)
    raw_text = raw.decode() if isinstance(raw, bytes) else raw
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw_text)
    assert b"top-secret" not in base64.b64decode(raw_text)
    assert json.loads(decrypt(raw_text, KEY))["smtp"]["password"] == "top-secret", "PocketBase's format: base64(nonce|sealed)"
    # the same key reads it back through the API after a restart
    server = _serve(data_dir, KEY_ENV, url)
    try:
        su = {"Authorization": _superuser_token(server)}
        assert server.request("GET", "/api/settings", headers=su).json()["meta"]["appName"] == "Encrypted"
        assert server.app.settings()["smtp"]["password"] == "top-secret"
    finally:
        server.stop()
    # without the key the stored settings cannot be read: the app refuses to start
    monkeypatch.delenv(KEY_ENV)
    pybase = PyBase(Config(data_dir=str(data_dir), http="127.0.0.1:0", encryption_env=KEY_ENV, database_url=url))
    with pytest.raises(Exception, match="missing encryption key"):
        pybase.bootstrap()
    pybase.core.db.close()


def test_plain_settings_are_encrypted_on_the_next_save(stored_app: tuple[Path, str], monkeypatch: pytest.MonkeyPatch):
    data_dir, url = stored_app
    server = _serve(data_dir, database_url=url)
    server.stop()
    assert json.loads(stored_value(data_dir, url))["meta"]["appName"] == "Acme"
    monkeypatch.setenv(KEY_ENV, KEY)
    server = _serve(data_dir, KEY_ENV, url)
    try:
        su = {"Authorization": _superuser_token(server)}
        assert server.request("PATCH", "/api/settings", json={"meta": {"appName": "Now encrypted"}}, headers=su).status_code == 200
    finally:
        server.stop()
    raw = stored_value(data_dir, url)
    assert json.loads(decrypt(raw.decode() if isinstance(raw, bytes) else raw, KEY))["meta"]["appName"] == "Now encrypted"


def test_a_value_encrypted_as_pocketbase_does_decrypts():
    token = encrypt(b'{"a":1}', KEY)
    raw = base64.b64decode(token)
    assert len(raw) == 12 + len(b'{"a":1}') + 16  # nonce, ciphertext, GCM tag
    assert decrypt(token, KEY) == b'{"a":1}'


def test_encrypted_settings_move_between_pocketbase_and_pybase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A data dir whose settings PocketBase encrypted reads in pybase, and the other way round."""
    binary = pocketbase_binary()
    if binary is None:
        pytest.skip("set PYBASE_PB_BINARY to a PocketBase 0.40 binary")
    monkeypatch.setenv(KEY_ENV, KEY)
    pb_dir = tmp_path / "from_pb" / "pb_data"
    pb_dir.parent.mkdir()
    subprocess.run(
        [binary, "superuser", "upsert", SUPERUSER_EMAIL, "1234567890", "--dir", str(pb_dir), "--encryptionEnv", KEY_ENV],
        check=True, capture_output=True, cwd=pb_dir.parent, timeout=60,
    )  # fmt: skip
    raw = stored_value(pb_dir)
    assert json.loads(decrypt(raw.decode() if isinstance(raw, bytes) else raw, KEY))["meta"]["appName"] == "Acme"
    app = PyBase(Config(data_dir=str(pb_dir), encryption_env=KEY_ENV))
    app.bootstrap()
    settings = app.core.settings()
    assert settings["meta"]["appName"] == "Acme"
    settings["meta"]["appName"] = "Written by pybase"
    settings["smtp"]["password"] = "pw"
    app.core.save_settings(settings)
    app.core.terminate()
    # PocketBase reads pybase's encrypted value back (its "superuser upsert" loads the settings first)
    result = subprocess.run(
        [binary, "superuser", "upsert", "b@example.com", "1234567890", "--dir", str(pb_dir), "--encryptionEnv", KEY_ENV],
        capture_output=True, cwd=pb_dir.parent, timeout=60, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    raw = stored_value(pb_dir)
    data = json.loads(decrypt(raw.decode() if isinstance(raw, bytes) else raw, KEY))
    assert (data["meta"]["appName"], data["smtp"]["password"]) == ("Written by pybase", "pw")


def test_apple_client_secret_is_an_es256_jwt_apple_accepts(server):
    from cryptography.hazmat.primitives import serialization

    from tests.conformance.cases_settings import APPLE_OK, EC_KEY

    resp = server.request(
        "POST", "/api/settings/apple/generate-client-secret", json=APPLE_OK, headers={"Authorization": server.token("superuser")}
    )
    assert resp.status_code == 200, resp.text
    secret = resp.json()["secret"]
    public = serialization.load_pem_private_key(EC_KEY.encode(), password=None).public_key()
    claims = jwt.decode(secret, public, algorithms=["ES256"], audience="https://appleid.apple.com")
    assert (claims["iss"], claims["sub"], claims["exp"] - claims["iat"]) == ("ABCDE12345", "com.example.app", 3600)
    assert jwt.get_unverified_header(secret) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}


def test_a_js_migration_changes_the_settings(tmp_path: Path):
    """PocketBase's usual migration: app.settings(), change, app.save(settings)."""
    migrations = tmp_path / "pb_migrations"
    migrations.mkdir()
    (migrations / "1700000000_settings.js").write_text(
        "migrate((app) => {\n"
        "  const s = app.settings();\n"
        "  s.meta.appName = 'From a migration';\n"
        "  s.batch.enabled = true;\n"
        "  app.save(s);\n"
        "});\n"
    )
    app = PyBase(Config(data_dir=str(tmp_path / "pb_data"), migrations_dir=str(migrations), hooks_dir=str(tmp_path / "none")))
    try:
        assert app.run_migrations() == ["1700000000_settings.js"]
        settings = app.core.settings()
        assert (settings["meta"]["appName"], settings["batch"]["enabled"]) == ("From a migration", True)
    finally:
        app.core.terminate()
    assert stored_value(tmp_path / "pb_data") and json.loads(stored_value(tmp_path / "pb_data"))["batch"]["enabled"] is True
