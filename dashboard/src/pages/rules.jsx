// API rules: the rule input (lock to superusers, or a filter with suggestions as you type) and
// the syntax help shown beside the rules.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Icon } from "../ui.jsx";

const MACROS = ["@now", "@yesterday", "@tomorrow", "@todayStart", "@todayEnd", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd",
  "@second", "@minute", "@hour", "@weekday", "@day", "@month", "@year"];
const MULTI = (f) => ["select", "relation", "file"].includes(f.type) && (f.maxSelect || 1) > 1;

/**
 * Every path a rule may name: the collection's fields (and one level through its relations),
 * @request.* (the auth record's fields from every auth collection), @collection.NAME.*, the
 * date macros and the modifiers (:isset, :changed, :length, :each, :lower).
 */
export function rulePaths(fields, collections) {
  const list = (fields || []).map((f) => (typeof f === "string" ? { name: f, type: "text" } : f)).filter((f) => f.name);
  const paths = [];
  for (const f of list) {
    paths.push(f.name);
    if (MULTI(f)) paths.push(`${f.name}:length`, `${f.name}:each`);
    if (["text", "email", "url", "editor", "select"].includes(f.type)) paths.push(`${f.name}:lower`);
    if (f.type === "relation") {
      const target = collections.find((c) => c.id === f.collectionId);
      for (const tf of target?.fields || []) if (!tf.hidden) paths.push(`${f.name}.${tf.name}`);
    }
  }
  paths.push("@request.method", "@request.context", "@request.query.", "@request.headers.", "@request.auth.id", "@request.auth.collectionName", "@request.auth.collectionId");
  for (const c of collections) if (c.type === "auth") for (const f of c.fields || []) if (f.type !== "password" && !f.hidden) paths.push(`@request.auth.${f.name}`);
  for (const f of list) {
    if (f.name === "id") continue;
    paths.push(`@request.body.${f.name}`, `@request.body.${f.name}:isset`, `@request.body.${f.name}:changed`);
    if (MULTI(f)) paths.push(`@request.body.${f.name}:length`, `@request.body.${f.name}:each`);
    if (["text", "email", "url", "editor", "select"].includes(f.type)) paths.push(`@request.body.${f.name}:lower`);
  }
  for (const c of collections) for (const f of c.fields || []) paths.push(`@collection.${c.name}.${f.name}`);
  paths.push(...MACROS);
  return [...new Set(paths)];
}

export function RuleInput({ name, label, value, onChange, error, fields, collections }) {
  const locked = value === null || value === undefined;
  const ref = useRef(null);
  const box = useRef(null);
  const [word, setWord] = useState("");
  const paths = useMemo(() => rulePaths(fields, collections || []), [fields, collections]);
  const suggestions = word ? paths.filter((p) => p.startsWith(word) && p !== word).slice(0, 8) : [];
  // the server's error for this rule: brought into view when it arrives
  useEffect(() => {
    if (error) box.current?.scrollIntoView?.({ block: "nearest" });
  }, [error]);
  const track = (el) => setWord((el.value.slice(0, el.selectionStart).match(/[@\w.:]+$/) || [""])[0]);
  const insert = (path) => {
    const el = ref.current;
    const caret = el.selectionStart;
    const before = el.value.slice(0, caret - word.length);
    const next = before + path + el.value.slice(caret);
    onChange(next);
    setWord("");
    requestAnimationFrame(() => {
      el.focus();
      el.selectionStart = el.selectionEnd = before.length + path.length;
    });
  };
  return (
    <div class={`rule ${error ? "has-error" : ""}`} ref={box}>
      <div class="rule-head">
        <span class="field-label">{label}</span>
        <button type="button" class="btn ghost sm" onClick={() => onChange(locked ? "" : null)} aria-label={locked ? `Unlock ${label}` : `Lock ${label}`}>
          <Icon name={locked ? "unlock" : "lock"} size={14} /> {locked ? "Unlock" : "Set to superusers only"}
        </button>
      </div>
      {locked ? (
        <div class="rule-locked muted">Only superusers can perform this action.</div>
      ) : (
        <>
          <textarea ref={ref} class="code" rows={2} name={name} spellcheck={false} value={value}
            placeholder='Leave empty to allow everyone, e.g. @request.auth.id != "" && status = "published"'
            onInput={(e) => { onChange(e.target.value); track(e.target); }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown" && suggestions.length) {
                e.preventDefault();
                e.currentTarget.parentElement.querySelector(".suggestions button")?.focus();
              } else if (e.key === "Escape" && suggestions.length) {
                e.stopPropagation();
                setWord("");
              }
            }}
            aria-label={label} aria-autocomplete="list" aria-invalid={error ? "true" : undefined} />
          {suggestions.length > 0 && (
            <div class="suggestions" role="listbox" aria-label={`${label} suggestions`}
              onKeyDown={(e) => {
                const items = [...e.currentTarget.querySelectorAll("button")];
                const i = items.indexOf(document.activeElement);
                if (e.key === "ArrowDown") { e.preventDefault(); items[Math.min(i + 1, items.length - 1)]?.focus(); }
                if (e.key === "ArrowUp") { e.preventDefault(); i <= 0 ? ref.current.focus() : items[i - 1].focus(); }
                if (e.key === "Escape") { e.stopPropagation(); setWord(""); ref.current.focus(); }
              }}>
              {suggestions.map((p) => <button type="button" role="option" key={p} class="suggestion code" onClick={() => insert(p)}>{p}</button>)}
            </div>
          )}
        </>
      )}
      {error && <small class="error-text" role="alert">{error}</small>}
    </div>
  );
}

