// Sweep of the global toString(value): a table of value classes per group, each answering
// {ok: the text} (or {err: message}). PocketBase turns a Go []byte (toBytes(), $os.readFile(),
// a command's output, an ArrayBuffer or Uint8Array) into its text, a reader into what it reads,
// a scalar into its text, and anything else (a plain JS array too) into its JSON.

routerAdd("GET", "/sweep/tostring/{group}", (e) => {
  const run = (fn) => {
    try {
      const v = fn();
      return v === undefined ? { ok: "<undefined>" } : { ok: v, type: typeof v };
    } catch (err) {
      return { err: String(err && err.message) };
    }
  };
  const file = () => {
    const path = $filepath.join($os.tempDir(), "pb_tostring_" + $security.randomString(8) + ".txt");
    $os.writeFile(path, "file ü", 0o644);
    try { return $os.readFile(path); } finally { $os.remove(path); }
  };
  const groups = {
    scalars: {
      undefined: () => undefined, null: () => null, empty: () => "", text: () => "ü日本😀", nulText: () => "a\u0000b",
      zero: () => 0, int: () => 3, negative: () => -2, float: () => 1.5, negZero: () => -0,
      bigInt: () => 9007199254740993, big: () => 1e21, bigFraction: () => -1.2345678901234567e25, tiny: () => 1e-7,
      tinyFraction: () => 1.25e-10, third: () => 1 / 3, nan: () => NaN, inf: () => Infinity, negInf: () => -Infinity,
      true: () => true, false: () => false,
    },
    arrays: {
      mixed: () => [1, "a"], empty: () => [], byteLike: () => [104, 105], nested: () => [[1], [2, "x"]],
      withNull: () => ["a", null, true, undefined], html: () => ["<&>"], floats: () => [1.5, -0.25, 1e20, 1e21, 1e-7],
      negZero: () => [-0], objects: () => [{ b: 1, a: 2 }], sliceOfBytes: () => toBytes("hi").slice(0),
      mapped: () => toBytes("hi").map((b) => b), int32: () => new Int32Array([1, -2]), map: () => new Map([["b", 1], ["a", [2]]]),
      set: () => new Set([1, "x"]), bytesInside: () => [toBytes("hi"), new Uint8Array([1, 2, 3])],
    },
    objects: {
      keys: () => ({ b: 1, a: 2, c: [3] }), empty: () => ({}), html: () => ({ a: "<&>" }),
      nested: () => ({ z: { y: 1, x: [true, null] }, a: "" }), unicode: () => ({ "ü": "日本", "\u2028": "\u2028" }),
      undefinedValue: () => ({ b: undefined, a: 1 }), bytesValue: () => ({ b: toBytes("hi ü") }),
      dateValue: () => ({ d: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 670)), z: new Date(0) }),
      dateTimeValue: () => ({ d: new DateTime("2024-01-02 03:04:05.678Z") }),
    },
    bytes: {
      toBytesText: () => toBytes("hi ü"), toBytesEmpty: () => toBytes(""), toBytesNull: () => toBytes(null),
      toBytesList: () => toBytes([104, 105]), toBytesUint8: () => toBytes(new Uint8Array([104, 105])), readFile: file,
      output: () => $os.cmd("echo", "out ü").output(), uint8: () => new Uint8Array([104, 105]),
      clamped: () => new Uint8ClampedArray([104, 105]), subarray: () => new Uint8Array([104, 105, 106]).subarray(1),
    },
    others: {
      date: () => new Date(0), dateMillis: () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 670)),
      dateTime: () => new DateTime("2024-01-02 03:04:05.678Z"), function: () => () => 1, symbol: () => Symbol("x"),
      numberObject: () => new Number(2.5), booleanObject: () => new Boolean(false), dataView: () => new DataView(new ArrayBuffer(2)),
      regexp: () => /a/g, error: () => new Error("boom"),
    },
    arrayBuffer: { arrayBuffer: () => new Uint8Array([104, 105]).buffer },
  };
  const table = groups[e.request.pathValue("group")] || {};
  const out = {};
  for (const [label, make] of Object.entries(table)) {
    out[label] = run(() => toString(make()));
  }
  return e.json(200, out);
});
