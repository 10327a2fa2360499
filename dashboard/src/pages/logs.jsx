// Logs: the request chart (/api/logs/stats), the list with a filter, and a log's details.
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { apiErrors, pb } from "../pb.js";
import { setQuery } from "../router.js";
import { Empty, ErrorBox, Field, Icon, Loader, Modal, Pagination, formatDate, toast } from "../ui.jsx";

const LEVELS = { "-4": "DEBUG", 0: "INFO", 4: "WARN", 8: "ERROR" };

function Chart({ stats }) {
  if (!stats?.length) return <div class="chart empty-chart muted">No requests in this period.</div>;
  const max = Math.max(...stats.map((s) => s.total), 1);
  // NOTE: at least 48 slots (two days of hours), so a few points do not make giant bars
  const w = 100 / Math.max(stats.length, 48);
  return (
    <figure class="chart" aria-label="Requests over time">
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img">
        <title>Requests over time</title>
        {stats.map((s, i) => {
          const h = (s.total / max) * 38;
          return <rect key={s.date} x={100 - (stats.length - i) * w + w * 0.1} y={40 - h} width={w * 0.8} height={h} class="bar"><title>{`${s.date}: ${s.total}`}</title></rect>;
        })}
      </svg>
      <figcaption class="muted small">
        <span>{formatDate(stats[0].date)}</span>
        <span>max {max} / hour</span>
        <span>{formatDate(stats[stats.length - 1].date)}</span>
      </figcaption>
    </figure>
  );
}

export function LogsPage({ route }) {
  const q = route.query;
  const applied = q.filter || "";
  const page = Math.max(1, parseInt(q.page || "1", 10) || 1);
  const [filter, setFilter] = useState(applied);
  const [result, setResult] = useState(null);
  const [stats, setStats] = useState(null);
  const [error, setError] = useState("");
  const [detail, setDetail] = useState(null);
  const [showSettings, setShowSettings] = useState(false);

  const loadSeq = useRef(0);
  const load = async () => {
    const seq = ++loadSeq.current;
    try {
      const [list, st] = await Promise.all([
        pb.logs.getList(page, 50, { filter: applied, sort: "-created" }),
        pb.logs.getStats({ filter: applied }),
      ]);
      if (seq !== loadSeq.current) return;
      setResult(list);
      setStats(st);
      setError("");
    } catch (err) {
      if (seq !== loadSeq.current) return;
      setError(apiErrors(err).message);
      setResult((r) => r || { items: [], page: 1, totalPages: 0, totalItems: 0 });
    }
  };
  useEffect(() => {
    load();
  }, [applied, page]);

  return (
    <section class="content full">
      <header class="page-header">
        <div class="title">
          <h1>Logs</h1>
          <button type="button" class="btn icon-btn ghost" onClick={load} aria-label="Refresh" title="Refresh"><Icon name="refresh" /></button>
        </div>
        <button type="button" class="btn ghost" onClick={() => setShowSettings(true)}><Icon name="settings" /> Logs settings</button>
      </header>
      {showSettings && <LogsSettings onClose={() => setShowSettings(false)} />}
      <form class="filter-bar" onSubmit={(e) => { e.preventDefault(); setQuery({ filter: filter.trim(), page: "1" }); }}>
        <Icon name="search" size={16} />
        <input type="search" class="code" name="filter" aria-label="Filter logs" value={filter} onInput={(e) => setFilter(e.target.value)}
          placeholder='Filter, e.g. data.status >= 400 && data.url ~ "/api/"' />
        {applied && <button type="button" class="btn ghost sm" onClick={() => { setFilter(""); setQuery({}); }}>Clear</button>}
        <button type="submit" class="btn sm">Search</button>
      </form>
      <ErrorBox message={error} />
      {stats !== null && <Chart stats={stats} />}
      {result === null ? <Loader /> : (
        <div class="table-wrap">
          <table class="table" data-testid="logs-table">
            <thead><tr><th>Level</th><th>Message</th><th>Status</th><th>Created</th></tr></thead>
            <tbody>
              {result.items.map((log) => (
                <tr key={log.id} tabIndex={0} class="row-link" onClick={() => setDetail(log)} onKeyDown={(e) => e.key === "Enter" && setDetail(log)}>
                  <td><span class={`level level-${LEVELS[log.level] || log.level}`}>{LEVELS[log.level] || log.level}</span></td>
                  <td><span class="truncate wide">{log.data?.method ? <><code>{log.data.method}</code> {log.data.url}</> : log.message}</span></td>
                  <td>{log.data?.status ?? ""}</td>
                  <td class="nowrap">{formatDate(log.created)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!result.items.length && <Empty title={applied ? "No logs match the filter" : "No logs yet"} />}
        </div>
      )}
      {result && <Pagination page={result.page} totalPages={result.totalPages} totalItems={result.totalItems} onPage={(p) => setQuery({ filter: applied, page: String(p) })} />}
      {detail && (
        <Modal title="Log details" onClose={() => setDetail(null)} testid="log-detail" wide>
          <dl class="details">
            <dt>id</dt><dd><code>{detail.id}</code></dd>
            <dt>level</dt><dd>{LEVELS[detail.level] || detail.level}</dd>
            <dt>created</dt><dd>{formatDate(detail.created)}</dd>
            <dt>message</dt><dd>{detail.message}</dd>
            {Object.entries(detail.data || {}).map(([k, v]) => (
              <Fragment key={k}><dt>data.{k}</dt><dd><code>{typeof v === "object" ? JSON.stringify(v) : String(v)}</code></dd></Fragment>
            ))}
          </dl>
        </Modal>
      )}
    </section>
  );
}

function LogsSettings({ onClose }) {
  const [logs, setLogs] = useState(null);
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    pb.settings.getAll({ fields: "logs" }).then((s) => setLogs(s.logs), (err) => setErrors(apiErrors(err)));
  }, []);
  const save = async () => {
    setBusy(true);
    try {
      await pb.settings.update({ logs });
      toast("Logs settings saved.");
      onClose();
    } catch (err) {
      setErrors(apiErrors(err));
      setBusy(false);
    }
  };
  const set = (patch) => setLogs({ ...logs, ...patch });
  return (
    <Modal title="Logs settings" onClose={onClose} testid="logs-settings" footer={<>
      <button type="button" class="btn ghost" onClick={onClose}>Cancel</button>
      <button type="button" class="btn primary" disabled={busy || !logs} onClick={save}>{busy ? "Saving…" : "Save changes"}</button>
    </>}>
      <ErrorBox message={errors.message} />
      {!logs ? <Loader /> : (
        <div class="stack">
          <Field label="Max days retention" error={errors.fields["logs.maxDays"]} hint="0 turns the logs off.">
            <input type="number" min="0" value={logs.maxDays} onInput={(e) => set({ maxDays: Number(e.target.value) })} />
          </Field>
          <Field label="Min log level" error={errors.fields["logs.minLevel"]}>
            <select value={String(logs.minLevel)} onChange={(e) => set({ minLevel: Number(e.target.value) })}>
              <option value="-4">DEBUG (-4)</option><option value="0">INFO (0)</option><option value="4">WARN (4)</option><option value="8">ERROR (8)</option>
            </select>
          </Field>
          <label class="check"><input type="checkbox" checked={!!logs.logIP} onChange={(e) => set({ logIP: e.target.checked })} /> Log the IP addresses</label>
          <label class="check"><input type="checkbox" checked={!!logs.logAuthId} onChange={(e) => set({ logAuthId: e.target.checked })} /> Log the auth record ids</label>
        </div>
      )}
    </Modal>
  );
}