const OPERATORS = [
  ["=", "equal"], ["!=", "not equal"], [">", "greater than"], [">=", "greater or equal"], ["<", "less than"], ["<=", "less or equal"],
  ["~", "contains (like; % wildcards allowed)"], ["!~", "does not contain"],
];

/** The rules' syntax help: this collection's fields, request and collection paths, operators, macros, modifiers, examples. */
export function RuleHelp({ fields, collections, collectionName }) {
  const others = collections.filter((c) => c.name !== collectionName).slice(0, 6);
  const code = (t) => <code class="chip-code" key={t}>{t}</code>;
  return (
    <section class="rule-help card" aria-label="Rule syntax help" data-testid="rule-help">
      <p class="small">A rule is a filter: a record is allowed when it matches. <strong>Locked</strong> (null) means superusers only;
        an <strong>empty</strong> rule lets everyone in. Superusers always pass every rule.</p>
      <h3 class="section-title">Fields of this collection</h3>
      <div class="chip-list">{fields.map((f) => code(typeof f === "string" ? f : f.name))}</div>
      <p class="small muted">A relation field reaches into the related record: <code>author.email</code>, <code>author.team.name</code>.</p>
      <h3 class="section-title">Request</h3>
      <ul class="help-list small">
        <li><code>@request.auth.*</code> the signed-in record (<code>@request.auth.id = ""</code> for guests), e.g. <code>@request.auth.verified</code>, <code>@request.auth.collectionName</code></li>
        <li><code>@request.body.*</code> the submitted values (create and update)</li>
        <li><code>@request.query.*</code>, <code>@request.headers.*</code> (lowercase, <code>-</code> as <code>_</code>)</li>
        <li><code>@request.method</code> (<code>"GET"</code>, <code>"POST"</code>…), <code>@request.context</code> (<code>"default"</code>, <code>"oauth2"</code>, <code>"otp"</code>, <code>"password"</code>, <code>"realtime"</code>, <code>"protectedFile"</code>)</li>
      </ul>
      <h3 class="section-title">Other collections</h3>
      <p class="small"><code>@collection.NAME.field</code> joins any collection, e.g. {others.slice(0, 3).map((c) => <code key={c.id}>@collection.{c.name}.id </code>)}
        ; add <code>:alias</code> to join the same one twice (<code>@collection.users:u.id</code>).</p>
      <h3 class="section-title">Operators</h3>
      <table class="table compact help-table">
        <tbody>
          {OPERATORS.map(([op, text]) => <tr key={op}><td><code>{op}</code></td><td>{text}</td></tr>)}
          <tr><td><code>?=</code> <code>?!=</code> <code>?&gt;</code> <code>?~</code>…</td><td>at least one of many values (a multiple select, relation, file, or <code>@collection</code> rows) matches; without <code>?</code> all must</td></tr>
          <tr><td><code>&amp;&amp;</code> <code>||</code> <code>( )</code></td><td>and, or, grouping; <code>// comment</code> to the end of the line</td></tr>
        </tbody>
      </table>
      <h3 class="section-title">Macros (UTC)</h3>
      <div class="chip-list">{MACROS.map(code)}</div>
      <h3 class="section-title">Modifiers</h3>
      <ul class="help-list small">
        <li><code>:isset</code> the field was sent: <code>@request.body.role:isset = false</code></li>
        <li><code>:changed</code> sent with another value than stored: <code>@request.body.owner:changed = false</code></li>
        <li><code>:length</code> number of items of a multiple field: <code>tags:length &gt; 1</code></li>
        <li><code>:each</code> every item must match: <code>tags:each ~ "pb_"</code></li>
        <li><code>:lower</code> compare lowercased: <code>title:lower = "hello"</code></li>
      </ul>
      <h3 class="section-title">Functions</h3>
      <ul class="help-list small">
        <li><code>geoDistance(lonA, latA, lonB, latB)</code> in km: <code>geoDistance(place.lon, place.lat, 23.32, 42.69) &lt; 25</code></li>
        <li><code>strftime(format, time, modifiers…)</code> as SQLite's: <code>strftime('%Y', created) = "2024"</code></li>
      </ul>
      <h3 class="section-title">Examples</h3>
      <ul class="help-list small">
        <li>Signed-in users only: <code>@request.auth.id != ""</code></li>
        <li>Only the owner: <code>owner = @request.auth.id</code></li>
        <li>Published, or mine: <code>status = "published" || author = @request.auth.id</code></li>
        <li>The owner cannot be changed: <code>@request.body.owner:isset = false</code></li>
        <li>Members of the record's team: <code>@collection.members.team ?= team && @collection.members.user ?= @request.auth.id</code></li>
        <li>Created in the last day: <code>created &gt; @yesterday</code></li>
      </ul>
    </section>
  );
}
