"""Mail from JS hooks (issue 12): ``MailerMessage``, ``$app.newMailClient()``, ``$mails``, the
mailer hooks changing ``e.message`` and the email-flow request hooks' event fields; the mails
are read from a real SMTP server."""

from __future__ import annotations

from tests.jsvm.conftest import HooksServerFactory
from tests.mailbox import Mailbox, html_of, text_of
from tests.testapp import USER1_EMAIL, USER1_ID

MAIL_HOOKS = """
onMailerSend((e) => {
    e.message.subject = e.message.subject + " [js]";
    e.next();
});

onMailerRecordPasswordResetSend((e) => {
    if (!e.message.html.includes(e.meta.token) || e.record.email() !== "user1@example.com") {
        throw new BadRequestError("unexpected mail event");
    }
    e.message.text = "token: " + e.meta.token;
    e.message.to = [{address: e.message.to[0].address, name: e.record.get("name")}];
    e.next();
}, "users");

onRecordRequestPasswordResetRequest((e) => {
    if (e.collection.name !== "users" || e.record.id !== "user1aaaaaaaaaa") {
        throw new BadRequestError("unexpected request event");
    }
    e.next();
}, "users");

onRecordRequestEmailChangeRequest((e) => {
    if (e.newEmail === "refused@example.com") {
        throw new BadRequestError("Not that one.");
    }
    e.next();
}, "users");

routerAdd("POST", "/mail-client-test", (e) => {
    // a hook may send another mail through the event's own client
    const client = $app.newMailClient();
    client.send({from: {address: "plain@acme.test"}, to: [{address: "y@example.com"}], subject: "plain object", html: "<p>x</p>"});
    return e.noContent(204);
});

onMailerRecordVerificationSend((e) => {
    e.mailer.send(new MailerMessage({from: e.message.from, to: [{address: "copy@example.com"}], subject: "copy", html: e.message.html}));
    e.next();
}, "users");

routerAdd("POST", "/mail-test", (e) => {
    const message = new MailerMessage({
        from: {address: "js@acme.test", name: "JS"},
        to: [{address: "x@example.com"}],
        subject: "from js",
        html: "<p>hi</p>",
    });
    message.cc = [{address: "cc@example.com"}];
    $app.newMailClient().send(message);
    $mails.sendRecordVerification($app, $app.findRecordById("users", "user1aaaaaaaaaa"));
    return e.json(200, {subject: message.subject, to: message.to, isMessage: message instanceof MailerMessage});
});
"""


def test_mail_from_js(hooks_server: HooksServerFactory, mailbox: Mailbox) -> None:
    srv = hooks_server({"mail.pb.js": MAIL_HOOKS})
    assert srv.pybase.jsvm.last_error is None
    mailbox.configure(srv)
    resp = srv.request("POST", "/mail-test")
    assert resp.status_code == 200, resp.text
    # the same message object went through onMailerSend, which changed its subject
    assert resp.json() == {"subject": "from js [js]", "to": [{"address": "x@example.com", "name": ""}], "isMessage": True}
    first, *others = mailbox.wait_for(3)
    assert first["Subject"] == "from js [js]" and first["From"] == "JS <js@acme.test>" and first["Cc"] == "cc@example.com"
    # the verification mail, and the copy its onMailerRecordVerificationSend handler sent with e.mailer
    by_subject = {m["Subject"]: m for m in others}
    assert by_subject["Verify your Acme email [js]"]["To"] == USER1_EMAIL
    copy = by_subject["copy [js]"]
    assert copy["To"] == "copy@example.com" and "confirm-verification/eyJ" in html_of(copy)


def test_mailer_and_request_hooks_from_js(hooks_server: HooksServerFactory, mailbox: Mailbox) -> None:
    srv = hooks_server({"mail.pb.js": MAIL_HOOKS})
    mailbox.configure(srv)
    resp = srv.request("POST", "/api/collections/users/request-password-reset", json={"email": USER1_EMAIL})
    assert resp.status_code == 204, resp.text
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Reset your Acme password [js]"
    assert message["To"] == f"User One <{USER1_EMAIL}>"
    assert text_of(message).startswith("token: eyJ")
    assert "confirm-password-reset/eyJ" in html_of(message)
    token = srv.token("user1")
    resp = srv.request("POST", "/api/collections/users/request-email-change", json={"newEmail": "refused@example.com"},
                       headers={"Authorization": token})  # fmt: skip
    assert (resp.status_code, resp.json()["message"]) == (400, "Not that one.")
    record = srv.app.find_record_by_id("users", USER1_ID)
    assert record.email == USER1_EMAIL


def test_a_plain_object_message(hooks_server: HooksServerFactory, mailbox: Mailbox) -> None:
    srv = hooks_server({"mail.pb.js": MAIL_HOOKS})
    mailbox.configure(srv)
    assert srv.request("POST", "/mail-client-test").status_code == 204
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "plain object [js]" and message["From"] == "plain@acme.test"
