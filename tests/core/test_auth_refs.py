"""Rows pointing at auth records (_otps, _mfas, _externalAuths, _authOrigins) follow the record."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.testapp import USER1_ID, USER2_ID

pytestmark = pytest.mark.both_backends

REFS = ("_mfas", "_otps", "_externalAuths", "_authOrigins")


def _add_refs(app, record_id: str, tag: str) -> None:
    for name in REFS:
        data = {"collectionRef": "_pb_users_auth_", "recordRef": record_id}
        if name == "_mfas":
            data["method"] = "password"
        elif name == "_externalAuths":
            data.update(provider="oidc", providerId=f"{tag}-id")
        elif name == "_authOrigins":
            data["fingerprint"] = f"{tag}-fp"
        row = app.new_record(name, data)
        if name == "_otps":
            row.set_password_plain("password", "123456")
        app.save(row)


def _count(app, name: str, record_id: str) -> int:
    with app.db.read() as conn:
        return conn.execute(text(f'SELECT COUNT(*) FROM "{name}" WHERE "recordRef" = :id'), {"id": record_id}).scalar()


def test_deleting_an_auth_record_deletes_its_rows(server):
    app = server.app
    _add_refs(app, USER1_ID, "u1")
    _add_refs(app, USER2_ID, "u2")
    resp = server.request("DELETE", f"/api/collections/users/records/{USER1_ID}", headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 204, resp.text
    assert [_count(app, n, USER1_ID) for n in REFS] == [0, 0, 0, 0]
    assert [_count(app, n, USER2_ID) for n in REFS] == [1, 1, 1, 1]


def test_a_new_password_ends_otps_mfa_sessions_and_auth_origins(server):
    app = server.app
    _add_refs(app, USER1_ID, "u1")
    user = app.find_record_by_id("users", USER1_ID)
    user.set("name", "renamed")
    app.save(user)  # nothing to do with credentials: every row stays
    assert [_count(app, n, USER1_ID) for n in REFS] == [1, 1, 1, 1]
    user.set_password_plain("password", "a-new-password-1")
    app.save(user)
    # the tokenKey changes with the password: OTPs go too; the OAuth2 link stays
    assert [_count(app, n, USER1_ID) for n in REFS] == [0, 0, 1, 0]


def test_deleting_an_auth_collection_deletes_its_rows(server):
    app = server.app
    resp = server.request("POST", "/api/collections", headers={"Authorization": server.token("superuser")},
                          json={"name": "members", "type": "auth", "fields": []})
    assert resp.status_code == 200, resp.text
    col = app.find_collection("members")
    member = app.new_record(col, {"email": "m@example.com"})
    member.set_password_plain("password", "1234567890")
    app.save(member)
    row = app.new_record("_externalAuths", {"collectionRef": col.id, "recordRef": member.id, "provider": "oidc", "providerId": "m"})
    app.save(row)
    resp = server.request("DELETE", "/api/collections/members", headers={"Authorization": server.token("superuser")})
    assert resp.status_code == 204, resp.text
    assert _count(app, "_externalAuths", member.id) == 0
