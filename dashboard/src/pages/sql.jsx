// SQL console (superusers): run one statement through POST /api/sql and show its rows.
import { useState } from "preact/hooks";
import { apiErrors, pb } from "../pb.js";
import { Confirm, ErrorBox, Icon } from "../ui.jsx";

const WRITE = /^\s*(insert|update|delete|drop|alter|create|replace|detach)\b/i;

/** Whether the statement changes data or schema (the console asks before running it). */
export function isWrite(query) {
  // NOTE: a leading WITH ... may still end in a write; look at the first keyword after comments
  const text = query.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, "");
  return WRITE.test(text);
}

export function SQLPage() {
  const [query, setQuery] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  const exec = async () => {
    setBusy(true);
    try {
      const res = await pb.send("/api/sql", { method: "POST", body: { query } });
      setResult(res);
      setError("");
    } catch (err) {
      setError(apiErrors(err).message);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const run = () => {
    if (!query.trim() || busy) return;
    if (isWrite(query)) setConfirming(true);
    else exec();
  };

  return (
    <section class="content full">
      <header class="page-header">
        <div class="title"><h1>SQL</h1></div>
      </header>
      <p class="muted small">Runs one statement on the main database as is: no rules apply and writes skip the record hooks. Reads show at most 1000 rows.</p>
      <form class="stack" onSubmit={(e) => { e.preventDefault(); run(); }}>
        <label class="field">
          <span class="field-label">SQL statement</span>
          <textarea class="code" rows={6} name="query" spellcheck={false} value={query} placeholder="SELECT * FROM _collections"
            onInput={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } }} />
        </label>
        <div class="row">
          <button type="submit" class="btn primary" disabled={busy || !query.trim()}><Icon name="play" /> {busy ? "Running…" : "Run"}</button>
          <span class="muted small">Ctrl+Enter</span>
        </div>
      </form>
      {confirming && (
        <Confirm title="Run a write statement?" confirmText="Run" onClose={() => setConfirming(false)} onConfirm={exec}
          message="This statement changes the database directly, without rules, hooks or validation." />
      )}
      <ErrorBox message={error} />
      {result && <SQLResult result={result} />}
    </section>
  );
}

function SQLResult({ result }) {
  const columns = result.columns || [];
  const rows = result.rows || [];
  return (
    <div class="stack" data-testid="sql-result">
      <p class="muted small" data-testid="sql-summary">
        {columns.length ? `${rows.length} row${rows.length === 1 ? "" : "s"}` : `${result.affectedRows} row${result.affectedRows === 1 ? "" : "s"} affected`}
        {columns.length > 0 && result.affectedRows ? ` · ${result.affectedRows} affected` : ""}
        {` · ${result.execTime} ms`}
      </p>
      {columns.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>{columns.map((c) => <th key={c.name}>{c.name}{c.type && <small class="muted"> {c.type}</small>}</th>)}</tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>{row.map((v, j) => <td key={j} class="code">{v === null ? <em class="muted sql-null">NULL</em> : String(v)}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
