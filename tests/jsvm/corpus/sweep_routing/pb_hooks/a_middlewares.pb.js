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
