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

  function parseMs(value) {
    if (value === undefined) return Date.now();
    if (value === null || value === "") return null;
    if (value instanceof DateTime) return value.__ms;
    if (value instanceof NativeDate) return value.getTime();
    if (typeof value === "number") return value;
    const iso = isoOf(value);
    const ms = iso !== null ? NativeDate.parse(iso) : NativeDate.parse(String(value));
    if (Number.isNaN(ms)) throw new Error("invalid datetime value " + JSON.stringify(String(value)));
    return ms;
  }

  const pad = (n, w) => String(n).padStart(w || 2, "0");

  class DateTime {
    constructor(value) { Object.defineProperty(this, "__ms", { value: parseMs(value) }); }
    string() {
      if (this.__ms === null) return "";
      const d = new NativeDate(this.__ms);
      return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
        pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "." +
        pad(d.getUTCMilliseconds(), 3) + "Z";
    }
    toString() { return this.string(); }
    toJSON() { return this.string(); }
    [Symbol.toPrimitive](hint) { return hint === "number" ? (this.__ms === null ? NaN : this.__ms) : this.string(); }
    isZero() { return this.__ms === null; }
    unix() { return this.__ms === null ? GO_ZERO_UNIX : Math.floor(this.__ms / 1000); }
    // Go durations are nanoseconds.
    add(duration) { return new DateTime((this.__ms || 0) + Math.trunc(Number(duration) / 1e6)); }
    sub(u) { return ((this.__ms || 0) - (new DateTime(u).__ms || 0)) * 1e6; }
    addDate(years, months, days) {
      const d = new NativeDate(this.__ms || 0);
      d.setUTCFullYear(d.getUTCFullYear() + (years | 0), d.getUTCMonth() + (months | 0), d.getUTCDate() + (days | 0));
      return new DateTime(d.getTime());
    }
    after(u) { return (this.__ms || 0) > (new DateTime(u).__ms || 0); }
    before(u) { return (this.__ms || 0) < (new DateTime(u).__ms || 0); }
    equal(u) { return this.__ms === new DateTime(u).__ms; }
    compare(u) { const a = this.__ms || 0; const b = new DateTime(u).__ms || 0; return a < b ? -1 : a > b ? 1 : 0; }
  }

  // QuickJS's Date doesn't read PocketBase's "2006-01-02 15:04:05.000Z": Date and Date.parse
  // get it (and DateTime values) through, everything else as before.
  const NativeDate = g.Date;
  const nativeParse = NativeDate.parse;
  const fixDate = (v) => (v instanceof DateTime ? (v.__ms === null ? NaN : v.__ms) : (typeof v === "string" && isoOf(v)) || v);
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
