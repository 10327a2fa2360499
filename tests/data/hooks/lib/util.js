// A CommonJS module required from a handler.
const counter = require("./counter.js");

module.exports = {
  shout: (text) => String(text).toUpperCase() + "!",
  next: () => counter.next(),
};
