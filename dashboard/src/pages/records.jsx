// Records of one collection: paginated table, sort by column, filter in PocketBase's syntax,
// bulk delete, live updates through realtime, and the record editor.
import { useEffect, useRef, useState } from "preact/hooks";
import { apiErrors, pb } from "../pb.js";
import { setQuery } from "../router.js";
import { DateTimePicker, JsonEditor, jsonError } from "../inputs.jsx";
import { Confirm, Empty, ErrorBox, Field, Icon, Loader, Modal, Pagination, formatDate, formatSize, toast, useSaveShortcut } from "../ui.jsx";

const PER_PAGE = 30;
const HIDDEN_COLUMNS = new Set(["password", "tokenKey"]);

function columnsOf(collection) {
  return collection.fields.filter((f) => !HIDDEN_COLUMNS.has(f.name) && f.type !== "password");
}

/** A related record's label: its presentable field, else its first visible text or email field, else its id. */
export function relatedLabel(record, collections) {
  const target = collections?.find((c) => c.id === record.collectionId);
  const shown = target?.fields.find((f) => f.presentable) || target?.fields.find((f) => ["text", "email"].includes(f.type) && f.name !== "id" && !f.hidden);
  return shown && record[shown.name] ? String(record[shown.name]) : record.id;
}

function Cell({ record, field, collection, collections }) {
  const value = record[field.name];
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return <span class="muted">—</span>;
  switch (field.type) {
    case "bool":
      return <span class={`pill ${value ? "pill-on" : ""}`}>{value ? "True" : "False"}</span>;
    case "file": {
      const names = Array.isArray(value) ? value : [value];
      return (
        <span class="thumbs">
          {names.slice(0, 3).map((name) => <FileThumb key={name} record={record} name={name} field={field} size="small" />)}
          {names.length > 3 && <span class="muted">+{names.length - 3}</span>}
        </span>
      );
    }
    case "date":
    case "autodate":
      return <span class="nowrap">{formatDate(value)}</span>;
    case "json":
      return <code class="truncate">{JSON.stringify(value)}</code>;
    case "relation": {
      const expanded = [].concat(record.expand?.[field.name] || []);
      return (
        <span class="chips">
          {(Array.isArray(value) ? value : [value]).map((v) => {
            const rel = expanded.find((r) => r.id === v);
            return <span class="chip" key={v} title={v}>{rel ? relatedLabel(rel, collections) : v}</span>;
          })}
        </span>
      );
    }
    case "select":
      return <span class="chips">{(Array.isArray(value) ? value : [value]).map((v) => <span class="chip" key={v}>{v}</span>)}</span>;
    case "geoPoint":
      return <code>{value.lon}, {value.lat}</code>;
    case "editor":
      return <span class="truncate">{String(value).replace(/<[^>]+>/g, " ")}</span>;
    default:
      return <span class="truncate" title={String(value)}>{String(value)}</span>;
  }
}

let fileTokenPromise = null;
let fileTokenTime = 0;
function fileToken() {
  // a file token lives a few minutes: one is reused for two minutes
  if (!fileTokenPromise || Date.now() - fileTokenTime > 120000) {
    fileTokenTime = Date.now();
    fileTokenPromise = pb.files.getToken().catch(() => "");
  }
  return fileTokenPromise;
}

function isImage(name) {
  return /\.(png|jpe?g|gif|webp|avif|svg)$/i.test(name);
}

export function FileThumb({ record, name, field, size }) {
  const [token, setToken] = useState(field?.protected ? null : "");
  useEffect(() => {
    if (field?.protected) fileToken().then(setToken);
  }, [field?.protected]);
  if (token === null) return <span class="thumb placeholder" />;
  const url = pb.files.getURL(record, name, { token: token || undefined });
  const thumbUrl = pb.files.getURL(record, name, { thumb: "100x100", token: token || undefined });
  return (
    <a class={`thumb thumb-${size || "small"}`} href={url} target="_blank" rel="noopener" title={name} onClick={(e) => e.stopPropagation()}>
      {isImage(name) ? <img src={thumbUrl} alt={name} loading="lazy" /> : <Icon name="file" size={16} />}
    </a>
  );
}

