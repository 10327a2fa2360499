// Source: the examples of https://pocketbase.io/docs/js-routing/ (path and query parameters,
// reading the request body, error responses, redirects) and
// https://pocketbase.io/docs/js-event-hooks/ (onRecordsListRequest, onRecordEnrich), wrapped in
// routes so that their results can be compared.

routerAdd("GET", "/corpus/hello/{name}", (e) => {
  const query = e.request.url.query();
  return e.json(200, {
    name: e.request.pathValue("name"),
    first: query.get("x"),
    missing: query.get("nope"),
    has: query.has("x"),
    remoteIP: e.remoteIP(),
  });
});

routerAdd("POST", "/corpus/bind", (e) => {
  const data = new DynamicModel({ title: "", count: 0, active: false, tags: [] });
  e.bindBody(data);
  return e.json(200, { model: data });
});

routerAdd("POST", "/corpus/raw", (e) => {
  const text = toString(e.request.body);
  return e.json(200, { text: text, parsed: JSON.parse(text) });
});

routerAdd("GET", "/corpus/err/{kind}", (e) => {
  switch (e.request.pathValue("kind")) {
    case "bad":
      throw e.badRequestError("Bad input", { title: new ValidationError("invalid_title", "Not a title") });
    case "missing":
      throw e.notFoundError("Nothing here");
    case "forbidden":
      throw e.forbiddenError("");
    case "teapot":
      throw e.error(418, "I am a teapot", null);
    case "internal":
      throw e.internalServerError("oops");
  }
  return e.noContent(204);
});

routerAdd("GET", "/corpus/info", (e) => {
  const info = e.requestInfo();
  return e.json(200, {
    superuser: info.hasSuperuserAuth(),
    eventSuperuser: e.hasSuperuserAuth(),
    method: info.method,
    a: info.query["a"],
    context: info.context,
    auth: info.auth ? info.auth.collection().name : null,
  });
});

routerAdd("GET", "/corpus/fields", (e) => {
  return e.json(200, { a: 1, b: { c: 2, d: 3 }, z: 9 });
});

routerAdd("GET", "/corpus/redirect", (e) => {
  return e.redirect(307, "/corpus/hello/there");
});

onRecordsListRequest((e) => {
  if (e.requestInfo().query["peek"] === "1") {
    return e.json(200, {
      totalItems: e.result.totalItems,
      perPage: e.result.perPage,
      count: e.records.length,
      firstId: e.records[0].id,
    });
  }
  return e.next();
}, "notes");

onRecordEnrich((e) => {
  e.record.set("viewer", e.requestInfo.auth ? e.requestInfo.auth.collection().name : "guest");
  e.record.set("viewerIsSuperuser", e.requestInfo.hasSuperuserAuth());
  e.record.withCustomData(true);
  return e.next();
}, "notes");
