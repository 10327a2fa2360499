// Settings: application, mail (+ test mail), files storage (S3 + test), backups, crons, rate limits.
import { useEffect, useRef, useState } from "preact/hooks";
import { setMeta } from "../appmeta.js";
import { apiErrors, pb } from "../pb.js";
import { navigate } from "../router.js";
import { Confirm, Empty, ErrorBox, Field, Icon, Loader, Modal, formatDate, formatSize, toast, useSaveShortcut } from "../ui.jsx";

const SECTIONS = [
  ["application", "Application", "home"],
  ["mail", "Mail settings", "mail"],
  ["storage", "Files storage", "cloud"],
  ["backups", "Backups", "archive"],
  ["crons", "Crons", "clock"],
  ["ratelimits", "Rate limits", "shield"],
  ["export", "Export collections", "download"],
  ["import", "Import collections", "up"],
];

export function SettingsPage({ route }) {
  const section = route.path[1] || "application";
  const page = {
    application: <ApplicationSettings />,
    mail: <MailSettings />,
    storage: <StorageSettings />,
    backups: <BackupsSettings />,
    crons: <CronsSettings />,
    ratelimits: <RateLimitSettings />,
    export: <ExportCollections />,
    import: <ImportCollections />,
  }[section];
  if (!page) {
    navigate("settings/application");
    return null;
  }
  return (
    <div class="split">
      <aside class="side-panel" aria-label="Settings">
        <ul class="side-list">
          {SECTIONS.map(([id, label, icon]) => (
            <li key={id}>
              <a href={`#/settings/${id}`} class={`side-item ${section === id ? "active" : ""}`} aria-current={section === id ? "page" : undefined}>
                <Icon name={icon} size={16} /><span class="side-item-name">{label}</span>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      <section class="content">{page}</section>
    </div>
  );
}

/**
 * Loads the settings, keeps an editable copy, saves the changed top-level keys.
 *
 * NOTE: what the server answers never replaces what the user typed: each edit is kept (as a
 * change to apply) until a save that included it succeeds, and is applied again over whatever
 * lands later (the load, or the answer of a save sent before the user typed more).
 */
function useSettings(keys) {
  const [settings, setSettings] = useState(null);
  const [original, setOriginal] = useState(null);
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  const saving = useRef(false);
  const edits = useRef([]); // the user's changes not saved yet, oldest first
  const base = useRef(null); // the settings as the server last answered them
  const landed = (fresh, unsaved) => {
    base.current = fresh;
    edits.current = unsaved;
    setOriginal(JSON.stringify(fresh));
    setSettings(unsaved.reduce((s, edit) => edit(s), fresh));
  };
  useEffect(() => {
    pb.settings.getAll().then((s) => landed(s, edits.current), (err) => setErrors(apiErrors(err)));
  }, []);
  const edit = (change) => {
    edits.current = [...edits.current, change];
    setSettings((s) => (s ? change(s) : s));
  };
  const set = (group, patch) => edit((s) => ({ ...s, [group]: { ...s[group], ...patch } }));
  const setTop = (key, value) => edit((s) => ({ ...s, [key]: value }));
  const changed = settings && original !== JSON.stringify(settings);
  const save = async () => {
    // NOTE: a ref, not the state: two submits in one tick must not both save
    if (!base.current || saving.current) return;
    saving.current = true;
    setBusy(true);
    setErrors({ message: "", fields: {} });
    try {
      // NOTE: from the edits themselves, not this render's state: a click right after typing
      // may run the handler of the render before the typing's (which saved the old value)
      const current = edits.current.reduce((s, change) => change(s), base.current);
      const body = Object.fromEntries(keys.map((k) => [k, current[k]]));
      const sent = edits.current.length;
      const saved = await pb.settings.update(body);
      // what was typed while the save was on its way stays (and is still to be saved)
      landed(saved, edits.current.slice(sent));
      if (saved?.meta) setMeta(saved.meta);
      toast("Settings saved.");
    } catch (err) {
      setErrors(apiErrors(err));
    }
    saving.current = false;
    setBusy(false);
  };
  useSaveShortcut(save);
  return { settings, set, setTop, save, errors, busy, changed };
}

function SaveBar({ state }) {
  return (
    <div class="save-bar">
      <button type="submit" class="btn primary" disabled={!state.changed || state.busy}>{state.busy ? "Saving…" : "Save changes"}</button>
    </div>
  );
}

function SettingsForm({ title, state, children }) {
  return (
    <form class="stack narrow" onSubmit={(e) => { e.preventDefault(); state.save(); }}>
      <h1>{title}</h1>
      <ErrorBox message={state.errors.message} />
      {state.settings === null ? <Loader /> : children}
      {state.settings && <SaveBar state={state} />}
    </form>
  );
}

/** A comma separated list input kept as an array ("a, b" <-> ["a", "b"]). */
function ListInput({ value, onChange, ...props }) {
  const [text, setText] = useState((value || []).join(", "));
  useEffect(() => {
    if ((value || []).join(", ") !== text.split(",").map((v) => v.trim()).filter(Boolean).join(", ")) setText((value || []).join(", "));
  }, [value]);
  return <input {...props} value={text} onInput={(e) => { setText(e.target.value); onChange(e.target.value.split(",").map((v) => v.trim()).filter(Boolean)); }} />;
}

function ApplicationSettings() {
  const state = useSettings(["meta", "trustedProxy", "batch", "superuserIPs"]);
  const s = state.settings;
  const e = state.errors.fields;
  const proxy = s?.trustedProxy || { headers: [], useLeftmostIP: false };
  const batch = s?.batch || {};
  return (
    <SettingsForm title="Application" state={state}>
      {s && <>
        <Field label="Application name" error={e["meta.appName"]}>
          <input name="appName" required value={s.meta.appName} onInput={(ev) => state.set("meta", { appName: ev.target.value })} />
        </Field>
        <Field label="Application URL" error={e["meta.appURL"]}>
          <input name="appURL" type="url" required value={s.meta.appURL} onInput={(ev) => state.set("meta", { appURL: ev.target.value })} />
        </Field>
        <Field label="Accent color" error={e["meta.accentColor"]} hint="The dashboard's buttons, links and selections.">
          <span class="row color-row">
            <input type="color" aria-label="Accent color picker" value={/^#[0-9a-f]{6}$/i.test(s.meta.accentColor || "") ? s.meta.accentColor : "#1055c9"}
              onInput={(ev) => state.set("meta", { accentColor: ev.target.value })} />
            <input name="accentColor" class="code" value={s.meta.accentColor || ""} onInput={(ev) => state.set("meta", { accentColor: ev.target.value })} placeholder="#1055c9" />
          </span>
        </Field>
        <label class="check"><input type="checkbox" checked={!!s.meta.hideControls} onChange={(ev) => state.set("meta", { hideControls: ev.target.checked })} /> Hide collection create and edit controls</label>

        <section class="stack card" aria-label="User IP proxy headers">
          <h2>User IP proxy headers</h2>
          <p class="muted small">Behind a reverse proxy, the client's IP comes from a header the proxy sets. Name the headers
            only if a trusted proxy always sets (or overwrites) them, or clients can fake their IP (rate limits, logs, superuser IPs).</p>
          <Field label="Trusted proxy headers" error={e["trustedProxy.headers"]} hint="Comma separated, e.g. X-Forwarded-For, X-Real-IP, CF-Connecting-IP; empty: the connection's address">
            <ListInput name="proxyHeaders" value={proxy.headers} onChange={(headers) => state.set("trustedProxy", { headers })} placeholder="X-Forwarded-For" />
          </Field>
          <Field label="IP taken from a header with several" inline>
            <select name="useLeftmostIP" value={proxy.useLeftmostIP ? "left" : "right"} onChange={(ev) => state.set("trustedProxy", { useLeftmostIP: ev.target.value === "left" })}>
              <option value="right">Rightmost (the address your proxy saw; recommended)</option>
              <option value="left">Leftmost (the original client, as sent by the client)</option>
            </select>
          </Field>
        </section>

        <section class="stack card" aria-label="Batch API">
          <h2>Batch API</h2>
          <label class="check"><input type="checkbox" checked={!!batch.enabled} onChange={(ev) => state.set("batch", { enabled: ev.target.checked })} /> Enable the batch API</label>
          <div class="row">
            <Field label="Max requests in a batch" error={e["batch.maxRequests"]}>
              <input name="batchMaxRequests" type="number" min="0" value={batch.maxRequests ?? ""} onInput={(ev) => state.set("batch", { maxRequests: Number(ev.target.value) })} />
            </Field>
            <Field label="Timeout (s)" error={e["batch.timeout"]}>
              <input name="batchTimeout" type="number" min="0" value={batch.timeout ?? ""} onInput={(ev) => state.set("batch", { timeout: Number(ev.target.value) })} />
            </Field>
            <Field label="Max body size (bytes)" error={e["batch.maxBodySize"]} hint="0: the default (128 MB)">
              <input name="batchMaxBodySize" type="number" min="0" value={batch.maxBodySize ?? ""} onInput={(ev) => state.set("batch", { maxBodySize: Number(ev.target.value) })} />
            </Field>
          </div>
        </section>

        <section class="stack card" aria-label="Superuser IPs">
          <h2>Superuser IPs</h2>
          <p class="muted small">When set, superusers can act only from these IP addresses or CIDR ranges (everything else about the API is unchanged).
            Include your own address (as pybase sees it, after the proxy headers above): a superuser's request from any other address is refused with 403, this dashboard's included.</p>
          <Field label="Allowed superuser IPs" error={e.superuserIPs || Object.entries(e).find(([k]) => k.startsWith("superuserIPs."))?.[1]} hint="Comma separated, e.g. 127.0.0.1, 10.0.0.0/8; empty: any IP">
            <ListInput name="superuserIPs" value={s.superuserIPs} onChange={(ips) => state.setTop("superuserIPs", ips)} placeholder="127.0.0.1, ::1" />
          </Field>
        </section>
      </>}
    </SettingsForm>
  );
}

function MailSettings() {
  const state = useSettings(["meta", "smtp"]);
  const s = state.settings;
  const e = state.errors.fields;
  const [testing, setTesting] = useState(false);
  return (
    <>
      <SettingsForm title="Mail settings" state={state}>
        {s && <>
          <div class="row">
            <Field label="Sender name" error={e["meta.senderName"]}><input name="senderName" value={s.meta.senderName} onInput={(ev) => state.set("meta", { senderName: ev.target.value })} /></Field>
            <Field label="Sender address" error={e["meta.senderAddress"]}><input name="senderAddress" type="email" value={s.meta.senderAddress} onInput={(ev) => state.set("meta", { senderAddress: ev.target.value })} /></Field>
          </div>
          <label class="check"><input type="checkbox" name="smtpEnabled" checked={!!s.smtp.enabled} onChange={(ev) => state.set("smtp", { enabled: ev.target.checked })} /> Use an SMTP mail server</label>
          {s.smtp.enabled && <>
            <div class="row">
              <Field label="SMTP host" error={e["smtp.host"]}><input name="smtpHost" value={s.smtp.host} onInput={(ev) => state.set("smtp", { host: ev.target.value })} /></Field>
              <Field label="Port" error={e["smtp.port"]}><input name="smtpPort" type="number" value={s.smtp.port} onInput={(ev) => state.set("smtp", { port: Number(ev.target.value) })} /></Field>
            </div>
            <div class="row">
              <Field label="Username" error={e["smtp.username"]}><input name="smtpUsername" autocomplete="off" value={s.smtp.username} onInput={(ev) => state.set("smtp", { username: ev.target.value })} /></Field>
              <Field label="Password" error={e["smtp.password"]}><input name="smtpPassword" type="password" autocomplete="new-password" placeholder="Unchanged" value={s.smtp.password || ""} onInput={(ev) => state.set("smtp", { password: ev.target.value })} /></Field>
            </div>
            <div class="row">
              <Field label="TLS encryption"><select value={String(!!s.smtp.tls)} onChange={(ev) => state.set("smtp", { tls: ev.target.value === "true" })}><option value="false">Auto (StartTLS)</option><option value="true">Always</option></select></Field>
              <Field label="Auth method"><select value={s.smtp.authMethod || "PLAIN"} onChange={(ev) => state.set("smtp", { authMethod: ev.target.value })}><option>PLAIN</option><option>LOGIN</option></select></Field>
              <Field label="HELO domain" error={e["smtp.localName"]} hint="Empty: localhost"><input name="smtpLocalName" value={s.smtp.localName || ""} onInput={(ev) => state.set("smtp", { localName: ev.target.value })} /></Field>
            </div>
          </>}
        </>}
      </SettingsForm>
      {s && <div class="narrow"><button type="button" class="btn" onClick={() => setTesting(true)}><Icon name="mail" /> Send a test email</button></div>}
      {testing && <TestEmail onClose={() => setTesting(false)} />}
    </>
  );
}

function TestEmail({ onClose }) {
  const [email, setEmail] = useState(pb.authStore.record?.email || "");
  const [template, setTemplate] = useState("verification");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setError("");
    try {
      await pb.settings.testEmail("_superusers", email, template);
      toast("Test email sent.");
      onClose();
    } catch (err) {
      setError(apiErrors(err).message);
      setBusy(false);
    }
  };
  return (
    <Modal title="Send a test email" onClose={onClose} footer={<>
      <button type="button" class="btn ghost" onClick={onClose}>Close</button>
      <button type="button" class="btn primary" disabled={busy} onClick={send}>{busy ? "Sending…" : "Send"}</button>
    </>}>
      <div class="stack">
        <ErrorBox message={error} />
        <Field label="Template">
          <select value={template} onChange={(e) => setTemplate(e.target.value)}>
            <option value="verification">Verification</option>
            <option value="password-reset">Password reset</option>
            <option value="email-change">Email change</option>
            <option value="otp">OTP</option>
            <option value="login-alert">Login alert</option>
          </select>
        </Field>
        <Field label="To email address"><input type="email" value={email} onInput={(e) => setEmail(e.target.value)} /></Field>
      </div>
    </Modal>
  );
}

function S3Fields({ s3, set, errors, prefix }) {
  return <>
    <div class="row">
      <Field label="Endpoint" error={errors[`${prefix}.endpoint`]}><input name="s3Endpoint" value={s3.endpoint} onInput={(e) => set({ endpoint: e.target.value })} /></Field>
      <Field label="Bucket" error={errors[`${prefix}.bucket`]}><input name="s3Bucket" value={s3.bucket} onInput={(e) => set({ bucket: e.target.value })} /></Field>
    </div>
    <div class="row">
      <Field label="Region" error={errors[`${prefix}.region`]}><input name="s3Region" value={s3.region} onInput={(e) => set({ region: e.target.value })} /></Field>
      <Field label="Access key" error={errors[`${prefix}.accessKey`]}><input name="s3AccessKey" autocomplete="off" value={s3.accessKey} onInput={(e) => set({ accessKey: e.target.value })} /></Field>
      <Field label="Secret" error={errors[`${prefix}.secret`]}><input name="s3Secret" type="password" autocomplete="new-password" placeholder="Unchanged" value={s3.secret || ""} onInput={(e) => set({ secret: e.target.value })} /></Field>
    </div>
    <label class="check"><input type="checkbox" checked={!!s3.forcePathStyle} onChange={(e) => set({ forcePathStyle: e.target.checked })} /> Force path-style addressing</label>
  </>;
}

function StorageSettings() {
  const state = useSettings(["s3"]);
  const s = state.settings;
  const [testing, setTesting] = useState(false);
  const test = async () => {
    setTesting(true);
    try {
      await pb.settings.testS3("storage");
      toast("S3 connection succeeded.");
    } catch (err) {
      toast(apiErrors(err).message, "error");
    }
    setTesting(false);
  };
  return (
    <>
      <SettingsForm title="Files storage" state={state}>
        {s && <>
          <p class="muted">Files are stored in <code>pb_data/storage</code> unless an S3 compatible storage is set.</p>
          <label class="check"><input type="checkbox" name="s3Enabled" checked={!!s.s3.enabled} onChange={(e) => state.set("s3", { enabled: e.target.checked })} /> Use S3 storage</label>
          {s.s3.enabled && <S3Fields s3={s.s3} set={(p) => state.set("s3", p)} errors={state.errors.fields} prefix="s3" />}
        </>}
      </SettingsForm>
      {s?.s3.enabled && !state.changed && <div class="narrow"><button type="button" class="btn" disabled={testing} onClick={test}>{testing ? "Testing…" : "Test the S3 connection"}</button></div>}
    </>
  );
}

function BackupsSettings() {
  const [backups, setBackups] = useState(null);
  const [error, setError] = useState("");
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const [confirm, setConfirm] = useState(null); // {action, key}
  const [restoring, setRestoring] = useState(null); // the backup's name while the server restores it
  const [uploading, setUploading] = useState("");
  const state = useSettings(["backups"]);
  const load = async () => {
    try {
      const list = await pb.backups.getFullList();
      list.sort((a, b) => (a.modified < b.modified ? 1 : -1));
      setBackups(list);
      setError("");
    } catch (err) {
      setError(apiErrors(err).message);
      setBackups([]);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const create = async (e) => {
    e.preventDefault();
    setCreating(true);
    try {
      await pb.backups.create(name.trim());
      toast("Backup created.");
      setName("");
      await load();
    } catch (err) {
      toast(apiErrors(err).message, "error");
    }
    setCreating(false);
  };
  const download = async (key) => {
    try {
      const token = await pb.files.getToken();
      window.location.href = pb.backups.getDownloadURL(token, key);
    } catch (err) {
      toast(apiErrors(err).message, "error");
    }
  };
  return (
    <div class="stack narrow">
      <header class="page-header">
        <div class="title"><h1>Backups</h1><button type="button" class="btn icon-btn ghost" onClick={load} aria-label="Refresh" title="Refresh"><Icon name="refresh" /></button></div>
      </header>
      <ErrorBox message={error} />
      <form class="row" onSubmit={create}>
        <input class="grow" name="backupName" aria-label="Backup name" placeholder="Name (optional), e.g. before_upgrade.zip" value={name} onInput={(e) => setName(e.target.value)} />
        <button type="submit" class="btn primary" disabled={creating}>{creating ? "Creating backup…" : "Create backup"}</button>
      </form>
      <label class="btn ghost sm" style="align-self: flex-start">
        <Icon name="up" size={16} /> Upload a backup (.zip)
        <input type="file" accept=".zip,application/zip" hidden aria-label="Upload a backup" onChange={async (e) => {
          const file = e.target.files[0];
          e.target.value = "";
          if (!file) return;
          setUploading(file.name);
          try {
            await pb.backups.upload({ file });
            toast(`Uploaded ${file.name}.`);
            await load();
          } catch (err) {
            const { message, fields } = apiErrors(err);
            toast(fields.file || message, "error");
          }
          setUploading("");
        }} />
      </label>
      {backups === null ? <Loader /> : backups.length === 0 ? <Empty title="No backups yet" /> : (
        <ul class="list" data-testid="backups-list">
          {backups.map((b) => (
            <li key={b.key} class="list-item">
              <Icon name="archive" />
              <span class="grow"><strong>{b.key}</strong> <span class="muted small">{formatSize(b.size)} · {formatDate(b.modified)}</span></span>
              <button type="button" class="btn ghost sm" onClick={() => download(b.key)} aria-label={`Download ${b.key}`}><Icon name="download" size={16} /></button>
              <button type="button" class="btn ghost sm" onClick={() => setConfirm({ action: "restore", key: b.key })}>Restore</button>
              <button type="button" class="btn ghost sm" onClick={() => setConfirm({ action: "delete", key: b.key })} aria-label={`Delete ${b.key}`}><Icon name="trash" size={16} /></button>
            </li>
          ))}
        </ul>
      )}
      {state.settings && (
        <form class="stack card" onSubmit={(e) => { e.preventDefault(); state.save(); }}>
          <h2>Scheduled backups</h2>
          <ErrorBox message={state.errors.message} />
          <div class="row">
            <Field label="Cron expression" error={state.errors.fields["backups.cron"]} hint="e.g. 0 0 * * * (every day at midnight UTC); empty to turn off">
              <input name="backupsCron" value={state.settings.backups.cron} onInput={(e) => state.set("backups", { cron: e.target.value })} />
            </Field>
            <Field label="Keep at most" error={state.errors.fields["backups.cronMaxKeep"]}>
              <input name="backupsMaxKeep" type="number" min="1" value={state.settings.backups.cronMaxKeep} onInput={(e) => state.set("backups", { cronMaxKeep: Number(e.target.value) })} />
            </Field>
          </div>
          <label class="check"><input type="checkbox" name="backupsS3" checked={!!state.settings.backups.s3?.enabled}
            onChange={(e) => state.set("backups", { s3: { ...state.settings.backups.s3, enabled: e.target.checked } })} /> Store backups in S3 storage</label>
          {state.settings.backups.s3?.enabled && (
            <S3Fields s3={state.settings.backups.s3} errors={state.errors.fields} prefix="backups.s3"
              set={(p) => state.set("backups", { s3: { ...state.settings.backups.s3, ...p } })} />
          )}
          <div class="row">
            {state.settings.backups.s3?.enabled && !state.changed && (
              <button type="button" class="btn" onClick={async () => {
                try {
                  await pb.settings.testS3("backups");
                  toast("S3 connection succeeded.");
                } catch (err) {
                  toast(apiErrors(err).message, "error");
                }
              }}>Test the S3 connection</button>
            )}
            <span class="grow" />
            <SaveBar state={state} />
          </div>
        </form>
      )}
      {confirm?.action === "delete" && (
        <Confirm title={`Delete ${confirm.key}?`} message="The backup file will be deleted." onClose={() => setConfirm(null)}
          onConfirm={async () => {
            try {
              await pb.backups.delete(confirm.key);
              toast(`Deleted ${confirm.key}.`);
              await load();
            } catch (err) {
              toast(apiErrors(err).message, "error");
              throw err;
            }
          }} />
      )}
      {confirm?.action === "restore" && (
        <Confirm title={`Restore ${confirm.key}?`} typed={confirm.key} confirmText="Restore"
          message="All current data (records, settings, superusers) will be replaced with the backup's and the server restarts."
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            try {
              await pb.backups.restore(confirm.key);
              setRestoring(confirm.key);
            } catch (err) {
              toast(apiErrors(err).message, "error");
              throw err;
            }
          }} />
      )}
      {restoring && <RestoreProgress name={restoring} />}
      {creating && <Progress title="Creating the backup" steps={["Archiving the data and the uploaded files…"]} />}
      {uploading && <Progress title={`Uploading ${uploading}`} steps={["Sending the archive and checking it…"]} />}
    </div>
  );
}

/** Seconds since mount, ticking. */
function useElapsed() {
  const [start] = useState(() => Date.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.floor((Date.now() - start) / 1000);
}

/** A blocking progress panel: what is going on, for how long. */
function Progress({ title, steps, step = 0, error }) {
  const elapsed = useElapsed();
  return (
    <div class="overlay" role="alertdialog" aria-modal="true" aria-label={title} data-testid="progress">
      <div class="modal progress-panel">
        <header class="modal-header"><h2>{title}</h2></header>
        <div class="modal-body stack">
          <ol class="progress-steps">
            {steps.map((text, i) => (
              <li key={text} class={i < step ? "done" : i === step ? "current" : ""}>
                {i === step && !error ? <span class="spinner" aria-hidden="true" /> : <span class="step-mark" aria-hidden="true">{i < step ? "✓" : ""}</span>}
                {text}
              </li>
            ))}
          </ol>
          {error ? <ErrorBox message={error} /> : <p class="muted small" aria-live="off">{elapsed} s</p>}
        </div>
      </div>
    </div>
  );
}

/**
 * After POST /api/backups/{key}/restore: the server swaps pb_data and restarts its process. Wait
 * for it to go away (or a few seconds), then for /api/health to answer again, then reload.
 */
function RestoreProgress({ name }) {
  const [step, setStep] = useState(0);
  const [error, setError] = useState("");
  useEffect(() => {
    let stop = false;
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const healthy = async () => {
      try {
        await pb.health.check({ requestKey: null });
        return true;
      } catch {
        return false;
      }
    };
    (async () => {
      // the restore answers 204 before the restart: a few seconds for the server to go down
      for (let i = 0; i < 10 && !stop && (await healthy()); i++) await sleep(300);
      if (stop) return;
      setStep(1);
      for (let i = 0; i < 240 && !stop; i++) {
        // NOTE: the panel may be gone by the time the check answers: no reload then
        if ((await healthy()) && !stop) {
          setStep(2);
          window.location.reload();
          return;
        }
        await sleep(500);
      }
      if (!stop) setError("The server did not come back within two minutes: check its log, then reload this page.");
    })();
    return () => {
      stop = true;
    };
  }, []);
  return <Progress title={`Restoring ${name}`} step={step} error={error}
    steps={["Replacing the data with the backup's…", "Waiting for the server to restart…", "Reconnected: reloading the dashboard…"]} />;
}

function CronsSettings() {
  const [crons, setCrons] = useState(null);
  const [error, setError] = useState("");
  const [running, setRunning] = useState({});
  const load = async () => {
    try {
      setCrons(await pb.crons.getFullList());
    } catch (err) {
      setError(apiErrors(err).message);
      setCrons([]);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const run = async (id) => {
    setRunning((r) => ({ ...r, [id]: true }));
    try {
      await pb.crons.run(id);
      toast(`Started "${id}".`);
    } catch (err) {
      toast(apiErrors(err).message, "error");
    }
    setRunning((r) => ({ ...r, [id]: false }));
  };
  return (
    <div class="stack narrow">
      <h1>Crons</h1>
      <ErrorBox message={error} />
      {crons === null ? <Loader /> : crons.length === 0 ? <Empty title="No cron jobs registered">Cron jobs are registered from hooks (<code>cronAdd</code>) or Python code.</Empty> : (
        <ul class="list" data-testid="crons-list">
          {crons.map((c) => (
            <li key={c.id} class="list-item">
              <code class="grow">{c.id}</code>
              <code class="muted">{c.expression}</code>
              <button type="button" class="btn ghost sm" disabled={running[c.id]} onClick={() => run(c.id)} aria-label={`Run ${c.id}`}><Icon name="play" size={16} /> Run</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RateLimitSettings() {
  const state = useSettings(["rateLimits"]);
  const s = state.settings;
  const e = state.errors.fields;
  const rules = s?.rateLimits?.rules || [];
  const setRule = (i, patch) => state.set("rateLimits", { rules: rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  return (
    <SettingsForm title="Rate limits" state={state}>
      {s && <>
        <label class="check"><input type="checkbox" checked={!!s.rateLimits.enabled} onChange={(ev) => state.set("rateLimits", { enabled: ev.target.checked })} /> Enable rate limiting</label>
        <p class="muted small">A label is a path (<code>/api/batch</code>), a path prefix ending in <code>/</code> (<code>/api/</code>), a method and path
          (<code>POST /api/batch</code>), or a collection action: <code>users:create</code>, <code>*:list</code>, <code>*:view</code>, <code>*:update</code>,
          <code>*:delete</code>, <code>*:auth</code> (every sign-in), <code>*:authWithPassword</code>… Superusers are never limited.</p>
        <table class="table compact">
          <thead><tr><th>Label</th><th>Max requests</th><th>Interval (s)</th><th>Audience</th><th /></tr></thead>
          <tbody>
            {rules.map((r, i) => (
              <tr key={i}>
                <td><input aria-label="Label" value={r.label} onInput={(ev) => setRule(i, { label: ev.target.value })} placeholder="/api/ or *:create" />{e[`rateLimits.rules.${i}.label`] && <small class="error-text">{e[`rateLimits.rules.${i}.label`]}</small>}</td>
                <td><input aria-label="Max requests" type="number" value={r.maxRequests} onInput={(ev) => setRule(i, { maxRequests: Number(ev.target.value) })} /></td>
                <td><input aria-label="Interval" type="number" value={r.duration} onInput={(ev) => setRule(i, { duration: Number(ev.target.value) })} /></td>
                <td><select aria-label="Audience" value={r.audience || ""} onChange={(ev) => setRule(i, { audience: ev.target.value })}><option value="">All</option><option value="@guest">Guests</option><option value="@auth">Authenticated</option></select></td>
                <td><button type="button" class="btn icon-btn ghost" aria-label="Remove rule" onClick={() => state.set("rateLimits", { rules: rules.filter((_, j) => j !== i) })}><Icon name="trash" size={16} /></button></td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" class="btn" onClick={() => state.set("rateLimits", { rules: [...rules, { label: "", maxRequests: 300, duration: 10, audience: "" }] })}><Icon name="plus" /> Add rule</button>
        <Field label="Excluded IPs" error={e["rateLimits.excludedIPs"] || Object.entries(e).find(([k]) => k.startsWith("rateLimits.excludedIPs."))?.[1]} hint="Comma separated IPs or CIDR ranges never rate limited">
          <ListInput name="excludedIPs" value={s.rateLimits.excludedIPs} onChange={(excludedIPs) => state.set("rateLimits", { excludedIPs })} placeholder="10.0.0.0/8" />
        </Field>
      </>}
    </SettingsForm>
  );
}

function exportable(collections) {
  return collections.map((c) => {
    const copy = { ...c };
    delete copy.created;
    delete copy.updated;
    return copy;
  });
}

function ExportCollections() {
  const [json, setJson] = useState(null);
  const [error, setError] = useState("");
  useEffect(() => {
    pb.collections.getFullList({ sort: "created" }).then((list) => setJson(JSON.stringify(exportable(list), null, 2)), (err) => setError(apiErrors(err).message));
  }, []);
  const download = () => {
    const url = URL.createObjectURL(new Blob([json], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "pb_schema.json";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div class="stack narrow">
      <h1>Export collections</h1>
      <p class="muted">The collections' configuration, to import in another pybase or PocketBase.</p>
      <ErrorBox message={error} />
      {json === null ? <Loader /> : <>
        <textarea class="code" rows={18} readOnly aria-label="Collections JSON" value={json} />
        <div class="row">
          <button type="button" class="btn primary" onClick={download}><Icon name="download" /> Download as JSON</button>
          <button type="button" class="btn" onClick={() => navigator.clipboard?.writeText(json).then(() => toast("Copied."))}><Icon name="copy" /> Copy</button>
        </div>
      </>}
    </div>
  );
}

function ImportCollections() {
  const [raw, setRaw] = useState("");
  const [current, setCurrent] = useState(null);
  const [deleteMissing, setDeleteMissing] = useState(false);
  const [review, setReview] = useState(null);
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    pb.collections.getFullList().then(setCurrent, (err) => setErrors(apiErrors(err)));
  }, []);
  let parsed = null;
  let parseError = "";
  if (raw.trim()) {
    try {
      parsed = JSON.parse(raw);
      if (!Array.isArray(parsed) || parsed.some((c) => !c || typeof c !== "object" || !c.name)) {
        parsed = null;
        parseError = "Expected a JSON array of collections, each with a name.";
      }
    } catch {
      parseError = "Invalid JSON.";
    }
  }
  const plan = () => {
    const byKey = (c) => current.find((o) => (c.id && o.id === c.id) || o.name === c.name);
    const added = parsed.filter((c) => !byKey(c)).map((c) => c.name);
    const changed = parsed.filter((c) => byKey(c)).map((c) => c.name);
    const deleted = deleteMissing ? current.filter((o) => !o.system && !parsed.some((c) => (c.id && c.id === o.id) || c.name === o.name)).map((o) => o.name) : [];
    return { added, changed, deleted };
  };
  const submit = async () => {
    setBusy(true);
    setErrors({ message: "", fields: {} });
    try {
      await pb.collections.import(parsed, deleteMissing);
      toast("Collections imported.");
      setReview(null);
      setRaw("");
      setCurrent(await pb.collections.getFullList());
    } catch (err) {
      setErrors(apiErrors(err));
      setReview(null);
    }
    setBusy(false);
  };
  return (
    <div class="stack narrow">
      <h1>Import collections</h1>
      <ErrorBox message={errors.message} />
      {Object.entries(errors.fields).map(([k, v]) => <small key={k} class="error-text" role="alert">{k}: {v}</small>)}
      <div class="field">
        <label class="field-control">
          <span class="field-label">Collections JSON</span>
          <textarea class="code" rows={14} value={raw} onInput={(e) => setRaw(e.target.value)} spellcheck={false} placeholder='[{"name": "posts", "type": "base", "fields": [...]}]' />
        </label>
        <label class="btn ghost sm" style="align-self: flex-start">
          Load from a JSON file
          <input type="file" accept=".json,application/json" hidden onChange={(e) => e.target.files[0]?.text().then(setRaw)} />
        </label>
        {parseError && <small class="error-text" role="alert">{parseError}</small>}
      </div>
      <label class="check"><input type="checkbox" checked={deleteMissing} onChange={(e) => setDeleteMissing(e.target.checked)} /> Delete the collections (and their records) missing from the import</label>
      <div><button type="button" class="btn primary" disabled={!parsed || !current} onClick={() => setReview(plan())}>Review</button></div>
      {review && (
        <Modal title="Review the import" onClose={() => setReview(null)} testid="import-review" footer={<>
          <button type="button" class="btn ghost" onClick={() => setReview(null)}>Cancel</button>
          <button type="button" class="btn primary" disabled={busy} onClick={submit}>{busy ? "Importing…" : "Confirm and import"}</button>
        </>}>
          <ul class="list">
            {review.added.map((n) => <li class="list-item" key={`a-${n}`}><span class="pill pill-on">Added</span> {n}</li>)}
            {review.changed.map((n) => <li class="list-item" key={`c-${n}`}><span class="pill">Changed</span> {n}</li>)}
            {review.deleted.map((n) => <li class="list-item" key={`d-${n}`}><span class="level level-ERROR">Deleted</span> {n}</li>)}
          </ul>
        </Modal>
      )}
    </div>
  );
}
