// First run installer, sign in (password, then OTP when MFA asks for it).
import { getTokenPayload, isTokenExpired } from "pocketbase";
import { useEffect, useState } from "preact/hooks";
import { apiErrors, pb, SUPERUSERS } from "../pb.js";
import { navigate } from "../router.js";
import { ErrorBox, Field, toast } from "../ui.jsx";

function Card({ title, subtitle, children }) {
  return (
    <div class="auth-page">
      <div class="auth-card">
        <div class="auth-brand"><img src="./favicon.svg" alt="" width="36" height="36" /><span>pybase</span></div>
        <h1>{title}</h1>
        {subtitle && <p class="muted">{subtitle}</p>}
        {children}
      </div>
    </div>
  );
}

export function InstallerPage({ token }) {
  const payload = getTokenPayload(token);
  const valid = payload?.type === "auth" && !isTokenExpired(token);
  const [form, setForm] = useState({ email: "", password: "", passwordConfirm: "" });
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  if (!valid) {
    return (
      <Card title="Installer link expired" subtitle="This installer link is invalid or has expired.">
        <p>Restart <code>pybase serve</code> for a new link, or run <code>pybase superuser upsert EMAIL PASS</code>.</p>
        <a class="btn primary block" href="#/login">Go to sign in</a>
      </Card>
    );
  }
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ message: "", fields: {} });
    try {
      await pb.collection(SUPERUSERS).create(form, { headers: { Authorization: token } });
      await pb.collection(SUPERUSERS).authWithPassword(form.email, form.password);
      toast("Your superuser account is ready.");
      navigate("collections");
    } catch (err) {
      setErrors(apiErrors(err));
      setBusy(false);
    }
  };
  const set = (key) => (e) => {
    const { value } = e.target;
    setForm((f) => ({ ...f, [key]: value }));
  };
  return (
    <Card title="Create your superuser" subtitle="The first account of this pybase instance. It can manage everything.">
      <form onSubmit={submit} class="stack">
        <ErrorBox message={Object.keys(errors.fields).length ? "" : errors.message} />
        <Field label="Email" error={errors.fields.email}>
          <input type="email" name="email" autocomplete="username" required value={form.email} onInput={set("email")} autofocus />
        </Field>
        <Field label="Password" error={errors.fields.password} hint="At least 10 characters.">
          <input type="password" name="password" autocomplete="new-password" required minLength={10} value={form.password} onInput={set("password")} />
        </Field>
        <Field label="Password confirm" error={errors.fields.passwordConfirm}>
          <input type="password" name="passwordConfirm" autocomplete="new-password" required value={form.passwordConfirm} onInput={set("passwordConfirm")} />
        </Field>
        <button class="btn primary block" type="submit" disabled={busy}>{busy ? "Creating…" : "Create superuser and sign in"}</button>
      </form>
    </Card>
  );
}

export function LoginPage() {
  const [form, setForm] = useState({ email: "", password: "", code: "" });
  const [step, setStep] = useState("password"); // password | otp
  const [mfaId, setMfaId] = useState("");
  const [otpId, setOtpId] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) => {
    const { value } = e.target;
    setForm((f) => ({ ...f, [key]: value }));
  };

  const requestOtp = async (mfa) => {
    const res = await pb.collection(SUPERUSERS).requestOTP(form.email);
    setOtpId(res.otpId);
    setMfaId(mfa || "");
    setStep("otp");
    toast("A one-time code was sent to your email.", "info");
  };

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      if (step === "password") {
        try {
          await pb.collection(SUPERUSERS).authWithPassword(form.email, form.password);
          navigate("collections");
        } catch (err) {
          const mfa = err?.response?.mfaId;
          if (!mfa) throw err;
          await requestOtp(mfa);
        }
      } else {
        await pb.collection(SUPERUSERS).authWithOTP(otpId, form.code, mfaId ? { mfaId } : {});
        navigate("collections");
      }
    } catch (err) {
      setError(apiErrors(err).message);
    }
    setBusy(false);
  };

  return (
    <Card title="Superuser sign in" subtitle={step === "otp" ? `Enter the code sent to ${form.email}.` : undefined}>
      <form onSubmit={submit} class="stack">
        <ErrorBox message={error} />
        {step === "password" ? (
          <>
            <Field label="Email">
              <input type="email" name="email" autocomplete="username" required value={form.email} onInput={set("email")} autofocus />
            </Field>
            <Field label="Password">
              <input type="password" name="password" autocomplete="current-password" required value={form.password} onInput={set("password")} />
            </Field>
          </>
        ) : (
          <Field label="One-time code">
            <input name="code" inputMode="numeric" autocomplete="one-time-code" required value={form.code} onInput={set("code")} autofocus />
          </Field>
        )}
        <button class="btn primary block" type="submit" disabled={busy}>{busy ? "Signing in…" : step === "otp" ? "Verify code" : "Sign in"}</button>
        {step === "otp" && (
          <button type="button" class="btn ghost block" onClick={() => { setStep("password"); setError(""); }}>Back</button>
        )}
        {step === "password" && <a class="btn ghost block" href="#/request-password-reset">Forgotten password?</a>}
      </form>
    </Card>
  );
}

