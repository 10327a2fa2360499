/// require() of a CommonJS module from pb_hooks.

routerAdd("GET", "/shout/{word}", (e) => {
  const util = require(`${__hooks}/lib/util.js`);
  return e.json(200, { text: util.shout(e.request.pathValue("word")), n: util.next() });
});
