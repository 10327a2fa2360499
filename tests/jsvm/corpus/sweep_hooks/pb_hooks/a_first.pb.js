// Hook order across files, tags and kinds: each handler appends its name to the record's trail.

onRecordCreateRequest((e) => {
  e.record.set("trail", e.record.getString("trail") + "reqA>");
  if (e.record.getString("title") === "stop-a") return e.json(201, { stoppedBy: "reqA", trail: e.record.getString("trail") });
  e.next();
  e.record.set("trail", e.record.getString("trail") + "<reqA");
}, "items");

onRecordCreate((e) => {
  e.record.set("trail", e.record.getString("trail") + "create>");
  e.next();
});

onRecordValidate((e) => {
  e.record.set("trail", e.record.getString("trail") + "validate>");
  if (e.record.getString("title") === "invalid") throw new BadRequestError("title refused", { title: new ValidationError("refused", "No.") });
  e.next();
}, "items");

onRecordCreateExecute((e) => {
  e.record.set("trail", e.record.getString("trail") + "execute>");
  e.next();
}, "items");

onRecordAfterCreateSuccess((e) => {
  // NOTE: after the save: a change here is not stored, but the answer holds the record
  e.record.set("trail", e.record.getString("trail") + "afterSuccess>");
  e.next();
}, "items");

onRecordEnrich((e) => {
  e.record.set("enriched", e.record.getString("trail").split(">").length);
  e.record.withCustomData(true);
  e.next();
}, "items");

onRecordUpdateRequest((e) => {
  const info = e.requestInfo();
  const body = Object.keys(info.body).sort().map((k) => [k, info.body[k]]);
  e.record.set("trail", "upd:" + JSON.stringify(body) + ":" + (info.auth ? info.auth.collection().name : "guest"));
  e.next();
}, "items");

onRecordsListRequest((e) => {
  if (e.requestInfo().query["shape"] === "ids") {
    e.result.items = e.records.map((r) => r.id);
    return e.next();
  }
  if (e.requestInfo().query["shape"] === "page") {
    e.result.page = 7;
    return e.next();
  }
  e.next();
}, "items");

onRecordViewRequest((e) => {
  if (e.requestInfo().query["hide"] === "1") e.record.hide("title");
  e.next();
}, "items");

onRecordDeleteRequest((e) => {
  if (e.record.getInt("n") === 1) throw new ForbiddenError("keep the first");
  e.next();
}, "items");

// NOTE: in one file: PocketBase loads pb_hooks files in Go map order (at random), so handlers
// of two files run in no set order there (pybase: by file name).
onRecordCreateRequest((e) => {
  e.record.set("trail", e.record.getString("trail") + "reqB>");
  if (e.record.getString("title") === "stop-b") throw new BadRequestError("stopped by reqB");
  e.next();
}, "items");

onRecordCreateRequest((e) => {
  e.record.set("trail", e.record.getString("trail") + "reqAll>");
  e.next();
});

onRecordCreate((e) => {
  e.record.set("trail", e.record.getString("trail") + "create2>");
  e.next();
}, "items");
