// $mails, MailerMessage and $app.newMailClient() (Python side: pybase/jsvm/binds/mail.py).
// A message is a handle ("$t": "mm") whose fields read and write the Python message, so a
// handler changing e.message.subject changes the mail that goes out; a client is "mc".
(function (g) {
  "use strict";

  const bridge = g.__bridge;
  const call = bridge.call;

  function MailerMessage(data) {
    return call("mail.new", data === undefined ? {} : data);
  }
  const field = (name) => ({
    get() { return call("mail.get", this)[name]; },
    set(value) { call("mail.set", this, name, value); },
    enumerable: true,
  });
  Object.defineProperties(MailerMessage.prototype, {
    from: field("from"), to: field("to"), cc: field("cc"), bcc: field("bcc"), subject: field("subject"),
    html: field("html"), text: field("text"), headers: field("headers"), attachments: field("attachments"),
  });
  MailerMessage.prototype.toJSON = function () { return call("mail.get", this); };
  bridge.protos.mm = MailerMessage.prototype;
  g.MailerMessage = MailerMessage;

  bridge.protos.mc = { send(message) { call("mail.clientSend", this, message); } };
  g.$app.newMailClient = () => call("mail.newClient");

  g.$mails = {
    sendRecordVerification: (app, record) => { call("mail.sendRecord", "verification", record); },
    sendRecordPasswordReset: (app, record) => { call("mail.sendRecord", "passwordReset", record); },
    sendRecordChangeEmail: (app, record, newEmail) => { call("mail.sendRecord", "changeEmail", record, newEmail); },
    sendRecordOTP: (app, record, otpId, password) => { call("mail.sendRecord", "otp", record, otpId, password); },
    sendRecordAuthAlert: (app, record, info) => { call("mail.sendRecord", "authAlert", record, info); },
  };
})(globalThis);
