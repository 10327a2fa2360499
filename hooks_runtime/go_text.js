// Values as Go writes them (PocketBase's toString: strconv, time.Time, encoding/json of what goja
// exports). Evaluated before prelude.js, whose toString takes it (g.__goText, then removed).
(function (g) {
  "use strict";

  // A number as Go's strconv writes the int64 or float64 goja exports ('f' format, shortest
  // digits): 1e21 is 1000000000000000000000, 1e-7 0.0000001, -0 "-0", Infinity "+Inf".
  function number(n) {
    if (n !== n) return "NaN";
    if (n === Infinity || n === -Infinity) return n > 0 ? "+Inf" : "-Inf";
    if (n === 0) return 1 / n < 0 ? "-0" : "0";
    const text = String(n);
    const at = text.indexOf("e");
    if (at < 0) return text;
    const sign = text[0] === "-" ? "-" : "";
    const digits = text.slice(sign.length, at).replace(".", "");
    const point = 1 + Number(text.slice(at + 1)); // NOTE: JS's exponent form has one digit before its point
    if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
    if (point <= 0) return sign + "0." + "0".repeat(-point) + digits;
    return sign + digits.slice(0, point) + "." + digits.slice(point);
  }

  // A Date as Go writes the time.Time goja exports: its String() (" ": "1970-01-01 00:00:00
  // +0000 UTC") or its JSON ("T": "1970-01-01T00:00:00Z"), fraction without trailing zeros.
  function time(date, separator) {
    const iso = date.toISOString(); // NOTE: throws for an invalid Date, as Go's JSON fails on it
    const fraction = iso.slice(19, 23).replace(/\.?0+$/, "");
    const stamp = iso.slice(0, 10) + separator + iso.slice(11, 19) + fraction;
    return separator === " " ? stamp + " +0000 UTC" : stamp + "Z";
  }

  const UNENCODABLE = {};
  // Go's encoding/json of the value goja exports: objects as maps (keys sorted), undefined as
  // null, bytes as base64 (``base64(value)``: the text of a value that is bytes, else null), a
  // Date as its RFC 3339 text; a function, NaN or Infinity can't be encoded (UNENCODABLE).
  function encode(value, base64) {
    if (value === null || value === undefined) return "null";
    switch (typeof value) {
      case "string": return JSON.stringify(value);
      case "boolean": return String(value);
      case "number":
        if (!isFinite(value)) throw UNENCODABLE;
        return value === 0 && 1 / value < 0 ? "-0" : JSON.stringify(value);
      case "function": case "symbol": throw UNENCODABLE;
      default: break;
    }
    const bytes = base64(value);
    if (bytes !== null) return JSON.stringify(bytes);
    if (value instanceof Date) return JSON.stringify(time(value, "T"));
    if (value instanceof Map) return encode(Array.from(value), base64);
    if (value instanceof Set) return encode(Array.from(value), base64);
    if (typeof value.toJSON === "function") return encode(value.toJSON(), base64);
    if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
      return "[" + Array.prototype.map.call(value, (item) => encode(item, base64)).join(",") + "]";
    }
    const keys = Object.keys(value).sort();
    return "{" + keys.map((key) => JSON.stringify(key) + ":" + encode(value[key], base64)).join(",") + "}";
  }

  // json: a value's JSON, or "" for one Go cannot encode
  function json(value, base64) {
    try {
      return encode(value, base64);
    } catch (err) {
      if (err === UNENCODABLE) return "";
      throw err;
    }
  }

  g.__goText = { number: number, time: time, json: json };
})(globalThis);
