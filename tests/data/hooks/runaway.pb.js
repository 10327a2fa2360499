/// Runaway handlers: a bare loop, and a loop that keeps calling $app.

routerAdd("GET", "/spin", (e) => {
  while (true) {}
});

routerAdd("GET", "/spin-app", (e) => {
  let n = 0;
  while (true) {
    try { n += $app.countRecords("posts"); } catch (err) {}
  }
});

routerAdd("GET", "/fib/{n}", (e) => {
  const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  const start = Date.now();
  const value = fib(parseInt(e.request.pathValue("n")));
  return e.json(200, { fib: value, start: start, end: Date.now() });
});
