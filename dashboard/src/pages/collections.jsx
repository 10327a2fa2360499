// Collections: the sidebar list, the collection editor (fields, rules, indexes, view query) and
// the records of the selected collection.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { useMeta } from "../appmeta.js";
import { apiErrors, pb } from "../pb.js";
import { navigate } from "../router.js";
import { Confirm, Empty, ErrorBox, Field, Icon, Loader, Modal, toast, useSaveShortcut } from "../ui.jsx";
import { RecordsView } from "./records.jsx";
import { RuleHelp, RuleInput } from "./rules.jsx";
import { DateTimePicker } from "../inputs.jsx";

export const FIELD_TYPES = ["text", "editor", "number", "bool", "email", "url", "date", "autodate", "select", "file", "relation", "json", "geoPoint", "password"];
const SYSTEM_AUTH_FIELDS = new Set(["password", "tokenKey", "email", "emailVisibility", "verified"]);
const RULES = [
  ["listRule", "List/Search rule"],
  ["viewRule", "View rule"],
  ["createRule", "Create rule"],
  ["updateRule", "Update rule"],
  ["deleteRule", "Delete rule"],
];

export function CollectionsPage({ route }) {
  const [collections, setCollections] = useState(null);
  const [error, setError] = useState("");
  const [search, setSearch] = useState("");
  const [editing, setEditing] = useState(null); // null | "new" | collection
  const [showSystem, setShowSystem] = useState(false);
  const selectedName = route.path[1];
  const { hideControls } = useMeta();

  const load = async () => {
    try {
      const list = await pb.collections.getFullList({ sort: "name" });
      setCollections(list);
      setError("");
      return list;
    } catch (err) {
      setError(apiErrors(err).message);
      return [];
    }
  };
  useEffect(() => {
    load();
  }, []);

  const selected = collections?.find((c) => c.name === selectedName || c.id === selectedName);
  // a collection named in the URL but not in the list (made elsewhere since): ask the list again
  // once before falling back to the first collection
  const refreshedFor = useRef(null);
  useEffect(() => {
    if (!collections || selected) return;
    if (selectedName && refreshedFor.current !== selectedName) {
      refreshedFor.current = selectedName;
      load();
      return;
    }
    const first = collections.find((c) => !c.system) || collections[0];
    if (first) navigate(`collections/${first.name}`);
  }, [collections, selected, selectedName]);

  const visible = (collections || []).filter((c) => (showSystem || !c.system || c.name === selectedName) && c.name.toLowerCase().includes(search.toLowerCase()));

  return (
    <div class="split">
      <aside class="side-panel" aria-label="Collections">
        <div class="side-search">
          <Icon name="search" size={16} />
          <input type="search" placeholder="Search collections" value={search} onInput={(e) => setSearch(e.target.value)} aria-label="Search collections" />
        </div>
        {collections === null ? <Loader /> : (
          <ul class="side-list">
            {visible.map((c) => (
              <li key={c.id}>
                <a href={`#/collections/${encodeURIComponent(c.name)}`} class={`side-item ${selected?.id === c.id ? "active" : ""}`} aria-current={selected?.id === c.id ? "page" : undefined}>
                  <Icon name={c.type === "auth" ? "shield" : c.type === "view" ? "search" : "database"} size={16} />
                  <span class="side-item-name">{c.name}</span>
                </a>
              </li>
            ))}
            {!visible.length && <li class="muted pad">No collections found.</li>}
          </ul>
        )}
        <label class="check small pad-x">
          <input type="checkbox" checked={showSystem} onChange={(e) => setShowSystem(e.target.checked)} /> Show system collections
        </label>
        {!hideControls && <button type="button" class="btn primary block" onClick={() => setEditing("new")}><Icon name="plus" /> New collection</button>}
      </aside>
      <section class="content">
        <ErrorBox message={error} />
        {collections && !collections.length && <Empty title="No collections yet">Create your first collection to start storing records.</Empty>}
        {selected && (
          <RecordsView key={selected.id} collection={selected} collections={collections} route={route} onEditCollection={hideControls ? null : () => setEditing(selected)} />
        )}
      </section>
      {editing && (
        <CollectionEditor
          key={editing === "new" ? "new" : editing.id || "duplicate"}
          collection={editing === "new" || !editing.id ? null : editing}
          template={editing !== "new" && !editing.id ? editing : null}
          onDuplicate={(copy) => setEditing(copy)}
          collections={collections || []}
          onClose={() => setEditing(null)}
          onSaved={async (saved) => {
            setEditing(null);
            await load();
            navigate(`collections/${saved.name}`);
          }}
          onDeleted={async () => {
            setEditing(null);
            await load();
            navigate("collections");
          }}
        />
      )}
    </div>
  );
}

