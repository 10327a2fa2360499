// console: console.log/info/warn/error/debug to pybase's log (stderr before logging is set
// up). Evaluated after prelude.js, whose bridge it borrows. Python side:
// pybase/jsvm/binds/console.py.
(function (g) {
  "use strict";

  const call = g.__bridge.call;

  function format(args) {
    return args
      .map((a) => (typeof a === "string" ? a : a instanceof Error ? String(a) : safeJSON(a)))
      .join(" ");
  }

  function safeJSON(value) {
    try {
      const text = JSON.stringify(value);
      return text === undefined ? String(value) : text;
    } catch (err) {
      return String(value);
    }
  }

  const logAt = (level) => (...args) => call("log", level, format(args));
  g.console = {
    log: logAt("info"), info: logAt("info"), warn: logAt("warning"),
    error: logAt("error"), debug: logAt("debug"),
  };
})(globalThis);
