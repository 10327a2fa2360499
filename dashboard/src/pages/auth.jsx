// First run installer, sign in (password, then OTP when MFA asks for it).
import { getTokenPayload, isTokenExpired } from "pocketbase";
import { useState } from "preact/hooks";
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
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
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
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });

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
      </form>
    </Card>
  );
}
