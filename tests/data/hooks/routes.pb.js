/// Custom routes: path params, request info, body binding and the response helpers.

routerAdd("GET", "/hello/{name}", (e) => {
  const name = e.request.pathValue("name");
  return e.json(200, { message: "Hello " + name, q: e.request.url.query().get("q") });
});

routerAdd("GET", "/files/{path...}", (e) => {
  return e.string(200, "path=" + e.request.pathValue("path"));
});

routerAdd("POST", "/echo", (e) => {
  const data = new DynamicModel({ title: "", count: 0 });
  e.bindBody(data);
  const info = e.requestInfo();
  return e.json(201, { data: data, method: info.method, header: info.headers["x_custom"] || "", auth: info.auth });
});

routerAdd("GET", "/page", (e) => e.html(200, "<p>hi</p>"));
routerAdd("GET", "/nothing", (e) => e.noContent(204));
routerAdd("GET", "/go", (e) => e.redirect(307, "/hello/redirected"));
routerAdd("GET", "/bytes", (e) => e.blob(200, "application/octet-stream", [0, 1, 2, 255]));

routerAdd("GET", "/me", (e) => e.json(200, { id: e.auth.id, email: e.auth.email() }), $apis.requireAuth("users"));

routerAdd("GET", "/post/{id}", (e) => {
  const record = $app.findRecordById("posts", e.request.pathValue("id"));
  return e.json(200, { record: record, title: record.getString("title"), views: record.getInt("views"), collection: record.collection().name });
});

routerAdd("GET", "/count", (e) => {
  return e.json(200, {
    all: $app.countRecords("posts"),
    published: $app.countRecords("posts", $dbx.hashExp({ published: true })),
    filtered: $app.findRecordsByFilter("posts", "views >= {:min}", "-views", 10, 0, { min: 10 }).map((r) => r.get("title")),
    first: $app.findFirstRecordByFilter("posts", "title = {:t}", { t: "Second post" }).id,
  });
});

routerAdd("POST", "/create-post", (e) => {
  const body = e.requestInfo().body;
  const record = new Record($app.findCollectionByNameOrId("posts"), { title: body.title, views: body.views });
  $app.save(record);
  return e.json(200, { id: record.id, title: record.get("title"), isNew: record.isNew() });
});

routerAdd("GET", "/security", (e) => {
  return e.json(200, {
    rnd: $security.randomString(12).length,
    alpha: $security.randomStringWithAlphabet(8, "ab"),
    md5: $security.md5("abc"),
    sha256: $security.sha256("abc"),
    hs256: $security.hs256("abc", "key"),
    eq: $security.equal("a", "a"),
    str: toString(toBytes([104, 105])),
    list: toString([104, 105]),
  });
});
