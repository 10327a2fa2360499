// Cron jobs registered by hooks, seen by /api/crons.

cronAdd("sweep_hourly", "0 * * * *", () => {});
cronAdd("sweep_macro", "@daily", () => {});
cronAdd("sweep_removed", "*/5 * * * *", () => {});
cronRemove("sweep_removed");

routerAdd("POST", "/sweep/cron/{id}", (e) => {
  const id = e.request.pathValue("id");
  for (const [label, expr] of [["ok", "*/10 * * * *"], ["range", "1-5 * * * 1-5"], ["list", "0,30 8-18/2 1,15 * *"], ["macro", "@hourly"]]) {
    cronAdd(id + "_" + label, expr, () => {});
  }
  cronRemove(id + "_macro");
  cronRemove("nope_never_added");
  return e.json(200, { added: true });
});

// an invalid expression inside a handler (catchable in pybase; PocketBase panics)
routerAdd("POST", "/sweep/cron-bad/{expr}", (e) => {
  try {
    cronAdd("bad", e.request.pathValue("expr"), () => {});
    return e.json(200, { added: true });
  } catch (err) {
    return e.json(200, { err: String(err.message) });
  }
});
