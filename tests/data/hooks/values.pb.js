/// Values across the boundary: large integers, nested objects, unicode, both ways.

routerAdd("POST", "/values", (e) => {
  const body = e.requestInfo().body;
  return e.json(200, {
    received: body,
    big: body.big + 0,
    bigIsSafe: Number.isSafeInteger(body.big),
    types: Object.keys(body).map((k) => k + ":" + typeof body[k]),
    made: { max: 9007199254740991, neg: -9007199254740991, int32: 2147483648, float: 0.1 + 0.2, deep: { a: [1, { b: [true, null, "x"] }] }, text: "héllo wörld ✓ 😀 中文" },
  });
});

routerAdd("GET", "/store-values", (e) => {
  e.set("k", { nested: { big: 4294967296, list: [1, 2, 3] }, s: "ü" });
  return e.json(200, e.get("k"));
});
