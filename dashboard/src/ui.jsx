// Shared building blocks: icons, toasts, modal, confirm, form fields, empty and loading states.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

const ICONS = {
  database: "M12 3c4.4 0 8 1.3 8 3v12c0 1.7-3.6 3-8 3s-8-1.3-8-3V6c0-1.7 3.6-3 8-3zm8 9c0 1.7-3.6 3-8 3s-8-1.3-8-3M20 6c0 1.7-3.6 3-8 3S4 7.7 4 6",
  logs: "M4 6h16M4 12h16M4 18h10",
  settings: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2-1.2L14.5 3h-5l-.4 2.6a7.5 7.5 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1c.6.5 1.3.9 2 1.2l.4 2.6h5l.4-2.6c.7-.3 1.4-.7 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z",
  plus: "M12 5v14M5 12h14",
  search: "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zm5-2 5 5",
  close: "M6 6l12 12M18 6 6 18",
  trash: "M4 7h16M9 7V4h6v3m-8 0 1 13h8l1-13",
  edit: "M4 20h4L19 9l-4-4L4 16zM14 6l4 4",
  refresh: "M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7",
  logout: "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h11",
  lock: "M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5z",
  unlock: "M7 11V8a5 5 0 0 1 9.6-2M5 11h14v10H5z",
  download: "M12 4v12m-5-5 5 5 5-5M4 20h16",
  play: "M7 4v16l13-8z",
  file: "M6 3h8l4 4v14H6zM14 3v4h4",
  sort: "M8 4v16m-4-4 4 4 4-4M16 20V4m-4 4 4-4 4 4",
  up: "M12 19V5m-6 6 6-6 6 6",
  down: "M12 5v14m-6-6 6 6 6-6",
  mail: "M3 6h18v12H3zm0 0 9 7 9-7",
  cloud: "M7 18a5 5 0 0 1-.6-10A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9z",
  archive: "M3 4h18v4H3zm2 4v12h14V8M10 12h4",
  clock: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-14v5l3 3",
  shield: "M12 3 4 6v6c0 5 3.5 8 8 9 4.5-1 8-4 8-9V6z",
  home: "M4 11 12 4l8 7v9h-5v-6H9v6H4z",
  menu: "M4 6h16M4 12h16M4 18h16",
  copy: "M8 8h12v12H8zM4 16V4h12",
  calendar: "M4 6h16v14H4zM4 10h16M8 3v5M16 3v5",
  left: "M15 5l-7 7 7 7",
  right: "M9 5l7 7-7 7",
  terminal: "M4 5h16v14H4zM7 9l3 3-3 3M12 15h5",
  help: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17.5v.01",
};

export function Icon({ name, size = 18, title }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
      stroke-linecap="round" stroke-linejoin="round" aria-hidden={title ? undefined : "true"} role={title ? "img" : undefined}>
      {title && <title>{title}</title>}
      <path d={ICONS[name] || ICONS.file} />
    </svg>
  );
}

// ---- toasts -------------------------------------------------------------------------------
let toastListeners = [];
let toastSeq = 0;
export function toast(message, kind = "success") {
  const item = { id: ++toastSeq, message, kind };
  toastListeners.forEach((fn) => fn(item));
}
export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (item) => {
      setItems((list) => [...list.slice(-2), item]);
      setTimeout(() => setItems((list) => list.filter((i) => i.id !== item.id)), item.kind === "error" ? 6000 : 3500);
    };
    toastListeners.push(add);
    return () => (toastListeners = toastListeners.filter((fn) => fn !== add));
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.id} class={`toast toast-${t.kind}`}>{t.message}</div>
      ))}
    </div>
  );
}

