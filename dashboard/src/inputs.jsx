// Record inputs richer than the browser's own: a JSON editor that checks as you type, and a UTC
// date-time picker (the native datetime-local input has no seconds in every browser and shows
// local time, while PocketBase stores and shows UTC).
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { Icon } from "./ui.jsx";

// ---- JSON editor ------------------------------------------------------------------------------

/**
 * The offset where text stops being JSON, found by a small scanner of JSON's grammar (the
 * browser's JSON.parse message names no position in every engine), or -1 when it is valid.
 */
export function jsonErrorOffset(text) {
  let i = 0;
  const ws = () => { while (i < text.length && " \t\n\r".includes(text[i])) i++; };
  const fail = () => { throw i; };
  const lit = (word) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const str = () => {
    i++; // the opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') { i++; return; }
      if (c < " ") fail();
      if (c === "\\") {
        i++;
        if (text[i] === "u") { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 5; }
        else if ('"\\/bfnrt'.includes(text[i]) && i < text.length) i++;
        else fail();
      } else i++;
    }
    fail();
  };
  const num = () => {
    const m = text.slice(i).match(/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/);
    if (!m || !m[0] || m[0] === "-") fail();
    i += m[0].length;
  };
  const value = (depth) => {
    if (depth > 500) fail();
    ws();
    const c = text[i];
    if (c === "{") {
      i++; ws();
      if (text[i] === "}") { i++; return; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str(); ws();
        if (text[i] !== ":") fail();
        i++;
        value(depth + 1); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return; }
        fail();
      }
    }
    if (c === "[") {
      i++; ws();
      if (text[i] === "]") { i++; return; }
      for (;;) {
        value(depth + 1); ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return; }
        fail();
      }
    }
    if (c === '"') return str();
    if (c === "t") return lit("true");
    if (c === "f") return lit("false");
    if (c === "n") return lit("null");
    if (c === "-" || (c >= "0" && c <= "9")) return num();
    fail();
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (at) {
    if (typeof at !== "number") throw at;
    return at;
  }
}

/** Where text fails to parse as JSON: {line, column, message} (1-based), or null when it parses. */
export function jsonError(text) {
  if (!text.trim()) return null;
  let message = "";
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    message = String(err.message || err);
  }
  let offset = jsonErrorOffset(text);
  if (offset < 0) offset = text.length;
  const before = text.slice(0, offset).split("\n");
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  const what = offset >= text.length ? "Unexpected end of the JSON text" : `Unexpected ${JSON.stringify(text[offset])}`;
  return { line, column, message: what, detail: message };
}

/**
 * A JSON text area with line numbers, checked as you type (the failing line is marked and the
 * error named under it), and a Format button. Empty text stands for null.
 */
export function JsonEditor({ value, onChange, name, label, rows = 8 }) {
  const ref = useRef(null);
  const gutter = useRef(null);
  const error = useMemo(() => jsonError(value || ""), [value]);
  const lines = Math.max((value || "").split("\n").length, rows);
  const format = () => {
    if (error || !value.trim()) return;
    onChange(JSON.stringify(JSON.parse(value), null, 2));
  };
  const onKeyDown = (e) => {
    // Shift+Alt+F formats, as in most code editors (Tab keeps moving the focus)
    if (e.key.toLowerCase() === "f" && e.shiftKey && e.altKey) {
      e.preventDefault();
      format();
    }
  };
  return (
    <div class={`json-editor ${error ? "invalid" : ""}`} data-testid={name ? `json-${name}` : undefined}>
      <div class="json-body">
        <div class="json-gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => <div key={i} class={error?.line === i + 1 ? "err" : ""}>{i + 1}</div>)}
        </div>
        <textarea ref={ref} class="code" name={name} rows={rows} spellcheck={false} value={value} placeholder="null" aria-label={label}
          aria-invalid={error ? "true" : undefined} wrap="off"
          onInput={(e) => onChange(e.target.value)} onKeyDown={onKeyDown}
          onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = e.target.scrollTop; }} />
      </div>
      <div class="json-status small">
        {error ? (
          <span class="error-text" role="status">Line {error.line}, column {error.column}: {error.message}</span>
        ) : (
          <span class="muted">{value.trim() ? "Valid JSON" : "Empty (null)"}</span>
        )}
        <span class="grow" />
        <button type="button" class="btn ghost sm" disabled={!!error || !value.trim()} onClick={format} title="Shift+Alt+F">Format</button>
      </div>
    </div>
  );
}

