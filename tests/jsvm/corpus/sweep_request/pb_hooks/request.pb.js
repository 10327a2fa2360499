// Sweep of e.request (headers, url, cookies, method), e.auth and the $apis auth middlewares.

routerAdd("GET", "/sweep/req", (e) => {
  const h = e.request.header;
  const q = e.request.url.query();
  let cookie;
  try {
    const c = e.request.cookie("session");
    cookie = c ? c.value : null;
  } catch (err) {
    cookie = "err:" + err.message;
  }
  return e.json(200, {
    method: e.request.method,
    path: e.request.url.path,
    rawQuery: e.request.url.rawQuery,
    host: e.request.host.replace(/:\d+$/, ":<port>"),
    custom: h.get("X-Custom"),
    lower: h.get("x-custom"),
    missing: h.get("X-Missing"),
    multi: h.get("X-Multi"),
    values: h.values ? h.values("X-Multi") : "<none>",
    q: [q.get("a"), q.get("b"), q.get("none"), q.has("b"), q.has("none")],
    qAll: q.values ? q.values("a") : "<none>",
    cookie: cookie,
    auth: e.auth ? e.auth.collection().name : null,
    realIP: e.realIP(),
  });
});

routerAdd("GET", "/sweep/auth/any", (e) => e.json(200, { auth: e.auth ? e.auth.collection().name : null }), $apis.requireAuth());
routerAdd("GET", "/sweep/auth/users", (e) => e.json(200, { ok: true }), $apis.requireAuth("users"));
routerAdd("GET", "/sweep/auth/super", (e) => e.json(200, { ok: true }), $apis.requireSuperuserAuth());
routerAdd("GET", "/sweep/auth/guest", (e) => e.json(200, { ok: true }), $apis.requireGuestOnly());
routerAdd("GET", "/sweep/auth/owner/{id}", (e) => e.json(200, { ok: true }), $apis.requireSuperuserOrOwnerAuth("id"));
