"""request-otp and auth-with-otp (messages and status codes probed on PocketBase 0.40.6)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from pybase.core.mail import mail_queue
from tests.mailbox import Mailbox, html_of
from tests.scenarios import Scenario, run
from tests.testapp import USER1_EMAIL, USER1_ID

pytestmark = pytest.mark.both_backends

REQUEST_URL = "/api/collections/users/request-otp"
AUTH_URL = "/api/collections/users/auth-with-otp"
LOAD = '"message":"An error occurred while loading the submitted data."'
VALIDATE = '"message":"An error occurred while validating the submitted data."'
INVALID = '"message":"Invalid or expired OTP."'
BLANK = '{"code":"validation_required","message":"Cannot be blank."}'


def enable_otp(server, **options):
    resp = server.request(
        "PATCH", "/api/collections/users", headers={"Authorization": server.token("superuser")},
        json={"otp": {"enabled": True, "duration": 120, "length": 6, **options}},
    )
    assert resp.status_code == 200, resp.text


def otps(server) -> list[dict]:
    with server.app.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM _otps ORDER BY created"))]


def code_in(message) -> str:
    """The one-time password of a received OTP mail."""
    found = re.search(r"<strong>(\d+)</strong>", html_of(message))
    assert found, html_of(message)[:500]
    return found.group(1)


def request_code(server, mailbox: Mailbox, email: str = USER1_EMAIL) -> tuple[str, str]:
    """request-otp, then the code from the mail it sent (through the test SMTP server)."""
    if not getattr(mailbox, "otp_configured", False):
        mailbox.configure(server)
        mailbox.otp_configured = True
    count = len(mailbox.messages)
    resp = server.request("POST", REQUEST_URL, json={"email": email})
    assert resp.status_code == 200, resp.text
    message = mailbox.wait_for(count + 1)[-1]
    assert mail_queue(server.app).wait_idle(10)  # the OTP's sentTo is saved once the mail went
    assert message["To"] == email
    return resp.json()["otpId"], code_in(message)


REQUEST_SCENARIOS = [
    Scenario("OTP disabled", "POST", REQUEST_URL, body={"email": USER1_EMAIL}, expected_status=403,
             expected_content=['"message":"The collection is not configured to allow OTP authentication."'], expected_events={"*": 0}),
    Scenario("unknown collection", "POST", "/api/collections/nope/request-otp", body={"email": USER1_EMAIL}, before=enable_otp,
             expected_status=404, expected_content=['"message":"Missing or invalid collection context."']),
    Scenario("base collection", "POST", "/api/collections/posts/request-otp", body={"email": USER1_EMAIL}, before=enable_otp,
             expected_status=404, expected_content=['"message":"Missing or invalid auth collection context."']),
    Scenario("missing email", "POST", REQUEST_URL, body={}, before=enable_otp, expected_status=400,
             expected_content=[VALIDATE, f'"email":{BLANK}'], expected_events={"*": 0}),
    Scenario("malformed email", "POST", REQUEST_URL, body={"email": "bad"}, before=enable_otp, expected_status=400,
             expected_content=['"email":{"code":"validation_is_email","message":"Must be a valid email address."}']),
    Scenario("email too long", "POST", REQUEST_URL, body={"email": "a" * 250 + "@example.com"}, before=enable_otp, expected_status=400,
             expected_content=['"email":{"code":"validation_length_out_of_range","message":"The length must be between 1 and 255.","params":{"max":255,"min":1}}']),
    Scenario("email as a number", "POST", REQUEST_URL, body={"email": 5}, before=enable_otp, expected_status=400, expected_content=[LOAD]),
    Scenario("malformed JSON", "POST", REQUEST_URL, body='{"email":', headers={"Content-Type": "application/json"}, before=enable_otp,
             expected_status=400, expected_content=[LOAD]),
    Scenario("unknown email answers an id too", "POST", REQUEST_URL, body={"email": "nobody@example.com"}, before=enable_otp,
             expected_content=['"otpId":"'], expected_events={"onRecordRequestOTPRequest": 1, "*": 0},
             after=lambda server, resp: (len(resp.json()["otpId"]) == 15 and not otps(server)) or pytest.fail("an OTP was stored")),
    Scenario("known email", "POST", REQUEST_URL, body={"email": USER1_EMAIL}, before=enable_otp, expected_content=['"otpId":"'],
             expected_events={"onRecordRequestOTPRequest": 1, "onRecordCreateRequest": 0}),
]


@pytest.mark.parametrize("scenario", REQUEST_SCENARIOS, ids=str)
def test_request_otp(server, scenario):
    run(server, scenario)


def test_request_otp_stores_a_hashed_code_of_the_configured_length(server, mailbox):
    enable_otp(server, length=9)
    otp_id, code = request_code(server, mailbox)
    assert len(code) == 9 and code.isdigit()
    (row,) = otps(server)
    assert row["id"] == otp_id and row["recordRef"] == USER1_ID and row["collectionRef"] == "_pb_users_auth_"
    assert row["password"].startswith("$2") and code not in row["password"]


AUTH_SCENARIOS = [
    Scenario("OTP disabled", "POST", AUTH_URL, body={"otpId": "x", "password": "1"}, expected_status=403,
             expected_content=['"message":"The collection is not configured to allow OTP authentication."']),
    Scenario("missing fields", "POST", AUTH_URL, body={}, before=enable_otp, expected_status=400,
             expected_content=[VALIDATE, f'"otpId":{BLANK}', f'"password":{BLANK}']),
    Scenario("password too long", "POST", AUTH_URL, body={"otpId": "x", "password": "1" * 72}, before=enable_otp, expected_status=400,
             expected_content=['"password":{"code":"validation_length_out_of_range","message":"The length must be between 1 and 71.","params":{"max":71,"min":1}}']),
    Scenario("otpId as a number", "POST", AUTH_URL, body={"otpId": 5}, before=enable_otp, expected_status=400, expected_content=[LOAD]),
    Scenario("unknown OTP", "POST", AUTH_URL, body={"otpId": "x", "password": "1"}, before=enable_otp, expected_status=400,
             expected_content=[INVALID], expected_events={"*": 0}),
]


@pytest.mark.parametrize("scenario", AUTH_SCENARIOS, ids=str)
def test_auth_with_otp_bad_input(server, scenario):
    run(server, scenario)


def test_otp_sign_in_is_single_use(server, mailbox):
    enable_otp(server)
    otp_id, code = request_code(server, mailbox)
    wrong = "0" if code[0] != "0" else "1"
    assert server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": wrong + code[1:]}).json()["message"] == "Invalid or expired OTP."
    server.events.clear()
    resp = server.request("POST", AUTH_URL + "?expand=&fields=record.id,token", json={"otpId": otp_id, "password": code})
    assert resp.status_code == 200, resp.text
    assert resp.json()["record"] == {"id": USER1_ID} and resp.json()["token"]
    assert server.events["onRecordAuthWithOTPRequest"] == 1 and server.events["onRecordAuthRequest"] == 1
    assert otps(server) == []
    again = server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": code})
    assert again.status_code == 400 and again.json()["message"] == "Invalid or expired OTP."


def test_expired_and_foreign_codes_are_refused(server, mailbox):
    enable_otp(server)
    otp_id, code = request_code(server, mailbox)
    with server.app.db.write() as conn:
        conn.execute(text("UPDATE _otps SET created = '2020-01-01 00:00:00.000Z'"))
    resp = server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": code})
    assert resp.status_code == 400 and resp.json()["message"] == "Invalid or expired OTP."
    # a users OTP is no good for the superusers collection
    otp_id, code = request_code(server, mailbox)
    server.request("PATCH", "/api/collections/_superusers", headers={"Authorization": server.token("superuser")},
                   json={"otp": {"enabled": True}})
    resp = server.request("POST", "/api/collections/_superusers/auth-with-otp", json={"otpId": otp_id, "password": code})
    assert resp.status_code == 400 and resp.json()["message"] == "Invalid or expired OTP."


def test_attempts_are_bounded_per_record(server, mailbox):
    enable_otp(server)
    otp_id, code = request_code(server, mailbox)
    wrong = "0" if code[0] != "0" else "1"
    statuses = [server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": wrong + code[1:]}).status_code for _ in range(5)]
    assert statuses == [400] * 5
    resp = server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": code})
    assert resp.status_code == 429
    assert resp.json() == {"data": {}, "message": "Too many attempts, please try again later with a new OTP.", "status": 429}


def test_unverified_record_is_verified_by_a_code_sent_to_its_email(server, mailbox):
    enable_otp(server)
    user = server.app.find_record_by_id("users", USER1_ID)
    user.set("verified", False)
    server.app.save(user)
    otp_id, code = request_code(server, mailbox)
    assert otps(server)[0]["sentTo"] == USER1_EMAIL  # where the mail went
    resp = server.request("POST", AUTH_URL, json={"otpId": otp_id, "password": code})
    assert resp.status_code == 200, resp.text
    assert resp.json()["record"]["verified"] is True
    # without MFA the pre-set password no longer works (pre-hijacking guard)
    assert server.request("POST", "/api/collections/users/auth-with-password",
                          json={"identity": USER1_EMAIL, "password": "1234567890"}).status_code == 400


def test_codes_are_hashed_at_the_otps_field_cost(server, mailbox):
    enable_otp(server)
    request_code(server, mailbox)
    (row,) = otps(server)
    assert row["password"].startswith("$2") and row["password"].split("$")[2] == "08"  # _otps' password cost, as PocketBase
    user = server.app.find_record_by_id("users", USER1_ID)
    assert user.get("password").split("$")[2] == "10"  # the default cost elsewhere


def test_a_flood_of_requests_gets_the_last_code_again(server, mailbox):
    enable_otp(server)
    ids = [request_code(server, mailbox)[0] for _ in range(10)]
    sent = len(mailbox.messages)
    resp = server.request("POST", REQUEST_URL, json={"email": USER1_EMAIL})
    assert resp.status_code == 200 and resp.json()["otpId"] in ids  # PocketBase: the newest of the recent ones
    assert len(otps(server)) == 10
    assert mail_queue(server.app).wait_idle(10) and len(mailbox.messages) == sent  # no new code, no new mail