function newField(type) {
  const field = { name: "", type, required: false, hidden: false, presentable: false, system: false };
  if (type === "select") Object.assign(field, { values: [], maxSelect: 1 });
  if (type === "relation") Object.assign(field, { collectionId: "", maxSelect: 1, cascadeDelete: false });
  if (type === "file") Object.assign(field, { maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false });
  if (type === "autodate") Object.assign(field, { onCreate: true, onUpdate: false });
  if (type === "number") Object.assign(field, { onlyInt: false });
  return field;
}

function blankCollection(type) {
  return {
    name: "",
    type,
    fields: [],
    indexes: [],
    listRule: null,
    viewRule: null,
    createRule: null,
    updateRule: null,
    deleteRule: null,
    viewQuery: type === "view" ? "SELECT id, created FROM " : undefined,
  };
}

function commaList(value) {
  return (value || []).join(", ");
}
function parseCommaList(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}
function numOrUndef(v) {
  return v === "" || v == null ? undefined : Number(v);
}

function FieldOptions({ field, update, collections, errors, prefix, collectionType }) {
  const err = (k) => errors[`${prefix}.${k}`];
  const num = (key, label) => (
    <Field label={label} error={err(key)} inline>
      <input type="number" value={field[key] ?? ""} onInput={(e) => update({ [key]: numOrUndef(e.target.value) })} />
    </Field>
  );
  const flag = (key, label) => (
    <label class="check"><input type="checkbox" checked={!!field[key]} onChange={(e) => update({ [key]: e.target.checked })} /> {label}</label>
  );
  // pybase's full-text search: text-like fields of base and auth collections
  const searchable = collectionType !== "view" && !field.hidden && !field.system && (
    <label class="check" title="Words of this field are found by the records list's ?search="><input type="checkbox" checked={!!field.searchable}
      onChange={(e) => update({ searchable: e.target.checked || undefined })} /> Searchable (full-text)</label>
  );
  switch (field.type) {
    case "text":
      return <div class="opts">{num("min", "Min length")}{num("max", "Max length")}
        <Field label="Pattern" error={err("pattern")} inline><input value={field.pattern || ""} onInput={(e) => update({ pattern: e.target.value })} placeholder="^[a-z]+$" /></Field>
        <Field label="Autogenerate pattern" error={err("autogeneratePattern")} inline><input value={field.autogeneratePattern || ""} onInput={(e) => update({ autogeneratePattern: e.target.value })} placeholder="[a-z0-9]{15}" /></Field>
        {flag("presentable", "Presentable")}{searchable}</div>;
    case "editor":
      return <div class="opts">{num("maxSize", "Max size (bytes)")}{flag("convertURLs", "Convert URLs")}{searchable}</div>;
    case "number":
      return <div class="opts">{num("min", "Min")}{num("max", "Max")}{flag("onlyInt", "Integers only")}</div>;
    case "email":
    case "url":
      return <div class="opts">
        <Field label="Only domains" error={err("onlyDomains")} inline><input value={commaList(field.onlyDomains)} onChange={(e) => update({ onlyDomains: parseCommaList(e.target.value) })} placeholder="example.com, …" /></Field>
        <Field label="Except domains" error={err("exceptDomains")} inline><input value={commaList(field.exceptDomains)} onChange={(e) => update({ exceptDomains: parseCommaList(e.target.value) })} /></Field>
        {searchable}</div>;
    case "date":
      return <div class="opts">
        <Field label="Min" error={err("min")} inline group groupLabel="Min date"><DateTimePicker label="Min date" value={field.min || ""} onChange={(v) => update({ min: v })} /></Field>
        <Field label="Max" error={err("max")} inline group groupLabel="Max date"><DateTimePicker label="Max date" value={field.max || ""} onChange={(v) => update({ max: v })} /></Field></div>;
    case "autodate":
      return <div class="opts">{flag("onCreate", "Set on create")}{flag("onUpdate", "Set on update")}</div>;
    case "select":
      return <div class="opts">
        <Field label="Values" error={err("values")} inline hint="Comma separated"><input value={commaList(field.values)} onChange={(e) => update({ values: parseCommaList(e.target.value) })} placeholder="draft, published" /></Field>
        {num("maxSelect", "Max select")}</div>;
    case "relation":
      return <div class="opts">
        <Field label="Collection" error={err("collectionId")} inline>
          <select value={field.collectionId} onChange={(e) => update({ collectionId: e.target.value })}>
            <option value="">Select a collection</option>
            {collections.filter((c) => c.type !== "view" || true).map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </Field>
        {num("minSelect", "Min select")}{num("maxSelect", "Max select")}{flag("cascadeDelete", "Cascade delete")}</div>;
    case "file":
      return <div class="opts">
        {num("maxSelect", "Max files")}{num("maxSize", "Max size (bytes)")}
        <Field label="MIME types" error={err("mimeTypes")} inline><input value={commaList(field.mimeTypes)} onChange={(e) => update({ mimeTypes: parseCommaList(e.target.value) })} placeholder="image/png, image/jpeg" /></Field>
        <Field label="Thumb sizes" error={err("thumbs")} inline><input value={commaList(field.thumbs)} onChange={(e) => update({ thumbs: parseCommaList(e.target.value) })} placeholder="100x100, 0x300" /></Field>
        {flag("protected", "Protected")}</div>;
    case "json":
      return <div class="opts">{num("maxSize", "Max size (bytes)")}</div>;
    case "password":
      return <div class="opts">{num("min", "Min length")}{num("max", "Max length")}{num("cost", "Bcrypt cost")}
        <Field label="Pattern" error={err("pattern")} inline><input value={field.pattern || ""} onInput={(e) => update({ pattern: e.target.value })} /></Field></div>;
    default:
      return null;
  }
}

function FieldRow({ field, index, count, update, remove, move, collections, errors, collectionType }) {
  const prefix = `fields.${index}`;
  const [open, setOpen] = useState(!field.id);
  const locked = field.system;
  return (
    <div class={`field-row ${errors[`${prefix}.name`] ? "has-error" : ""}`} data-testid="field-row">
      <div class="field-row-main">
        <span class="badge">{field.type}</span>
        <input class="grow" aria-label="Field name" placeholder="Field name" value={field.name} disabled={locked} onInput={(e) => update({ name: e.target.value })} />
        <label class="check small"><input type="checkbox" checked={!!field.required} onChange={(e) => update({ required: e.target.checked })} /> Nonempty</label>
        <label class="check small"><input type="checkbox" checked={!!field.hidden} onChange={(e) => update(e.target.checked ? { hidden: true, searchable: undefined } : { hidden: false })} /> Hidden</label>
        <button type="button" class="btn icon-btn ghost" onClick={() => move(-1)} disabled={index === 0} aria-label="Move up"><Icon name="up" size={16} /></button>
        <button type="button" class="btn icon-btn ghost" onClick={() => move(1)} disabled={index === count - 1} aria-label="Move down"><Icon name="down" size={16} /></button>
        <button type="button" class="btn icon-btn ghost" onClick={() => setOpen(!open)} aria-expanded={open} aria-label="Options"><Icon name="settings" size={16} /></button>
        {!locked && <button type="button" class="btn icon-btn ghost" onClick={remove} aria-label={`Remove field ${field.name}`}><Icon name="trash" size={16} /></button>}
      </div>
      {errors[`${prefix}.name`] && <small class="error-text" role="alert">{errors[`${prefix}.name`]}</small>}
      {open && <FieldOptions field={field} update={update} collections={collections} errors={errors} prefix={prefix} collectionType={collectionType} />}
      {open && field.type !== "autodate" && (
        <Field label="Help text" error={errors[`${prefix}.help`]} hint="Shown under the field in the record form.">
          <input aria-label={`${field.name || "Field"} help text`} value={field.help || ""} onInput={(e) => update({ help: e.target.value })} />
        </Field>
      )}
      {Object.entries(errors).filter(([k]) => k.startsWith(prefix + ".") && k !== `${prefix}.name` && !["min", "max", "pattern", "values", "collectionId", "mimeTypes", "thumbs", "onlyDomains", "exceptDomains", "help"].some((o) => k === `${prefix}.${o}`)).map(([k, v]) => (
        <small key={k} class="error-text" role="alert">{k.slice(prefix.length + 1)}: {v}</small>
      ))}
    </div>
  );
}

/** A copy of a collection to create: new name, no ids, its own index names. */
export function duplicateOf(collection) {
  const copy = JSON.parse(JSON.stringify(collection));
  const name = `${collection.name}_duplicate`;
  delete copy.id;
  delete copy.created;
  delete copy.updated;
  copy.system = false;
  copy.name = name;
  copy.fields = copy.fields.map((f) => {
    const field = { ...f };
    delete field.id;
    return field;
  });
  copy.indexes = (copy.indexes || []).map((idx) => idx
    .replace(/INDEX\s+(IF NOT EXISTS\s+)?[`"]?(\w+)[`"]?/i, (m, ine, n) => `INDEX ${ine || ""}\`${n}_duplicate\``)
    .replace(new RegExp(`ON\\s+[\`"]?${collection.name}[\`"]?`, "i"), `ON \`${name}\``));
  return copy;
}

export function CollectionEditor({ collection, template, collections, onClose, onSaved, onDeleted, onDuplicate }) {
  const isNew = !collection;
  const [data, setData] = useState(() => (isNew ? template || blankCollection("base") : JSON.parse(JSON.stringify(collection))));
  const [tab, setTab] = useState("fields");
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [newType, setNewType] = useState("text");

  const set = (patch) => setData((d) => ({ ...d, ...patch }));
  const setType = (type) => {
    if (!isNew) return;
    setData((d) => ({ ...blankCollection(type), name: d.name, fields: type === "view" ? [] : d.fields.filter((f) => !f.system) }));
  };
  const updateField = (i, patch) => setData((d) => ({ ...d, fields: d.fields.map((f, j) => (j === i ? { ...f, ...patch } : f)) }));
  const moveField = (i, delta) => setData((d) => {
    const fields = [...d.fields];
    const j = i + delta;
    if (j < 0 || j >= fields.length) return d;
    [fields[i], fields[j]] = [fields[j], fields[i]];
    return { ...d, fields };
  });

  const save = async () => {
    if (busy) return;
    setBusy(true);
    setErrors({ message: "", fields: {} });
    const body = { ...data };
    if (body.type !== "view") delete body.viewQuery;
    // NOTE: client secrets are never answered; a stored provider sent without one keeps its
    // secret (the server lays it over the stored provider of the same name, as PocketBase)
    if (body.oauth2?.providers && !isNew) {
      const stored = new Set((collection.oauth2?.providers || []).map((p) => p.name));
      body.oauth2 = {
        ...body.oauth2,
        providers: body.oauth2.providers.map((p) => {
          if (!stored.has(p.name) || p.clientSecret) return p;
          const { clientSecret, ...rest } = p;
          return rest;
        }),
      };
    }
    try {
      const saved = isNew ? await pb.collections.create(body) : await pb.collections.update(collection.id, body);
      toast(isNew ? `Created collection "${saved.name}".` : `Saved collection "${saved.name}".`);
      onSaved(saved);
    } catch (err) {
      const e = apiErrors(err);
      setErrors(e);
      const keys = Object.keys(e.fields);
      if (keys.some((k) => k.endsWith("Rule"))) setTab("rules");
      else if (keys.some((k) => k.startsWith("indexes"))) setTab("indexes");
      else if (keys.some((k) => k.startsWith("fields") || k === "viewQuery")) setTab("fields");
      setBusy(false);
    }
  };
  useSaveShortcut(save);

  const ruleFields = useMemo(() => [{ name: "id", type: "text" }, ...data.fields.filter((f) => f.name && f.name !== "id")], [data.fields]);
  const [help, setHelp] = useState(false);
  const userFields = data.fields.map((f, i) => [f, i]).filter(([f]) => !(f.name === "id" && f.system));
  const err = errors.fields;
  const rules = data.type === "auth" ? [...RULES, ["authRule", "Auth rule"], ["manageRule", "Manage rule"]] : RULES;

  return (
    <Modal wide title={isNew ? (template ? "Duplicate collection" : "New collection") : `Edit collection ${collection.name}`} onClose={onClose} testid="collection-editor"
      footer={<>
        {!isNew && !collection.system && <button type="button" class="btn danger ghost" onClick={() => setConfirmDelete(true)}><Icon name="trash" /> Delete</button>}
        {!isNew && !collection.system && <button type="button" class="btn ghost" onClick={() => onDuplicate(duplicateOf(collection))}><Icon name="copy" /> Duplicate</button>}
        <div class="grow" />
        <button type="button" class="btn ghost" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" onClick={save} disabled={busy}>{busy ? "Saving…" : isNew ? "Create" : "Save changes"}</button>
      </>}>
      <form onSubmit={(e) => { e.preventDefault(); save(); }} class="stack">
        <ErrorBox message={errors.message && Object.keys(err).length === 0 ? errors.message : Object.keys(err).length ? "Please fix the errors below." : ""} />
        <div class="row">
          <Field label="Name" error={err.name}>
            <input name="name" required value={data.name} disabled={collection?.system} onInput={(e) => set({ name: e.target.value })} placeholder="posts" autofocus />
          </Field>
          <Field label="Type">
            <select value={data.type} disabled={!isNew} onChange={(e) => setType(e.target.value)} name="type">
              <option value="base">Base</option>
              <option value="auth">Auth</option>
              <option value="view">View</option>
            </select>
          </Field>
        </div>
        <div class="tabs" role="tablist">
          {[["fields", data.type === "view" ? "Query" : "Fields"], ["rules", "API rules"], ...(data.type === "view" ? [] : [["indexes", "Indexes"]]), ...(data.type === "auth" ? [["auth", "Auth options"]] : [])].map(([id, label]) => (
            <button key={id} type="button" role="tab" aria-selected={tab === id} class={`tab ${tab === id ? "active" : ""}`} onClick={() => setTab(id)}>{label}</button>
          ))}
        </div>
        {tab === "fields" && data.type === "view" && (
          <div class="stack">
            <Field label="Select query" error={err.viewQuery} hint="The fields are inferred from the query's columns; it must return an id column.">
              <textarea class="code" rows={6} name="viewQuery" spellcheck={false} value={data.viewQuery || ""} onInput={(e) => set({ viewQuery: e.target.value })} />
            </Field>
            {!!data.fields.length && <p class="muted">Inferred fields: {data.fields.map((f) => `${f.name} (${f.type})`).join(", ")}</p>}
          </div>
        )}
        {tab === "fields" && data.type !== "view" && (
          <div class="stack">
            {userFields.map(([f, i]) => (
              <FieldRow key={f.id || `new-${i}`} field={f} index={i} count={data.fields.length} errors={err} collections={collections} collectionType={data.type}
                update={(patch) => updateField(i, patch)}
                remove={() => setData((d) => ({ ...d, fields: d.fields.filter((_, j) => j !== i) }))}
                move={(delta) => moveField(i, delta)} />
            ))}
            <div class="row add-field">
              <select aria-label="New field type" value={newType} onChange={(e) => setNewType(e.target.value)}>
                {FIELD_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
              </select>
              <button type="button" class="btn" onClick={() => setData((d) => ({ ...d, fields: [...d.fields, newField(newType)] }))}><Icon name="plus" /> Add field</button>
            </div>
          </div>
        )}
        {tab === "rules" && (
          <div class={help ? "rules-with-help" : ""}>
            <div class="stack">
              <div class="row rules-bar">
                <span class="muted small grow">Type a field name, <code>@request.</code>, <code>@collection.</code> or <code>@</code> for suggestions (↓ to pick).</span>
                <button type="button" class="btn ghost sm" aria-expanded={help} onClick={() => setHelp(!help)}><Icon name="help" size={16} /> {help ? "Hide syntax help" : "Syntax help"}</button>
              </div>
              {rules.map(([key, label]) => (
                <RuleInput key={key} name={key} label={label} value={data[key]} error={err[key]} fields={ruleFields} collections={collections}
                  onChange={(v) => {
                    set({ [key]: v });
                    if (err[key]) {
                      setErrors((e) => {
                        const fields = Object.fromEntries(Object.entries(e.fields).filter(([k]) => k !== key));
                        return { message: Object.keys(fields).length ? e.message : "", fields };
                      });
                    }
                  }} />
              ))}
            </div>
            {help && <RuleHelp fields={ruleFields} collections={collections} collectionName={data.name} />}
          </div>
        )}
        {tab === "indexes" && (
          <div class="stack">
            {(data.indexes || []).map((idx, i) => (
              <div class="row" key={i}>
                <input class="code grow" value={idx} aria-label={`Index ${i + 1}`} onInput={(e) => set({ indexes: data.indexes.map((x, j) => (j === i ? e.target.value : x)) })} />
                <button type="button" class="btn icon-btn ghost" aria-label="Remove index" onClick={() => set({ indexes: data.indexes.filter((_, j) => j !== i) })}><Icon name="trash" size={16} /></button>
              </div>
            ))}
            {Object.entries(err).filter(([k]) => k.startsWith("indexes")).map(([k, v]) => <small key={k} class="error-text" role="alert">{k}: {v}</small>)}
            {!data.indexes?.length && <p class="muted">No indexes.</p>}
            <button type="button" class="btn" onClick={() => set({ indexes: [...(data.indexes || []), `CREATE INDEX \`idx_${data.name || "name"}_\` ON \`${data.name || "name"}\` (\`\`)`] })}><Icon name="plus" /> Add index</button>
          </div>
        )}
        {tab === "auth" && <AuthOptions data={data} set={set} err={err} storedProviders={(collection?.oauth2?.providers || []).map((p) => p.name)} />}
      </form>
      {confirmDelete && (
        <Confirm title={`Delete collection ${collection.name}?`} typed={collection.name}
          message="All of its records and files will be deleted. This cannot be undone."
          onClose={() => setConfirmDelete(false)}
          onConfirm={async () => {
            try {
              await pb.collections.delete(collection.id);
              toast(`Deleted collection "${collection.name}".`);
              onDeleted();
            } catch (e) {
              toast(apiErrors(e).message, "error");
              throw e;
            }
          }} />
      )}
    </Modal>
  );
}

function AuthOptions({ data, set, err, storedProviders }) {
  const toggle = (group, key, label) => (
    <label class="check"><input type="checkbox" checked={!!data[group]?.[key]} onChange={(e) => set({ [group]: { ...(data[group] || {}), [key]: e.target.checked } })} /> {label}</label>
  );
  const duration = (key, label) => (
    <Field label={label} error={err[`${key}.duration`]} inline>
      <input type="number" min="0" value={data[key]?.duration ?? ""} onInput={(e) => set({ [key]: { ...(data[key] || {}), duration: Number(e.target.value) } })} />
    </Field>
  );
  return (
    <div class="stack">
      {toggle("passwordAuth", "enabled", "Identity/password sign-in")}
      {data.passwordAuth?.enabled && (
        <Field label="Identity fields" error={err["passwordAuth.identityFields"]} hint="Comma separated; each must have a unique index (email has one), e.g. email, username">
          <input class="code" name="identityFields" value={commaList(data.passwordAuth.identityFields)}
            onChange={(e) => set({ passwordAuth: { ...data.passwordAuth, identityFields: parseCommaList(e.target.value) } })} />
        </Field>
      )}
      {toggle("otp", "enabled", "One-time password (OTP) sign-in")}
      {toggle("mfa", "enabled", "Multi-factor authentication (MFA)")}
      {toggle("oauth2", "enabled", "OAuth2 sign-in")}
      <div class="opts">
        {duration("authToken", "Auth token duration (s)")}
        {duration("verificationToken", "Verification token duration (s)")}
        {duration("passwordResetToken", "Password reset token duration (s)")}
        {duration("emailChangeToken", "Email change token duration (s)")}
        {duration("fileToken", "File token duration (s)")}
      </div>
      {data.oauth2?.enabled && <OAuth2Providers data={data} set={set} err={err} storedProviders={storedProviders} />}
      {data.otp?.enabled && (
        <div class="opts">
          <Field label="OTP duration (s)" error={err["otp.duration"]} inline>
            <input type="number" min="0" value={data.otp.duration ?? ""} onInput={(e) => set({ otp: { ...data.otp, duration: Number(e.target.value) } })} />
          </Field>
          <Field label="OTP length" error={err["otp.length"]} inline>
            <input type="number" min="0" value={data.otp.length ?? ""} onInput={(e) => set({ otp: { ...data.otp, length: Number(e.target.value) } })} />
          </Field>
        </div>
      )}
      {data.mfa?.enabled && (
        <div class="row">
          <Field label="MFA rule" error={err["mfa.rule"]} hint="The records that must pass a second method; empty: every record.">
            <input class="code" value={data.mfa.rule || ""} onInput={(e) => set({ mfa: { ...data.mfa, rule: e.target.value } })} />
          </Field>
          <Field label="MFA duration (s)" error={err["mfa.duration"]} hint="How long the first method's success waits for the second.">
            <input type="number" min="0" value={data.mfa.duration ?? ""} onInput={(e) => set({ mfa: { ...data.mfa, duration: Number(e.target.value) } })} />
          </Field>
        </div>
      )}
      {toggle("authAlert", "enabled", "Send a login alert email on a sign-in from a new location")}
      <h3 class="section-title">Email templates</h3>
      <p class="muted small">Placeholders: <code>{"{APP_NAME}"}</code>, <code>{"{APP_URL}"}</code>, <code>{"{TOKEN}"}</code>, <code>{"{OTP}"}</code>, <code>{"{RECORD:<field>}"}</code>.</p>
      {TEMPLATES.map(([path, label]) => <TemplateEditor key={path} path={path} label={label} data={data} set={set} err={err} />)}
    </div>
  );
}

const TEMPLATES = [
  ["verificationTemplate", "Verification"],
  ["resetPasswordTemplate", "Password reset"],
  ["confirmEmailChangeTemplate", "Email change confirmation"],
  ["otp.emailTemplate", "One-time password"],
  ["authAlert.emailTemplate", "Login alert"],
];

function TemplateEditor({ path, label, data, set, err }) {
  const [open, setOpen] = useState(false);
  const [group, key] = path.includes(".") ? path.split(".") : [null, path];
  const template = (group ? data[group]?.[key] : data[key]) || { subject: "", body: "" };
  const update = (patch) => {
    const next = { ...template, ...patch };
    if (group) set({ [group]: { ...(data[group] || {}), [key]: next } });
    else set({ [key]: next });
  };
  const hasError = err[`${path}.subject`] || err[`${path}.body`];
  return (
    <div class={`field-row ${hasError ? "has-error" : ""}`}>
      <button type="button" class="btn ghost" aria-expanded={open || !!hasError} onClick={() => setOpen(!open)}>{label} template</button>
      {(open || hasError) && (
        <div class="stack">
          <Field label={`${label} subject`} error={err[`${path}.subject`]}>
            <input value={template.subject} onInput={(e) => update({ subject: e.target.value })} />
          </Field>
          <Field label={`${label} body (HTML)`} error={err[`${path}.body`]}>
            <textarea class="code" rows={6} value={template.body} onInput={(e) => update({ body: e.target.value })} />
          </Field>
        </div>
      )}
    </div>
  );
}

export { SYSTEM_AUTH_FIELDS };

// The OAuth2 providers PocketBase 0.40 knows by name (pybase's OAUTH2_PROVIDERS).
const PROVIDERS = ["apple", "bitbucket", "box", "discord", "facebook", "gitea", "gitee", "github", "gitlab", "google", "instagram2",
  "kakao", "lark", "linear", "livechat", "mailcow", "microsoft", "monday", "notion", "oidc", "oidc2", "oidc3",
  "patreon", "planningcenter", "spotify", "strava", "trakt", "twitch", "twitter", "vk", "wakatime", "yandex"];

const APPLE_DEFAULT_DURATION = 15777000; // seconds, about 6 months: Apple's limit

/** "Generate client secret" for the apple provider: an ES256 JWT signed by the server from a private key. */
function AppleSecretButton({ clientId, onSecret }) {
  const [open, setOpen] = useState(false);
  return (
    <div class="row">
      <button type="button" class="btn ghost sm" onClick={() => setOpen(true)}><Icon name="lock" size={16} /> Generate client secret</button>
      {open && <AppleSecretForm clientId={clientId} onClose={() => setOpen(false)} onSecret={(secret) => { onSecret(secret); setOpen(false); }} />}
    </div>
  );
}

function AppleSecretForm({ clientId, onClose, onSecret }) {
  const [form, setForm] = useState({ clientId, teamId: "", keyId: "", privateKey: "", duration: APPLE_DEFAULT_DURATION });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState({ message: "", fields: {} });
  const field = (key) => (ev) => {
    const value = key === "duration" ? Number(ev.target.value) : ev.target.value;
    setForm((f) => ({ ...f, [key]: value }));
  };
  const generate = async () => {
    setBusy(true);
    try {
      const res = await pb.send("/api/settings/apple/generate-client-secret", { method: "POST", body: form });
      toast("Client secret generated.");
      onSecret(res.secret);
    } catch (err) {
      setError(apiErrors(err));
      setBusy(false);
    }
  };
  const fe = error.fields;
  return (
    <Modal title="Generate Apple client secret" onClose={onClose} testid="apple-secret"
      footer={<>
        <button type="button" class="btn ghost" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" disabled={busy} onClick={generate}>{busy ? "Generating…" : "Generate and set secret"}</button>
      </>}>
      <div class="stack">
        <ErrorBox message={Object.keys(fe).length ? "" : error.message} />
        <Field label="Apple client ID" error={fe.clientId} hint="The Services ID."><input value={form.clientId} onInput={field("clientId")} /></Field>
        <Field label="Apple team ID" error={fe.teamId}><input value={form.teamId} onInput={field("teamId")} /></Field>
        <Field label="Apple key ID" error={fe.keyId}><input value={form.keyId} onInput={field("keyId")} /></Field>
        <Field label="Duration (s)" error={fe.duration} hint="At most 15777000 (about 6 months)."><input type="number" min="1" max={APPLE_DEFAULT_DURATION} value={form.duration} onInput={field("duration")} /></Field>
        <Field label="Private key" error={fe.privateKey} hint="The .p8 file's PEM text."><textarea class="code" rows={6} placeholder="-----BEGIN PRIVATE KEY-----" value={form.privateKey} onInput={field("privateKey")} /></Field>
      </div>
    </Modal>
  );
}

function OAuth2Providers({ data, set, err, storedProviders }) {
  const collectionHas = (name) => storedProviders.includes(name);
  const providers = data.oauth2?.providers || [];
  const [adding, setAdding] = useState("google");
  const update = (list) => set({ oauth2: { ...data.oauth2, providers: list } });
  const change = (i, patch) => update(providers.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const free = PROVIDERS.filter((n) => !providers.some((p) => p.name === n));
  return (
    <div class="stack">
      <h3 class="section-title">OAuth2 providers</h3>
      {providers.length > 0 && <p class="muted small">Client secrets are never shown: leave a saved provider's secret empty to keep it.</p>}
      {providers.map((p, i) => {
        const e = (k) => err[`oauth2.providers.${i}.${k}`];
        return (
          <div class="field-row" key={p.name} data-testid="oauth2-provider">
            <div class="field-row-main">
              <span class="badge">{p.name}</span>
              <span class="grow" />
              <button type="button" class="btn icon-btn ghost" aria-label={`Remove provider ${p.name}`} onClick={() => update(providers.filter((_, j) => j !== i))}><Icon name="trash" size={16} /></button>
            </div>
            <div class="opts">
              <Field label={`${p.name} client ID`} error={e("clientId")} inline><input value={p.clientId || ""} onInput={(ev) => change(i, { clientId: ev.target.value })} /></Field>
              <Field label={`${p.name} client secret`} error={e("clientSecret")} inline><input type="password" autocomplete="new-password" placeholder={collectionHas(p.name) ? "Unchanged" : ""} value={p.clientSecret || ""} onInput={(ev) => change(i, { clientSecret: ev.target.value })} /></Field>
              <Field label={`${p.name} display name`} error={e("displayName")} inline><input value={p.displayName || ""} onInput={(ev) => change(i, { displayName: ev.target.value })} /></Field>
            </div>
            {p.name === "apple" && <AppleSecretButton clientId={p.clientId || ""} onSecret={(secret) => change(i, { clientSecret: secret })} />}
            {(p.name.startsWith("oidc") || ["gitea", "gitlab", "mailcow", "microsoft"].includes(p.name)) && (
              <div class="opts">
                <Field label={`${p.name} auth URL`} error={e("authURL")} inline><input type="url" value={p.authURL || ""} onInput={(ev) => change(i, { authURL: ev.target.value })} /></Field>
                <Field label={`${p.name} token URL`} error={e("tokenURL")} inline><input type="url" value={p.tokenURL || ""} onInput={(ev) => change(i, { tokenURL: ev.target.value })} /></Field>
                <Field label={`${p.name} user info URL`} error={e("userInfoURL")} inline><input type="url" value={p.userInfoURL || ""} onInput={(ev) => change(i, { userInfoURL: ev.target.value })} /></Field>
              </div>
            )}
            {p.name.startsWith("oidc") && (
              <div class="opts">
                <Field label={`${p.name} JWKS URL`} error={e("extra.jwksURL") || e("extra")} hint="Checks the id_token's signature when there is no user info URL." inline>
                  <input type="url" value={p.extra?.jwksURL || ""} onInput={(ev) => change(i, { extra: { ...(p.extra || {}), jwksURL: ev.target.value } })} />
                </Field>
                <Field label={`${p.name} issuers`} error={e("extra.issuers")} hint="Comma separated; the id_token's iss must be one of them." inline>
                  <input value={(p.extra?.issuers || []).join(", ")} onInput={(ev) => change(i, { extra: { ...(p.extra || {}), issuers: ev.target.value.split(",").map((v) => v.trim()).filter(Boolean) } })} />
                </Field>
                <Field label={`${p.name} PKCE`} error={e("pkce")} inline>
                  <select value={p.pkce === true ? "on" : p.pkce === false ? "off" : ""} onChange={(ev) => change(i, { pkce: ev.target.value === "" ? null : ev.target.value === "on" })}>
                    <option value="">Provider default</option>
                    <option value="on">On</option>
                    <option value="off">Off</option>
                  </select>
                </Field>
              </div>
            )}
          </div>
        );
      })}
      <h3 class="section-title">Fields filled from the provider's profile</h3>
      <div class="opts">
        {[["name", "Name"], ["avatarURL", "Avatar"], ["username", "Username"], ["id", "Provider id"]].map(([key, label]) => (
          <Field key={key} label={`OAuth2 ${label.toLowerCase()} field`} error={err[`oauth2.mappedFields.${key}`]} inline>
            <select value={data.oauth2?.mappedFields?.[key] || ""} onChange={(ev) => set({ oauth2: { ...data.oauth2, mappedFields: { ...(data.oauth2?.mappedFields || {}), [key]: ev.target.value } } })}>
              <option value="">Not mapped</option>
              {(data.fields || []).filter((f) => f.name && !["id", "password", "tokenKey", "email", "emailVisibility", "verified"].includes(f.name) && (key === "avatarURL" ? ["file", "url", "text"] : ["text", "editor", "url", "email"]).includes(f.type))
                .map((f) => <option key={f.name} value={f.name}>{f.name}</option>)}
            </select>
          </Field>
        ))}
      </div>
      {free.length > 0 && (
        <div class="row add-field">
          <select aria-label="New OAuth2 provider" value={adding} onChange={(ev) => setAdding(ev.target.value)}>
            {free.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
          <button type="button" class="btn" onClick={() => update([...providers, { name: free.includes(adding) ? adding : free[0], clientId: "", clientSecret: "" }])}><Icon name="plus" /> Add provider</button>
        </div>
      )}
    </div>
  );
}
