// e.json / e.string / e.html / e.blob / e.noContent / e.redirect: statuses, bodies and headers.

routerAdd("GET", "/sweep/respond/{kind}/{status}", (e) => {
  const status = Number(e.request.pathValue("status"));
  const kind = e.request.pathValue("kind");
  e.response.header().set("X-Kind", kind);
  switch (kind) {
    case "json": return e.json(status, { a: 1, "ü": "日本", list: [1, "x", null], nested: { b: true } });
    case "jsonArray": return e.json(status, [1, 2, 3]);
    case "jsonNull": return e.json(status, null);
    case "jsonString": return e.json(status, "text");
    case "jsonUndefined": return e.json(status, { u: undefined, n: null, z: 0 });
    case "jsonLarge": return e.json(status, { s: "x".repeat(70000), n: 2 ** 53, f: 1.5e300, neg: -0.25 });
    case "string": return e.string(status, "plain ü");
    case "stringEmpty": return e.string(status, "");
    case "html": return e.html(status, "<p>ü</p>");
    case "blob": return e.blob(status, "application/x-thing", toBytes("bytes ü"));
    case "blobEmptyType": return e.blob(status, "", toBytes("raw"));
    case "noContent": return e.noContent(status);
    case "redirect": return e.redirect(status, "/sweep/elsewhere?x=ü");
    case "redirectAbs": return e.redirect(status, "https://example.com/a b");
    case "header": {
      e.response.header().add("X-Multi", "1");
      e.response.header().add("X-Multi", "2");
      e.response.header().set("Content-Type", "text/custom");
      return e.string(status, "with headers");
    }
  }
  return e.string(200, "unknown kind");
});

routerAdd("GET", "/sweep/status-after-write", (e) => {
  e.string(201, "first");
  return e.json(200, { written: e.written(), status: e.status() });
});
