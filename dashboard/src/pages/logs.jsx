// Logs: the request chart (/api/logs/stats), the list with a filter, and a log's details.
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { apiErrors, pb } from "../pb.js";
import { setQuery } from "../router.js";
import { Empty, ErrorBox, Icon, Loader, Modal, Pagination, formatDate } from "../ui.jsx";

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
      </header>
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
