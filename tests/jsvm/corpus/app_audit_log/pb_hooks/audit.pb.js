// Modelled on the "Audit logging" pattern of hook collections shipped by several open-source apps
// (e.g. the hooks reference of github.com/dimasyankauskas/ai-first-stack), rewritten: every
// successful change of a document writes an audit entry with the changed fields.

// NOTE: handlers can't see this file's top-level names (each runs on its own, as in
// PocketBase), so the diff is computed inside the handler.
onRecordUpdate((e) => {
  const before = e.record.original();
  const changes = {};
  for (const name of ["title", "status"]) {
    if (String(before.get(name)) !== String(e.record.get(name))) {
      changes[name] = { from: before.get(name), to: e.record.get(name) };
    }
  }
  e.next();
  const entry = new Record($app.findCollectionByNameOrId("audit"));
  entry.set("action", "update");
  entry.set("target", e.record.id);
  entry.set("changes", changes);
  $app.save(entry);
}, "documents");

onRecordAfterDeleteSuccess((e) => {
  const entry = new Record($app.findCollectionByNameOrId("audit"));
  entry.set("action", "delete");
  entry.set("target", e.record.id);
  entry.set("changes", {});
  $app.save(entry);
  e.next();
}, "documents");

routerAdd("GET", "/corpus/audit", (e) => {
  const entries = $app.findRecordsByFilter("audit", "", "action", 0, 0);
  return e.json(200, entries.map((r) => ({ action: r.get("action"), changes: r.get("changes") })));
});
