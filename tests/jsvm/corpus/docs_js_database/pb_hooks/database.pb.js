// Source: the query examples of https://pocketbase.io/docs/js-database/ and
// https://pocketbase.io/docs/js-records/ ("Fetch records", "Custom record query"), wrapped in
// routes so that their results can be compared.

routerAdd("GET", "/corpus/record-query", (e) => {
  const records = arrayOf(new Record());
  $app.recordQuery("articles")
    .andWhere($dbx.hashExp({ "status": "published" }))
    .orderBy("views DESC")
    .limit(10)
    .all(records);
  return e.json(200, records.map((r) => ({ id: r.id, title: r.getString("title"), views: r.getInt("views") })));
});

routerAdd("GET", "/corpus/record-query-one", (e) => {
  const record = new Record();
  $app.recordQuery("articles")
    .andWhere($dbx.exp("LOWER(title) = {:title}", { title: "a draft (hooked)" }))
    .limit(1)
    .one(record);
  return e.json(200, { id: record.id, status: record.get("status"), isNew: record.isNew() });
});

routerAdd("GET", "/corpus/select", (e) => {
  const result = arrayOf(new DynamicModel({ id: "", title: "", views: 0 }));
  $app.db()
    .select("articles.id", "articles.title", "articles.views")
    .from("articles")
    .where($dbx.exp("views > {:min}", { min: 5 }))
    .orWhere($dbx.like("title", "draft"))
    .orderBy("views ASC")
    .all(result);
  return e.json(200, result);
});

routerAdd("GET", "/corpus/aggregate", (e) => {
  const total = new DynamicModel({ total: 0, sum: 0 });
  $app.db().select("count(*) as total", "sum(views) as sum").from("articles").one(total);
  const byStatus = arrayOf(new DynamicModel({ status: "", n: 0 }));
  $app.db().select("status", "count(*) as n").from("articles").groupBy("status").orderBy("status").all(byStatus);
  return e.json(200, { total: total.total, sum: total.sum, byStatus: byStatus });
});

routerAdd("GET", "/corpus/json-field", (e) => {
  const row = new DynamicModel({ id: "", meta: {} });
  $app.db().newQuery("SELECT id, meta FROM articles WHERE id = {:id}").bind({ id: "fixarticle00003" }).one(row);
  return e.json(200, { views: row.meta.get("views"), tags: row.meta.get("tags") });
});

routerAdd("GET", "/corpus/collections", (e) => {
  const collection = new Collection();
  $app.collectionQuery().andWhere($dbx.hashExp({ name: "articles" })).limit(1).one(collection);
  const names = $app.findAllCollections("base").map((c) => c.name).filter((n) => !n.startsWith("_"));
  return e.json(200, {
    name: collection.name,
    type: collection.type,
    base: names,
    hasArticles: $app.hasTable("articles"),
    hasNope: $app.hasTable("nope"),
    columns: $app.tableColumns("articles"),
  });
});

routerAdd("POST", "/corpus/multi-exec", (e) => {
  $app.db().newQuery(
    "UPDATE articles SET views = views + 1 WHERE id = 'fixarticle00001'; UPDATE articles SET views = views + 2 WHERE id = 'fixarticle00002';"
  ).execute();
  const rows = arrayOf(new DynamicModel({ id: "", views: 0 }));
  $app.db().select("id", "views").from("articles").orderBy("id").all(rows);
  return e.json(200, rows);
});

routerAdd("GET", "/corpus/token-owner", (e) => {
  const token = e.request.header.get("Authorization");
  const record = $app.findAuthRecordByToken(token, "auth");
  return e.json(200, { email: record.email(), collection: record.collection().name });
});

routerAdd("GET", "/corpus/can-access/{id}", (e) => {
  const record = $app.findRecordById("articles", e.request.pathValue("id"));
  const info = e.requestInfo();
  return e.json(200, {
    viewRule: $app.canAccessRecord(record, info, record.collection().viewRule),
    superOnly: $app.canAccessRecord(record, info, null),
    everyone: $app.canAccessRecord(record, info, ""),
  });
});

onRecordCreate((e) => {
  e.record.set("title", e.record.get("title") + " (hooked)");
  e.next();
}, "articles");

routerAdd("POST", "/corpus/without-hooks", (e) => {
  const collection = $app.findCollectionByNameOrId("articles");
  const a = new Record(collection, { title: "with hooks", status: "draft" });
  $app.save(a);
  // NB! without hooks nothing fills in the id (PocketBase's docs warn about it): set it.
  const b = new Record(collection, { id: "fixarticle00009", title: "without hooks", status: "draft" });
  $app.unsafeWithoutHooks().save(b);
  return e.json(200, { a: a.get("title"), b: b.get("title") });
});

routerAdd("GET", "/corpus/transactional", (e) => {
  const outside = $app.isTransactional();
  let inside = false;
  $app.runInTransaction((txApp) => { inside = txApp.isTransactional(); });
  return e.json(200, { outside: outside, inside: inside });
});
