// Helpers of the sweep cases: each case answers {ok: value} or {err: status or "error"}.

function run(fn) {
  try {
    const v = fn();
    return { ok: v === undefined ? "<undefined>" : v };
  } catch (err) {
    return { err: String(err && err.message) };
  }
}

function values() {
  return {
    missing: undefined, nil: null, wrongType: { x: 1 }, empty: "", unicode: "ü日本😀",
    large: "x".repeat(100), number: 3, negative: -2, float: 1.5, numText: "4", list: ["a", "b"],
    badList: ["a", "zz"], bool: true,
  };
}

module.exports = { run, values };
