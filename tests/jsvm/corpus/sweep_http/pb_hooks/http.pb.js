// Sweep of $http.send against routes of the same server (its own address from the Host header).

routerAdd("POST", "/sweep/echo", (e) => {
  const info = e.requestInfo();
  e.response.header().set("X-Echo", "yes");
  return e.json(Number(info.query["status"] || 200), {
    method: e.request.method,
    contentType: e.request.header.get("Content-Type"),
    custom: e.request.header.get("X-Custom"),
    raw: toString(e.request.body),
  });
});
routerAdd("GET", "/sweep/text", (e) => e.string(200, "plain ü"));
routerAdd("GET", "/sweep/empty", (e) => e.noContent(204));

routerAdd("GET", "/sweep/http/{k}", (e) => {
  const { run } = require(`${__hooks}/lib/sweep.js`);
  const base = "http://" + e.request.host;
  const shape = (res) => ({
    // NOTE: e.json of a JS object writes its keys in no set order in PocketBase: raw JSON not compared
    statusCode: res.statusCode, json: res.json, raw: res.json ? "<json>" : res.raw, bodyLength: res.json ? "<json>" : res.body.length,
    echo: res.headers["X-Echo"] || null, contentType: res.headers["Content-Type"] || null,
  });
  const cases = {
    string: () => shape($http.send({ url: base + "/sweep/echo", method: "POST", body: "a=ü", headers: { "X-Custom": "c", "content-type": "text/plain" } })),
    json: () => shape($http.send({ url: base + "/sweep/echo", method: "POST", body: JSON.stringify({ a: 1 }), headers: { "Content-Type": "application/json" } })),
    form: () => {
      const f = new FormData();
      f.append("a", "1");
      f.append("b", "ü");
      const res = $http.send({ url: base + "/sweep/echo", method: "POST", body: f });
      const out = shape(res);
      // NOTE: the multipart boundary is random (and its length Go's own): not compared
      out.json.contentType = out.json.contentType.split(";")[0];
      delete out.raw;
      delete out.bodyLength;
      return out;
    },
    status: () => shape($http.send({ url: base + "/sweep/echo?status=418", method: "POST" })),
    lowerMethod: () => shape($http.send({ url: base + "/sweep/echo", method: "post" })),
    noMethod: () => shape($http.send({ url: base + "/sweep/text" })),
    text: () => shape($http.send({ url: base + "/sweep/text", method: "GET" })),
    noContent: () => shape($http.send({ url: base + "/sweep/empty", method: "GET" })),
    notFound: () => shape($http.send({ url: base + "/sweep/nope", method: "GET" })),
    badScheme: () => $http.send({ url: "ftp://example.com/x" }),
    noUrl: () => $http.send({}),
    badHost: () => $http.send({ url: "http://127.0.0.1:1/x", timeout: 2 }).statusCode,
    headersCase: () => Object.keys($http.send({ url: base + "/sweep/text" }).headers).filter((h) => h.startsWith("Content")).sort(),
  };
  const k = e.request.pathValue("k");
  return e.json(200, { [k]: run(cases[k]) });
});
