// e.next() ordering across routerUse / route middlewares (with priorities) and handlers.

routerUse((e) => {
  if (!e.request.url.path.startsWith("/sweep/order")) return e.next();
  const trail = [];
  e.set("trail", trail);
  trail.push("use1:before");
  e.next();
  trail.push("use1:after");
  e.response.header().set("X-Trail", trail.join(","));
});

routerUse(new Middleware((e) => {
  if (!e.request.url.path.startsWith("/sweep/order")) return e.next();
  const trail = e.get("trail") || [];
  trail.push("prio-10");
  e.set("trail", trail);
  return e.next();
}, -10));

routerUse(new Middleware((e) => {
  if (!e.request.url.path.startsWith("/sweep/order")) return e.next();
  const trail = e.get("trail") || [];
  trail.push("prio+10");
  e.set("trail", trail);
  return e.next();
}, 10));

routerAdd("GET", "/sweep/order", (e) => {
  const trail = e.get("trail") || [];
  trail.push("handler");
  return e.json(200, { trail: trail.slice() });
}, (e) => {
  const trail = e.get("trail") || [];
  trail.push("route1");
  e.set("trail", trail);
  return e.next();
}, new Middleware((e) => {
  const trail = e.get("trail") || [];
  trail.push("route-prio-5");
  e.set("trail", trail);
  return e.next();
}, -5));

routerAdd("GET", "/sweep/order-stop", (e) => {
  return e.json(200, { reached: true });
}, (e) => {
  return e.json(202, { stopped: "route middleware", trail: e.get("trail") || [] });
});

// a middleware that runs after the handler answered and throws: the answer stands?
routerAdd("GET", "/sweep/order-throw-after", (e) => {
  return e.json(200, { answered: true });
}, (e) => {
  e.next();
  throw new BadRequestError("after");
});

// e.set/e.get across middlewares: values, and a stored object changed after e.set
routerAdd("GET", "/sweep/store/{kind}", (e) => {
  const kind = e.request.pathValue("kind");
  if (kind === "values") {
    const out = {};
    for (const [k, v] of Object.entries({ s: "ü", n: 1.5, b: false, nil: null, list: [1, "a"], obj: { a: { b: 1 } } })) {
      e.set(k, v);
      out[k] = e.get(k);
    }
    out.missing = e.get("nope") === undefined ? "<undefined>" : e.get("nope");
    return e.json(200, out);
  }
  const o = { a: 1 };
  e.set("o", o);
  o.a = 2;
  return e.json(200, { a: e.get("o").a });
}, (e) => {
  e.set("fromMiddleware", "mw");
  return e.next();
});
