// Records of a view written as JSON by hooks: e.json of a record, of records inside other
// values, JSON.stringify, a json field's value, a record's public export (issue #17).
routerAdd("GET", "/vjo/record", (e) => e.json(200, $app.findRecordById("vjo_view", "vjopost00000001")));
routerAdd("GET", "/vjo/list", (e) => e.json(200, $app.findAllRecords("vjo_view")));
routerAdd("GET", "/vjo/nested", (e) => {
  const record = $app.findRecordById("vjo_view", "vjopost00000001");
  return e.json(200, { zz: 1, a: { record: record }, list: [record] });
});
routerAdd("GET", "/vjo/stringify", (e) => e.string(200, JSON.stringify($app.findRecordById("vjo_view", "vjopost00000001"))));
routerAdd("GET", "/vjo/reparsed", (e) => {
  return e.json(200, JSON.parse(JSON.stringify($app.findRecordById("vjo_view", "vjopost00000001"))));
});
routerAdd("GET", "/vjo/export", (e) => e.json(200, $app.findRecordById("vjo_view", "vjopost00000001").publicExport()));
routerAdd("GET", "/vjo/fields", (e) => e.json(200, $app.findRecordById("vjo_view", "vjopost00000001")));
// a json field's value as text: a table's as stored (keys sorted; on Postgres not jsonb's order)
routerAdd("GET", "/vjo/strings", (e) => {
  const table = $app.findRecordById("vjo_posts", "vjopost00000001");
  const view = $app.findRecordById("vjo_view", "vjopost00000001");
  return e.string(200, `[${table.getString("meta")},${view.getString("j")},${view.getString("m")},${view.getString("o")}]`);
});
// a json field's value passed back as it was read (PocketBase: its JSON text, as written)
routerAdd("GET", "/vjo/get", (e) => e.json(200, $app.findRecordById("vjo_view", "vjopost00000001").get("j")));
routerAdd("GET", "/vjo/getin", (e) => e.json(200, { j: $app.findRecordById("vjo_view", "vjopost00000001").get("o") }));
routerAdd("GET", "/vjo/table", (e) => e.json(200, $app.findRecordById("vjo_posts", "vjopost00000001")));

onRecordViewRequest((e) => e.json(200, { hooked: e.record }), "vjo_view");

// a record to create answered with the view's record (in the batch API too, which writes each
// sub-request's answer as it was written)
onRecordCreateRequest((e) => e.json(200, $app.findRecordById("vjo_view", "vjopost00000001")), "vjo_posts");
