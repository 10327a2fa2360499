// e.requestInfo(): query, body, headers, auth, method, context, for each kind of request.

routerAdd("POST", "/sweep/info", (e) => {
  const info = e.requestInfo();
  const headers = {};
  for (const key of ["x_custom", "content_type", "x_empty", "x_missing", "authorization"]) {
    headers[key] = info.headers[key] === undefined ? "<undefined>" : (key === "authorization" ? !!info.headers[key] : info.headers[key]);
  }
  return e.json(200, {
    method: info.method,
    context: info.context,
    query: info.query,
    body: info.body,
    headers: headers,
    auth: info.auth ? [info.auth.collection().name, info.auth.id === info.auth.get("id")] : null,
    superuser: info.hasSuperuserAuth(),
  });
});

routerAdd("GET", "/sweep/info-query", (e) => {
  const info = e.requestInfo();
  const q = e.request.url.query();
  return e.json(200, {
    query: info.query,
    getMulti: q.get("m"),
    hasEmpty: q.has("empty"),
    emptyValue: q.get("empty"),
    rawQuery: e.request.url.rawQuery,
    path: e.request.url.path,
  });
});

routerAdd("POST", "/sweep/bind/{kind}", (e) => {
  const kind = e.request.pathValue("kind");
  if (kind === "model") {
    const m = new DynamicModel({ s: "", n: 0, b: false, list: [], obj: {} });
    try {
      e.bindBody(m);
    } catch (err) {
      return e.json(200, { err: String(err.message) });
    }
    return e.json(200, { model: m });
  }
  const plain = {};
  try {
    e.bindBody(plain);
  } catch (err) {
    return e.json(200, { err: String(err.message) });
  }
  return e.json(200, { plain: plain });
});