// ---- date-time picker (UTC) -------------------------------------------------------------------

const pad = (n, w = 2) => String(n).padStart(w, "0");
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/** A Date as PocketBase writes datetimes: "2024-01-31 10:20:30.000Z" (UTC). */
export function formatUTC(date) {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`;
}

/** "2024-01-31", "2024-01-31 10:20", "2024-01-31T10:20:30Z", "... .123Z" -> Date (UTC), or null. */
export function parseUTC(text) {
  const m = String(text || "").trim().match(/^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(?:Z|UTC|\+00:?00)?$/i);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", ms = "0"] = m;
  const date = new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +ms.padEnd(3, "0")));
  if (date.getUTCMonth() !== +mo - 1 || date.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) return null;
  return date;
}

function sameDay(a, b) {
  return a && b && a.getUTCFullYear() === b.getUTCFullYear() && a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() === b.getUTCDate();
}

function addDays(date, days) {
  const d = new Date(date.getTime());
  d.setUTCDate(d.getUTCDate() + days);
  return d;
}

function addMonths(date, months) {
  const d = new Date(date.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

/**
 * A datetime input in UTC, as PocketBase stores it: type "2024-01-31 10:20:30" (seconds and
 * milliseconds kept) or pick a day in the calendar (arrows move the day, PageUp/PageDown the
 * month, Home/End the week, Enter picks, Esc closes) and set the time in UTC.
 */
export function DateTimePicker({ value, onChange, name, label }) {
  const [text, setText] = useState(value || "");
  const [open, setOpen] = useState(false);
  const [invalid, setInvalid] = useState(false);
  const current = parseUTC(value);
  const [cursor, setCursor] = useState(() => current || new Date());
  const grid = useRef(null);
  const wrap = useRef(null);
  useEffect(() => {
    setText(value || "");
    setInvalid(false);
  }, [value]);
  // the focused day follows the cursor while the calendar is open (keyboard use)
  const focusDay = useRef(false);
  useLayoutEffect(() => {
    if (open && focusDay.current) {
      focusDay.current = false;
      grid.current?.querySelector("[tabindex='0']")?.focus();
    }
  });
  const openCalendar = () => {
    setCursor(parseUTC(value) || new Date());
    focusDay.current = true;
    setOpen(true);
  };
  useEffect(() => {
    if (!open) return undefined;
    const onDown = (e) => !wrap.current?.contains(e.target) && setOpen(false);
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);

  const commit = (raw) => {
    if (!raw.trim()) {
      setInvalid(false);
      onChange("");
      return;
    }
    const date = parseUTC(raw);
    if (!date) {
      setInvalid(true);
      return;
    }
    setInvalid(false);
    onChange(formatUTC(date));
  };
  const base = current || new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()));
  const pickDay = (day) => {
    const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), base.getUTCHours(), base.getUTCMinutes(), base.getUTCSeconds(), base.getUTCMilliseconds()));
    onChange(formatUTC(d));
  };
  const setTime = (part, raw) => {
    const n = Math.max(0, Math.min(part === "h" ? 23 : 59, parseInt(raw, 10) || 0));
    const d = new Date(base.getTime());
    if (part === "h") d.setUTCHours(n);
    if (part === "m") d.setUTCMinutes(n);
    if (part === "s") d.setUTCSeconds(n);
    onChange(formatUTC(d));
  };

  // the month shown: 6 weeks from the Monday on or before the 1st
  const first = new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth(), 1));
  const start = addDays(first, -((first.getUTCDay() + 6) % 7));
  const days = Array.from({ length: 42 }, (_, i) => addDays(start, i));
  const today = new Date();
  const onGridKey = (e) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    let next = null;
    if (moves[e.key]) next = addDays(cursor, moves[e.key]);
    else if (e.key === "PageUp") next = addMonths(cursor, e.shiftKey ? -12 : -1);
    else if (e.key === "PageDown") next = addMonths(cursor, e.shiftKey ? 12 : 1);
    else if (e.key === "Home") next = addDays(cursor, -((cursor.getUTCDay() + 6) % 7));
    else if (e.key === "End") next = addDays(cursor, 6 - ((cursor.getUTCDay() + 6) % 7));
    else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      pickDay(cursor);
      if (e.key === "Enter") {
        setOpen(false);
        wrap.current?.querySelector("input")?.focus();
      }
      return;
    }
    if (next) {
      e.preventDefault();
      focusDay.current = true;
      setCursor(next);
    }
  };

  return (
    <div class="datepicker" ref={wrap} onKeyDown={(e) => { if (e.key === "Escape" && open) { e.stopPropagation(); setOpen(false); wrap.current?.querySelector("input")?.focus(); } }}>
      <div class="datepicker-input">
        <input name={name} class="code" value={text} aria-label={label} aria-invalid={invalid ? "true" : undefined} placeholder="YYYY-MM-DD HH:MM:SS.sssZ"
          onInput={(e) => setText(e.target.value)} onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); commit(e.currentTarget.value); } if (e.key === "ArrowDown" && e.altKey) { e.preventDefault(); openCalendar(); } }} />
        <span class="badge upper" title="Dates are stored and shown in UTC">UTC</span>
        <button type="button" class="btn icon-btn ghost" aria-label={`Pick ${label || "a date"}`} aria-expanded={open} onClick={() => (open ? setOpen(false) : openCalendar())}><Icon name="calendar" size={16} /></button>
        {value && <button type="button" class="btn icon-btn ghost" aria-label={`Clear ${label || "the date"}`} onClick={() => onChange("")}><Icon name="close" size={16} /></button>}
      </div>
      {invalid && <small class="error-text" role="alert">Not a date: use YYYY-MM-DD HH:MM:SS (UTC).</small>}
      {open && (
        <div class="datepicker-pop" role="dialog" aria-label={`${label || "Date"} calendar`}>
          <div class="datepicker-head">
            <button type="button" class="btn icon-btn ghost" aria-label="Previous month" onClick={() => setCursor(addMonths(cursor, -1))}><Icon name="left" size={16} /></button>
            <strong aria-live="polite">{MONTHS[cursor.getUTCMonth()]} {cursor.getUTCFullYear()}</strong>
            <button type="button" class="btn icon-btn ghost" aria-label="Next month" onClick={() => setCursor(addMonths(cursor, 1))}><Icon name="right" size={16} /></button>
          </div>
          <table class="datepicker-grid" role="grid" ref={grid} onKeyDown={onGridKey}>
            <thead><tr>{WEEKDAYS.map((d) => <th key={d} scope="col">{d}</th>)}</tr></thead>
            <tbody>
              {Array.from({ length: 6 }, (_, w) => (
                <tr key={w}>
                  {days.slice(w * 7, w * 7 + 7).map((day) => {
                    const focus = sameDay(day, cursor);
                    return (
                      <td key={day.getTime()} role="gridcell" aria-selected={sameDay(day, current) ? "true" : "false"}>
                        <button type="button" tabIndex={focus ? 0 : -1}
                          class={`day ${day.getUTCMonth() !== cursor.getUTCMonth() ? "other" : ""} ${sameDay(day, current) ? "selected" : ""} ${sameDay(day, today) ? "today" : ""}`}
                          aria-label={`${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`}
                          onClick={() => { setCursor(day); pickDay(day); }}>{day.getUTCDate()}</button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          <div class="datepicker-time">
            <span class="muted small">Time (UTC)</span>
            <input type="number" min="0" max="23" aria-label="Hours (UTC)" value={pad(base.getUTCHours())} onChange={(e) => setTime("h", e.target.value)} />:
            <input type="number" min="0" max="59" aria-label="Minutes" value={pad(base.getUTCMinutes())} onChange={(e) => setTime("m", e.target.value)} />:
            <input type="number" min="0" max="59" aria-label="Seconds" value={pad(base.getUTCSeconds())} onChange={(e) => setTime("s", e.target.value)} />
          </div>
          <div class="datepicker-foot">
            <button type="button" class="btn ghost sm" onClick={() => { const now = new Date(); setCursor(now); onChange(formatUTC(now)); }}>Now</button>
            <span class="grow" />
            <button type="button" class="btn sm" onClick={() => setOpen(false)}>Done</button>
          </div>
        </div>
      )}
    </div>
  );
}