export function RecordsView({ collection, collections, route, onEditCollection }) {
  const q = route.query;
  const [filter, setFilter] = useState(q.filter || "");
  // full-text search (pybase's ?search=) where the collection has searchable fields
  const searchable = collection.type !== "view" && collection.fields.some((f) => f.searchable);
  const [searchText, setSearchText] = useState(q.search || "");
  const appliedSearch = searchable ? q.search || "" : "";
  // NOTE: a search without a chosen sort lists the most relevant first (the server's order)
  const sort = q.sort || (appliedSearch ? "" : collection.fields.some((f) => f.name === "created") ? "-created" : "");
  const page = Math.max(1, parseInt(q.page || "1", 10) || 1);
  const appliedFilter = q.filter || "";
  const [result, setResult] = useState(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);
  const [selected, setSelected] = useState({});
  const [editing, setEditing] = useState(null); // null | "new" | record
  const [confirmBulk, setConfirmBulk] = useState(false);
  const filterRef = useRef(null);
  const reloadTimer = useRef(null);
  const hiddenKey = `pb_hidden_columns_${collection.id}`;
  const [hidden, setHidden] = useState(() => {
    try {
      return JSON.parse(localStorage.getItem(hiddenKey) || "[]");
    } catch {
      return [];
    }
  });
  const [chooser, setChooser] = useState(false);
  const toggleColumn = (name) => {
    const next = hidden.includes(name) ? hidden.filter((n) => n !== name) : [...hidden, name];
    setHidden(next);
    localStorage.setItem(hiddenKey, JSON.stringify(next));
  };
  const allColumns = columnsOf(collection);
  const columns = allColumns.filter((f) => !hidden.includes(f.name));

  // PERF: a page is asked with skipTotal (no COUNT over the whole collection per page, sort or
  // realtime reload); the total is counted apart, once per collection and filter, and again
  // after a change (a count of 100,000 rows is the slow part of a list request).
  const loadSeq = useRef(0);
  const [total, setTotal] = useState(null); // {key, count}
  const countKey = `${collection.id}|${appliedFilter}|${appliedSearch}`;
  const countSeq = useRef(0);
  const count = async () => {
    const seq = ++countSeq.current;
    try {
      const res = await pb.collection(collection.name).getList(1, 1, { filter: appliedFilter, search: appliedSearch || undefined, fields: "id" });
      if (seq === countSeq.current) setTotal({ key: countKey, count: res.totalItems });
    } catch {
      if (seq === countSeq.current) setTotal(null);
    }
  };
  const load = async ({ recount = false } = {}) => {
    // NOTE: answers may come back out of order (a realtime reload, a new filter): the last asked wins
    const seq = ++loadSeq.current;
    setLoading(true);
    if (recount || total?.key !== countKey) count();
    try {
      // the shown relations are expanded for their labels (30 records: one query per relation field)
      const expand = allColumns.filter((f) => f.type === "relation").map((f) => f.name).join(",");
      const res = await pb.collection(collection.name).getList(page, PER_PAGE, {
        sort, filter: appliedFilter, search: appliedSearch || undefined, skipTotal: true, expand: expand || undefined,
      });
      if (seq !== loadSeq.current) return;
      setResult(res);
      setError("");
    } catch (err) {
      if (seq !== loadSeq.current) return;
      setError(apiErrors(err).message);
      setResult((r) => r || { items: [], page: 1, totalPages: -1, totalItems: -1 });
    }
    setLoading(false);
  };
  useEffect(() => {
    load();
  }, [collection.id, sort, page, appliedFilter, appliedSearch]);
  const reload = () => load({ recount: true });

  // live updates: any change in this collection reloads the page shown (debounced)
  useEffect(() => {
    if (collection.type === "view") return undefined;
    let unsubscribe = null;
    let closed = false;
    pb.collection(collection.name).subscribe("*", () => {
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(() => loadRef.current({ recount: true }), 150);
    }).then((fn) => (closed ? fn() : (unsubscribe = fn)), () => {});
    return () => {
      closed = true;
      clearTimeout(reloadTimer.current);
      unsubscribe?.();
    };
  }, [collection.id]);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const onKey = (e) => {
      if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement?.tagName)) {
        e.preventDefault();
        filterRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const update = (patch) => setQuery({ filter: appliedFilter, search: appliedSearch, sort: q.sort || "", page: String(page), ...patch });
  const clearQuery = () => { setFilter(""); setSearchText(""); update({ filter: "", search: "", page: "1" }); };
  const toggleSort = (name) => {
    const next = sort === name ? `-${name}` : sort === `-${name}` ? "" : name;
    update({ sort: next, page: "1" });
  };
  const selectedIds = Object.keys(selected).filter((id) => selected[id]);
  const items = result?.items || [];
  const allSelected = items.length > 0 && items.every((r) => selected[r.id]);

  const bulkDelete = async () => {
    try {
      for (const id of selectedIds) await pb.collection(collection.name).delete(id);
      toast(`Deleted ${selectedIds.length} record(s).`);
    } catch (err) {
      toast(apiErrors(err).message, "error");
    }
    setSelected({});
    reload();
  };

  return (
    <div class="records">
      <header class="page-header">
        <div class="title">
          <h1>{collection.name}</h1>
          <span class="badge">{collection.type}</span>
          {onEditCollection && <button type="button" class="btn icon-btn ghost" onClick={onEditCollection} aria-label="Edit collection" title="Edit collection"><Icon name="settings" /></button>}
          <button type="button" class="btn icon-btn ghost" onClick={reload} aria-label="Refresh" title="Refresh"><Icon name="refresh" /></button>
        </div>
        <div class="title">
          <div class="popover-anchor">
            <button type="button" class="btn ghost" aria-expanded={chooser} onClick={() => setChooser(!chooser)}>Columns</button>
            {chooser && (
              <div class="popover" role="group" aria-label="Shown columns" onKeyDown={(e) => e.key === "Escape" && setChooser(false)}>
                {allColumns.map((f) => (
                  <label class="check" key={f.name}><input type="checkbox" checked={!hidden.includes(f.name)} onChange={() => toggleColumn(f.name)} /> {f.name}</label>
                ))}
              </div>
            )}
          </div>
          {collection.type !== "view" && <button type="button" class="btn primary" onClick={() => setEditing("new")}><Icon name="plus" /> New record</button>}
        </div>
      </header>
      <form class="filter-bar" onSubmit={(e) => { e.preventDefault(); update({ filter: filter.trim(), search: searchText.trim(), page: "1" }); }}>
        <Icon name="search" size={16} />
        {searchable && <input type="search" name="search" class="search-words" aria-label="Full-text search" value={searchText}
          onInput={(e) => setSearchText(e.target.value)} placeholder="Search words" />}
        <input ref={filterRef} type="search" name="filter" class="code" aria-label="Filter" value={filter} onInput={(e) => setFilter(e.target.value)}
          placeholder={`Filter, e.g. ${columns.find((c) => c.type === "text")?.name || "id"} ~ "abc" && created > "2024-01-01"  (press / to focus)`} />
        {(appliedFilter || appliedSearch) && <button type="button" class="btn ghost sm" onClick={clearQuery}>Clear</button>}
        <button type="submit" class="btn sm">Search</button>
      </form>
      <ErrorBox message={error} />
      {selectedIds.length > 0 && (
        <div class="bulk-bar" role="region" aria-label="Bulk actions">
          <span>Selected <strong>{selectedIds.length}</strong> record(s)</span>
          <button type="button" class="btn ghost sm" onClick={() => setSelected({})}>Reset</button>
          <button type="button" class="btn danger sm" onClick={() => setConfirmBulk(true)}><Icon name="trash" size={16} /> Delete selected</button>
        </div>
      )}
      {result === null ? <Loader /> : (
        <div class={`table-wrap ${loading ? "faded" : ""}`}>
          <table class="table" data-testid="records-table">
            <thead>
              <tr>
                <th class="col-check">
                  {collection.type !== "view" && <input type="checkbox" aria-label="Select all" checked={allSelected}
                    onChange={(e) => setSelected(e.target.checked ? Object.fromEntries(items.map((r) => [r.id, true])) : {})} />}
                </th>
                {columns.map((f) => (
                  <th key={f.name} aria-sort={sort === f.name ? "ascending" : sort === `-${f.name}` ? "descending" : "none"}>
                    <button type="button" class="th-sort" onClick={() => toggleSort(f.name)}>
                      {f.name}
                      {sort === f.name && <Icon name="up" size={12} />}
                      {sort === `-${f.name}` && <Icon name="down" size={12} />}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((record) => (
                <tr key={record.id} tabIndex={0} class="row-link" data-id={record.id}
                  onClick={() => collection.type !== "view" && setEditing(record)}
                  onKeyDown={(e) => e.key === "Enter" && e.target === e.currentTarget && collection.type !== "view" && setEditing(record)}>
                  <td class="col-check" onClick={(e) => e.stopPropagation()}>
                    {collection.type !== "view" && <input type="checkbox" aria-label={`Select ${record.id}`} checked={!!selected[record.id]}
                      onChange={(e) => setSelected({ ...selected, [record.id]: e.target.checked })} />}
                  </td>
                  {columns.map((f) => <td key={f.name}><Cell record={record} field={f} collection={collection} collections={collections} /></td>)}
                </tr>
              ))}
            </tbody>
          </table>
          {!items.length && (
            <Empty title={appliedFilter || appliedSearch ? "No records match the filter" : "No records yet"}>
              {appliedFilter || appliedSearch ? <button type="button" class="btn ghost sm" onClick={clearQuery}>Clear filter</button>
                : collection.type !== "view" && <button type="button" class="btn sm" onClick={() => setEditing("new")}><Icon name="plus" /> New record</button>}
            </Empty>
          )}
        </div>
      )}
      {result && (
        <Pagination page={page} totalItems={total?.key === countKey ? total.count : null} hasMore={items.length === PER_PAGE}
          totalPages={total?.key === countKey ? Math.ceil(total.count / PER_PAGE) : null} shown={items.length} onPage={(p) => update({ page: String(p) })} />
      )}
      {editing && (
        <RecordEditor collection={collection} collections={collections} record={editing === "new" ? null : editing}
          onClose={() => setEditing(null)} onSaved={() => { setEditing(null); reload(); }} />
      )}
      {confirmBulk && (
        <Confirm title={`Delete ${selectedIds.length} record(s)?`} message="The selected records and their files will be deleted." onClose={() => setConfirmBulk(false)} onConfirm={bulkDelete} />
      )}
    </div>
  );
}

// ---- the record editor ----------------------------------------------------------------------

function RelationPicker({ field, value, onChange, collections, known = [] }) {
  const target = collections.find((c) => c.id === field.collectionId);
  const multiple = (field.maxSelect || 1) > 1;
  const ids = (Array.isArray(value) ? value : value ? [value] : []);
  const [search, setSearch] = useState("");
  const [options, setOptions] = useState([]);
  const [open, setOpen] = useState(false);
  const label = (r) => {
    const text = relatedLabel(r, collections);
    return text === r.id ? r.id : `${text} (${r.id})`;
  };
  // labels of the chosen records: the expanded ones of the record, then those picked here
  const [seen, setSeen] = useState(() => Object.fromEntries(known.map((r) => [r.id, relatedLabel(r, collections)])));
  const searchSeq = useRef(0);
  useEffect(() => {
    if (!open || !target) return undefined;
    // NOTE: an earlier search may answer after a later one: only the last asked is shown
    const seq = ++searchSeq.current;
    const timer = setTimeout(async () => {
      const textFields = target.fields.filter((f) => ["text", "email", "url"].includes(f.type) && !f.hidden).map((f) => f.name);
      const filter = search.trim()
        ? textFields.map((n) => pb.filter(`${n} ~ {:q}`, { q: search.trim() })).join(" || ")
        : "";
      try {
        const res = await pb.collection(target.name).getList(1, 20, { filter, skipTotal: true });
        if (seq === searchSeq.current) setOptions(res.items);
      } catch {
        if (seq === searchSeq.current) setOptions([]);
      }
    }, 200);
    return () => clearTimeout(timer);
  }, [search, open, target?.id]);
  const pick = (id) => {
    const chosen = options.find((r) => r.id === id);
    if (chosen) setSeen((m) => ({ ...m, [id]: relatedLabel(chosen, collections) }));
    if (multiple) onChange(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]);
    else {
      onChange(id);
      setOpen(false);
    }
  };
  if (!target) return <p class="muted">The related collection is missing.</p>;
  return (
    <div class="relation">
      <div class="chips">
        {ids.map((id) => (
          <span class="chip" key={id} title={id}>{seen[id] || id}
            <button type="button" class="chip-x" aria-label={`Remove ${id}`} onClick={() => onChange(multiple ? ids.filter((x) => x !== id) : "")}>×</button>
          </span>
        ))}
        <button type="button" class="btn ghost sm" onClick={() => setOpen(!open)} aria-expanded={open}>{open ? "Close" : `Pick from ${target.name}`}</button>
      </div>
      {open && (
        <div class="picker" data-testid={`picker-${field.name}`}>
          <input type="search" placeholder={`Search ${target.name}`} value={search} onInput={(e) => setSearch(e.target.value)} autofocus aria-label={`Search ${target.name}`} />
          <ul role="listbox" aria-multiselectable={multiple}>
            {options.map((r) => (
              <li key={r.id} role="option" aria-selected={ids.includes(r.id)}>
                <button type="button" class={`picker-item ${ids.includes(r.id) ? "active" : ""}`} onClick={() => pick(r.id)}>{label(r)}</button>
              </li>
            ))}
            {!options.length && <li class="muted pad">No records found.</li>}
          </ul>
        </div>
      )}
    </div>
  );
}

function FileInput({ field, record, kept, setKept, added, setAdded }) {
  const multiple = (field.maxSelect || 1) > 1;
  const previews = added.map((file) => ({ file, url: file.type.startsWith("image/") ? URL.createObjectURL(file) : "" }));
  useEffect(() => () => previews.forEach((p) => p.url && URL.revokeObjectURL(p.url)), [added]);
  return (
    <div class="files">
      <div class="thumbs">
        {kept.map((name) => (
          <span class="file-item" key={name}>
            <FileThumb record={record} name={name} field={field} size="medium" />
            <span class="truncate small">{name}</span>
            <button type="button" class="btn ghost sm" aria-label={`Remove file ${name}`} onClick={() => setKept(kept.filter((n) => n !== name))}>Remove</button>
          </span>
        ))}
        {previews.map(({ file, url }, i) => (
          <span class="file-item new" key={`${file.name}-${i}`}>
            <span class="thumb thumb-medium">{url ? <img src={url} alt={file.name} /> : <Icon name="file" />}</span>
            <span class="truncate small">{file.name} ({formatSize(file.size)})</span>
            <button type="button" class="btn ghost sm" aria-label={`Remove new file ${file.name}`} onClick={() => setAdded(added.filter((_, j) => j !== i))}>Remove</button>
          </span>
        ))}
      </div>
      <input type="file" name={field.name} multiple={multiple} accept={(field.mimeTypes || []).join(",") || undefined}
        onChange={(e) => {
          const files = [...e.target.files];
          setAdded(multiple ? [...added, ...files] : files.slice(0, 1));
          if (!multiple) setKept([]);
          e.target.value = "";
        }} />
    </div>
  );
}

function editableFields(collection) {
  return collection.fields.filter((f) => f.type !== "autodate" && f.name !== "tokenKey" && !(f.name === "id" && f.system === true && false));
}

export function RecordEditor({ collection, collections, record, onClose, onSaved }) {
  const isNew = !record;
  const fields = editableFields(collection);
  const [values, setValues] = useState(() => {
    const v = {};
    for (const f of fields) {
      if (f.type === "password") v[f.name] = "";
      else if (f.type === "json") v[f.name] = record && record[f.name] !== undefined && record[f.name] !== null ? JSON.stringify(record[f.name], null, 2) : "";
      else v[f.name] = record ? record[f.name] : f.type === "bool" ? false : (f.type === "select" || f.type === "relation") && (f.maxSelect || 1) > 1 ? [] : "";
    }
    if (isNew) v.id = "";
    return v;
  });
  const [kept, setKeptAll] = useState(() => Object.fromEntries(fields.filter((f) => f.type === "file").map((f) => [f.name, record ? [].concat(record[f.name] || []) : []])));
  const [added, setAddedAll] = useState({});
  const [errors, setErrors] = useState({ message: "", fields: {} });
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [showJson, setShowJson] = useState(false);
  const set = (name, value) => setValues((v) => ({ ...v, [name]: value }));

  const save = async () => {
    if (busy) return;
    setBusy(true);
    setErrors({ message: "", fields: {} });
    const body = {};
    const fieldErrors = {};
    for (const f of fields) {
      const value = values[f.name];
      if (f.name === "id") {
        if (isNew && value) body.id = value;
        continue;
      }
      if (f.type === "file") {
        const before = record ? [].concat(record[f.name] || []) : [];
        const removed = before.filter((n) => !kept[f.name].includes(n));
        if (removed.length) body[`${f.name}-`] = removed;
        if (added[f.name]?.length) body[(f.maxSelect || 1) > 1 ? `${f.name}+` : f.name] = added[f.name];
        continue;
      }
      if (f.type === "password") {
        if (value) {
          body[f.name] = value;
          body.passwordConfirm = values.passwordConfirm || "";
        }
        continue;
      }
      if (f.type === "json") {
        if (value.trim() === "") body[f.name] = null;
        else if (jsonError(value)) fieldErrors[f.name] = "Invalid JSON.";
        else {
          try {
            body[f.name] = JSON.parse(value);
          } catch {
            fieldErrors[f.name] = "Invalid JSON.";
          }
        }
        continue;
      }
      if (f.type === "number") {
        body[f.name] = value === "" || value === null ? 0 : Number(value);
        continue;
      }
      body[f.name] = value;
    }
    if (Object.keys(fieldErrors).length) {
      setErrors({ message: "", fields: fieldErrors });
      setBusy(false);
      return;
    }
    try {
      const saved = isNew ? await pb.collection(collection.name).create(body) : await pb.collection(collection.name).update(record.id, body);
      toast(isNew ? "Record created." : "Record saved.");
      onSaved(saved);
    } catch (err) {
      setErrors(apiErrors(err));
      setBusy(false);
    }
  };
  useSaveShortcut(save);

  const input = (f) => {
    const value = values[f.name];
    const multiple = (f.maxSelect || 1) > 1;
    switch (f.type) {
      case "bool":
        return <label class="check"><input type="checkbox" name={f.name} checked={!!value} onChange={(e) => set(f.name, e.target.checked)} /> {f.name}</label>;
      case "number":
        return <input type="number" name={f.name} step="any" value={value ?? ""} onInput={(e) => set(f.name, e.target.value)} />;
      case "email":
        return <input type="email" name={f.name} value={value || ""} onInput={(e) => set(f.name, e.target.value)} />;
      case "url":
        return <input type="url" name={f.name} value={value || ""} onInput={(e) => set(f.name, e.target.value)} />;
      case "date":
        return <DateTimePicker name={f.name} label={f.name} value={value || ""} onChange={(v) => set(f.name, v)} />;
      case "editor":
        return <textarea name={f.name} rows={5} value={value || ""} onInput={(e) => set(f.name, e.target.value)} />;
      case "json":
        return <JsonEditor name={f.name} label={f.name} value={value} onChange={(v) => set(f.name, v)} rows={5} />;
      case "select":
        return multiple ? (
          <select name={f.name} multiple value={value || []} onChange={(e) => set(f.name, [...e.target.selectedOptions].map((o) => o.value))}>
            {(f.values || []).map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        ) : (
          <select name={f.name} value={value || ""} onChange={(e) => set(f.name, e.target.value)}>
            <option value="">—</option>
            {(f.values || []).map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        );
      case "relation":
        return <RelationPicker field={f} value={value} collections={collections} known={[].concat(record?.expand?.[f.name] || [])} onChange={(v) => set(f.name, v)} />;
      case "file":
        return <FileInput field={f} record={record} kept={kept[f.name] || []} added={added[f.name] || []}
          setKept={(v) => setKeptAll({ ...kept, [f.name]: v })} setAdded={(v) => setAddedAll({ ...added, [f.name]: v })} />;
      case "geoPoint":
        return (
          <div class="row">
            <input type="number" step="any" aria-label={`${f.name} longitude`} placeholder="lon" value={value?.lon ?? 0} onInput={(e) => set(f.name, { ...(value || { lat: 0 }), lon: Number(e.target.value) })} />
            <input type="number" step="any" aria-label={`${f.name} latitude`} placeholder="lat" value={value?.lat ?? 0} onInput={(e) => set(f.name, { ...(value || { lon: 0 }), lat: Number(e.target.value) })} />
          </div>
        );
      case "password":
        return (
          <div class="row">
            <input type="password" name={f.name} autocomplete="new-password" placeholder={isNew ? "" : "Leave empty to keep"} value={value} onInput={(e) => set(f.name, e.target.value)} />
            <input type="password" name="passwordConfirm" aria-label="Password confirm" placeholder="Confirm" autocomplete="new-password" value={values.passwordConfirm || ""} onInput={(e) => set("passwordConfirm", e.target.value)} />
          </div>
        );
      default:
        return <input name={f.name} value={value ?? ""} disabled={f.name === "id" && !isNew} placeholder={f.name === "id" ? "Leave empty to autogenerate" : ""} onInput={(e) => set(f.name, e.target.value)} />;
    }
  };

  return (
    <Modal wide title={isNew ? `New ${collection.name} record` : `Edit ${collection.name} record`} onClose={onClose} testid="record-editor"
      footer={<>
        {!isNew && <button type="button" class="btn danger ghost" onClick={() => setConfirmDelete(true)}><Icon name="trash" /> Delete</button>}
        {!isNew && <button type="button" class="btn ghost" onClick={() => setShowJson(!showJson)}>{showJson ? "Hide JSON" : "JSON"}</button>}
        <div class="grow" />
        <button type="button" class="btn ghost" onClick={onClose}>Cancel</button>
        <button type="button" class="btn primary" onClick={save} disabled={busy}>{busy ? "Saving…" : isNew ? "Create" : "Save changes"}</button>
      </>}>
      <form class="stack" onSubmit={(e) => { e.preventDefault(); save(); }}>
        <ErrorBox message={errors.message && !Object.keys(errors.fields).length ? errors.message : ""} />
        {Object.entries(errors.fields).filter(([k]) => k !== "passwordConfirm" && !fields.some((f) => f.name === k)).map(([k, v]) => (
          <small key={k} class="error-text" role="alert">{k}: {v}</small>
        ))}
        {showJson && <pre class="code json-view">{JSON.stringify(record, null, 2)}</pre>}
        {fields.map((f) => (
          f.type === "bool" ? <div key={f.name}>{input(f)}{errors.fields[f.name] && <small class="error-text" role="alert">{errors.fields[f.name]}</small>}</div> : (
            <Field key={f.name} group={["relation", "file", "geoPoint"].includes(f.type)} groupLabel={f.name} label={<>{f.name}{f.required && <span class="req" aria-label="required">*</span>} <span class="muted small">{f.type}</span></>}
              hint={f.help || undefined}
              error={errors.fields[f.name] || (f.type === "password" && errors.fields.passwordConfirm ? `Confirm: ${errors.fields.passwordConfirm}` : "")}>
              {input(f)}
            </Field>
          )
        ))}
        {!isNew && (record.created || record.updated) && (
          <p class="muted small">{[record.created && `Created ${formatDate(record.created)}`, record.updated && `Updated ${formatDate(record.updated)}`].filter(Boolean).join(" · ")}</p>
        )}
      </form>
      {confirmDelete && (
        <Confirm title="Delete this record?" message={`Record ${record.id} will be deleted.`} onClose={() => setConfirmDelete(false)}
          onConfirm={async () => {
            try {
              await pb.collection(collection.name).delete(record.id);
              toast("Record deleted.");
              onSaved(null);
            } catch (e) {
              toast(apiErrors(e).message, "error");
              throw e;
            }
          }} />
      )}
    </Modal>
  );
}