// ---- modal and confirm --------------------------------------------------------------------
export function Modal({ title, onClose, children, footer, wide, testid }) {
  const ref = useRef(null);
  const previous = useRef(null);
  // NOTE: focus moves in as the dialog mounts (a layout effect), never later: a user (or a
  // test) already typing into one of its fields keeps the focus.
  useLayoutEffect(() => {
    previous.current = document.activeElement;
    if (!ref.current?.contains(document.activeElement)) {
      const first = ref.current?.querySelector("input:not([type=hidden]):not([disabled]), textarea, select, button.primary");
      (first || ref.current)?.focus();
    }
    return () => previous.current?.focus?.();
  }, []);
  const onKeyDown = (e) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      onClose();
    }
  };
  return (
    <div class="overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()} onKeyDown={onKeyDown}>
      <div class={`modal ${wide ? "modal-wide" : ""}`} role="dialog" aria-modal="true" aria-label={title} ref={ref} data-testid={testid} tabIndex={-1}>
        <header class="modal-header">
          <h2>{title}</h2>
          <button type="button" class="btn icon-btn ghost" onClick={onClose} aria-label="Close"><Icon name="close" /></button>
        </header>
        <div class="modal-body">{children}</div>
        {footer && <footer class="modal-footer">{footer}</footer>}
      </div>
    </div>
  );
}

export function Confirm({ title = "Are you sure?", message, confirmText = "Delete", danger = true, onConfirm, onClose, typed }) {
  const [busy, setBusy] = useState(false);
  const [value, setValue] = useState("");
  const ok = !typed || value === typed;
  const run = async () => {
    if (!ok) return;
    setBusy(true);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setBusy(false);
    }
  };
  return (
    <Modal title={title} onClose={onClose} testid="confirm"
      footer={<>
        <button type="button" class="btn ghost" onClick={onClose}>Cancel</button>
        <button type="button" class={`btn ${danger ? "danger" : "primary"}`} disabled={busy || !ok} onClick={run}>{busy ? "Working…" : confirmText}</button>
      </>}>
      <p>{message}</p>
      {typed && (
        <label class="field">
          <span>Type <code>{typed}</code> to confirm</span>
          <input value={value} onInput={(e) => setValue(e.target.value)} onKeyDown={(e) => e.key === "Enter" && run()} />
        </label>
      )}
    </Modal>
  );
}

// ---- form bits ----------------------------------------------------------------------------
/**
 * A labelled form field with its hint or error. `group` wraps a widget of several controls
 * (a picker, file list, coordinates) in a named group instead of a <label>, which would name
 * only its first control.
 */
export function Field({ label, error, hint, children, inline, group, groupLabel }) {
  const Wrap = group ? "div" : "label";
  return (
    <div class={`field ${inline ? "field-inline" : ""} ${error ? "has-error" : ""}`}>
      <Wrap class="field-control" role={group ? "group" : undefined} aria-label={group ? groupLabel : undefined}>
        <span class="field-label">{label}</span>
        {children}
      </Wrap>
      {hint && !error && <small class="hint">{hint}</small>}
      {error && <small class="error-text" role="alert">{error}</small>}
    </div>
  );
}

export function ErrorBox({ message }) {
  if (!message) return null;
  return <div class="alert alert-error" role="alert">{message}</div>;
}

export function Empty({ title, children }) {
  return (
    <div class="empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

export function Loader({ label = "Loading…" }) {
  return <div class="loader" role="status"><span class="spinner" aria-hidden="true" />{label}</div>;
}

/**
 * Previous/next through pages. With a known total it shows "N total" and "Page p of n"; without
 * one (a list asked with skipTotal, its count not back yet) Next is offered while a page is full.
 */
export function Pagination({ page, totalPages, totalItems, onPage, hasMore }) {
  const known = totalItems != null && totalItems >= 0;
  if (known && !totalItems) return null;
  if (!known && page <= 1 && !hasMore) return null;
  const canNext = known ? page < totalPages : !!hasMore;
  return (
    <nav class="pagination" aria-label="Pagination">
      <span class="muted">{known ? `${totalItems} total` : ""}</span>
      <button type="button" class="btn ghost sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {page}{known ? ` of ${Math.max(totalPages, 1)}` : ""}</span>
      <button type="button" class="btn ghost sm" disabled={!canNext} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

/** Ctrl/Cmd+S calls save while mounted. */
export function useSaveShortcut(save) {
  const ref = useRef(save);
  ref.current = save;
  useEffect(() => {
    const onKey = (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") {
        e.preventDefault();
        ref.current();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

export function formatDate(value) {
  if (!value) return "";
  return String(value).replace(/\.\d+Z$/, " UTC").replace("Z", " UTC");
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