// ---- public pages the auth mails and the OAuth2 redirect link to (any auth collection) ------

function collectionOf(token) {
  const payload = getTokenPayload(token);
  return payload?.collectionId || "";
}

function TokenCheck({ token, children }) {
  if (!collectionOf(token) || isTokenExpired(token)) {
    return (
      <Card title="Invalid or expired link" subtitle="This link is invalid or has expired. Ask for a new one.">
        <span />
      </Card>
    );
  }
  return children;
}

export function ConfirmVerificationPage({ token }) {
  const [state, setState] = useState("pending"); // pending | done | failed
  const [error, setError] = useState("");
  const run = async () => {
    try {
      await pb.collection(collectionOf(token)).confirmVerification(token);
      setState("done");
    } catch (err) {
      setError(apiErrors(err).message);
      setState("failed");
    }
  };
  useEffect(() => {
    if (collectionOf(token) && !isTokenExpired(token)) run();
  }, [token]);
  return (
    <TokenCheck token={token}>
      {state === "done" ? <Card title="Email verified" subtitle="Your email address is verified. You can close this window." />
        : state === "failed" ? <Card title="Verification failed" subtitle={error || "The link is invalid or has expired."} />
          : <Card title="Verifying your email…" />}
    </TokenCheck>
  );
}

export function ConfirmPasswordResetPage({ token }) {
  const [form, setForm] = useState({ password: "", passwordConfirm: "" });
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await pb.collection(collectionOf(token)).confirmPasswordReset(token, form.password, form.passwordConfirm);
      setDone(true);
    } catch (err) {
      setErrors(apiErrors(err));
    }
    setBusy(false);
  };
  if (done) return <Card title="Password changed" subtitle="You can sign in with your new password now." />;
  return (
    <TokenCheck token={token}>
      <Card title="Reset your password">
        <form class="stack" onSubmit={submit}>
          <ErrorBox message={Object.keys(errors.fields).length ? "" : errors.message} />
          <Field label="New password" error={errors.fields.password}>
            <input type="password" name="password" autocomplete="new-password" required value={form.password} onInput={(e) => { const { value } = e.target; setForm((f) => ({ ...f, password: value })); }} autofocus />
          </Field>
          <Field label="New password confirm" error={errors.fields.passwordConfirm}>
            <input type="password" name="passwordConfirm" autocomplete="new-password" required value={form.passwordConfirm} onInput={(e) => { const { value } = e.target; setForm((f) => ({ ...f, passwordConfirm: value })); }} />
          </Field>
          <button class="btn primary block" type="submit" disabled={busy}>{busy ? "Saving…" : "Set new password"}</button>
        </form>
      </Card>
    </TokenCheck>
  );
}

export function ConfirmEmailChangePage({ token }) {
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const newEmail = getTokenPayload(token)?.newEmail || "";
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await pb.collection(collectionOf(token)).confirmEmailChange(token, password);
      setDone(true);
    } catch (err) {
      setErrors(apiErrors(err));
    }
    setBusy(false);
  };
  if (done) return <Card title="Email changed" subtitle={`Your email is now ${newEmail}. You can sign in with it.`} />;
  return (
    <TokenCheck token={token}>
      <Card title="Confirm your new email" subtitle={newEmail ? `Change your email to ${newEmail}.` : undefined}>
        <form class="stack" onSubmit={submit}>
          <ErrorBox message={Object.keys(errors.fields).length ? "" : errors.message} />
          <Field label="Your password" error={errors.fields.password}>
            <input type="password" name="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.target.value)} autofocus />
          </Field>
          <button class="btn primary block" type="submit" disabled={busy}>{busy ? "Confirming…" : "Confirm new email"}</button>
        </form>
      </Card>
    </TokenCheck>
  );
}

export function OAuth2RedirectPage({ success }) {
  return success
    ? <Card title="Authentication completed" subtitle="You can close this window and go back to the app." />
    : <Card title="Authentication failed" subtitle="The sign-in did not complete. Close this window and try again." />;
}

export function RequestPasswordResetPage() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const [error, setError] = useState("");
  const submit = async (e) => {
    e.preventDefault();
    try {
      await pb.collection(SUPERUSERS).requestPasswordReset(email);
      setSent(true);
    } catch (err) {
      setError(apiErrors(err).message);
    }
  };
  return (
    <Card title="Forgotten password" subtitle={sent ? `If ${email} is a superuser's, a reset link is on its way.` : "We'll email you a link to set a new password."}>
      {!sent && (
        <form class="stack" onSubmit={submit}>
          <ErrorBox message={error} />
          <Field label="Email"><input type="email" required value={email} onInput={(e) => setEmail(e.target.value)} autofocus /></Field>
          <button class="btn primary block" type="submit">Send the reset link</button>
        </form>
      )}
      <a class="btn ghost block" href="#/login">Back to sign in</a>
    </Card>
  );
}
