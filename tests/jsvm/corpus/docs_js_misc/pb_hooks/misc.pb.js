// Source: https://pocketbase.io/docs/js-jobs-scheduling/ (cronAdd), js-overview ("Loading
// modules": require() of a file under pb_hooks), js-routing (path parameters).

cronAdd("hello", "*/5 * * * *", () => {
  console.log("Hello!");
});
cronAdd("nightly", "@daily", () => {});

routerAdd("GET", "/corpus/require", (e) => {
  const greet = require(`${__hooks}/lib/greet.js`);
  return e.json(200, { message: greet.hello("world") });
});

routerAdd("GET", "/corpus/path/{name}", (e) => {
  return e.json(200, { name: e.request.pathValue("name") });
});
