// DateTime (PocketBase's types.DateTime) and a Date that reads PocketBase's date strings.
// Evaluated before prelude.js (whose bridge revives date fields as DateTime values).
(function (g) {
  "use strict";

  // PocketBase's DateTime (always UTC, millisecond precision). "" is the zero value.
  const PB_DATE_RE = /^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?))?\s*(Z|[+-]\d\d:?\d\d)?$/;
  const GO_ZERO_UNIX = -62135596800;

  function isoOf(text) {
    const m = PB_DATE_RE.exec(String(text).trim());
    if (!m) return null;
    let zone = m[3] || "Z";
    if (zone !== "Z" && zone.indexOf(":") < 0) zone = zone.slice(0, 3) + ":" + zone.slice(3);
    return m[1] + "T" + (m[2] || "00:00:00") + zone;
  }

  // Go's zero time (0001-01-01 00:00:00Z): the zero DateTime, whose string() is "".
  const ZERO_MS = GO_ZERO_UNIX * 1000;
  const FROM = Symbol("from");

  // PocketBase's types.ParseDateTime of a string: its layouts (no surrounding spaces, a real
  // calendar day), else the zero DateTime.
  function parseText(text) {
    const iso = isoOf(text);
    if (iso === null || String(text).trim() !== String(text)) return ZERO_MS;
    const ms = NativeDate.parse(iso);
    if (Number.isNaN(ms)) return ZERO_MS;
    const day = iso.slice(0, 10).split("-").map(Number);
    const zone = /([+-])(\d\d):(\d\d)$/.exec(iso);
    const shift = zone ? (zone[1] === "+" ? 1 : -1) * (Number(zone[2]) * 60 + Number(zone[3])) * 60000 : 0;
    const local = new NativeDate(ms + shift);
    if (local.getUTCFullYear() !== day[0] || local.getUTCMonth() + 1 !== day[1] || local.getUTCDate() !== day[2]) return ZERO_MS;
    return ms;
  }

  const msOf = (u) => (u instanceof DateTime ? u.__ms : new DateTime(u).__ms);
  const pad = (n, w) => String(n).padStart(w || 2, "0");

  class DateTime {
    // NOTE: as PocketBase's constructor: a non-empty string is parsed (the zero DateTime when
    // it is no date), anything else (nothing, "", a number, null) is now
    constructor(value, from) {
      let ms;
      if (from === FROM) ms = value;
      else if (value instanceof DateTime) ms = value.__ms;
      else if (typeof value === "string" && value !== "") ms = parseText(value);
      else ms = NativeDate.now();
      Object.defineProperty(this, "__ms", { value: ms });
    }
    static __fromMs(ms) { return new DateTime(ms, FROM); }
    static __zero() { return new DateTime(ZERO_MS, FROM); }
    // a stored date's text ("" or no date: the zero DateTime)
    static __parse(text) { return new DateTime(typeof text === "string" && text !== "" ? parseText(text) : ZERO_MS, FROM); }
    string() {
      if (this.isZero()) return "";
      const d = new NativeDate(this.__ms);
      return pad(d.getUTCFullYear(), 4) + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "." +
        pad(d.getUTCMilliseconds(), 3) + "Z";
    }
    toString() { return this.string(); }
    toJSON() { return this.string(); }
    [Symbol.toPrimitive](hint) { return hint === "number" ? (this.isZero() ? NaN : this.__ms) : this.string(); }
    isZero() { return this.__ms === ZERO_MS; }
    unix() { return Math.floor(this.__ms / 1000); }
    // Go durations are nanoseconds.
    add(duration) { return DateTime.__fromMs(this.__ms + Math.trunc(Number(duration) / 1e6)); }
    sub(u) { return (this.__ms - msOf(u)) * 1e6; }
    addDate(years, months, days) {
      const d = new NativeDate(this.__ms);
      d.setUTCFullYear(d.getUTCFullYear() + (years | 0), d.getUTCMonth() + (months | 0), d.getUTCDate() + (days | 0));
      return DateTime.__fromMs(d.getTime());
    }
    after(u) { return this.__ms > msOf(u); }
    before(u) { return this.__ms < msOf(u); }
    equal(u) { return this.__ms === msOf(u); }
    compare(u) { const a = this.__ms; const b = msOf(u); return a < b ? -1 : a > b ? 1 : 0; }
  }

  // QuickJS's Date doesn't read PocketBase's "2006-01-02 15:04:05.000Z": Date and Date.parse
  // get it (and DateTime values) through, everything else as before.
  const NativeDate = g.Date;
  const nativeParse = NativeDate.parse;
  const fixDate = (v) => (v instanceof DateTime ? (v.isZero() ? NaN : v.__ms) : (typeof v === "string" && isoOf(v)) || v);
  function PBDate(...args) {
    if (!new.target) return NativeDate();
    if (args.length === 1) args[0] = fixDate(args[0]);
    return Reflect.construct(NativeDate, args, new.target === PBDate ? NativeDate : new.target);
  }
  PBDate.prototype = NativeDate.prototype;
  PBDate.now = NativeDate.now;
  PBDate.UTC = NativeDate.UTC;
  PBDate.parse = (s) => nativeParse(fixDate(s));
  g.Date = PBDate;

  g.DateTime = DateTime;
})(globalThis);
