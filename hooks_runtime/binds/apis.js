// $apis: the built-in middlewares (descriptors the route table turns into Python middlewares,
// see pybase/jsvm/router.py), static(), recordAuthResponse and enrichRecord(s). Evaluated after
// prelude.js, whose bridge it borrows. Python side: pybase/jsvm/binds/apis.py and router.py.
(function (g) {
  "use strict";

  const call = g.__bridge.call;

  const builtin = (name) => (...args) => ({ $builtin: name, args: args });
  g.$apis = {
    requireAuth: builtin("requireAuth"),
    requireSuperuserAuth: builtin("requireSuperuserAuth"),
    requireGuestOnly: builtin("requireGuestOnly"),
    requireSuperuserOrOwnerAuth: builtin("requireSuperuserOrOwnerAuth"),
    bodyLimit: builtin("bodyLimit"),
    gzip: builtin("gzip"),
    skipSuccessActivityLog: builtin("skipSuccessActivityLog"),
    recordAuthResponse: (e, record, authMethod, meta) => {
      call("apis.recordAuthResponse", e, record, authMethod || "", meta === undefined ? null : meta);
    },
    enrichRecord: (e, record, ...defaultExpands) => { call("apis.enrichRecords", e, [record], defaultExpands); },
    enrichRecords: (e, records, ...defaultExpands) => { call("apis.enrichRecords", e, records || [], defaultExpands); },
    // A route handler (not a middleware): routerAdd("GET", "/{path...}", $apis.static(dir, true)).
    static: (dir, indexFallback) => ({ $builtin: "static", args: [String(dir), !!indexFallback] }),
  };
})(globalThis);
