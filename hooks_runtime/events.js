// The e of every handler: its methods (e.next(), e.json()...), e.request and e.response, and
// the proxy that reads and writes the Python event's other properties. Evaluated after
// prelude.js, whose bridge it borrows (and whose __invoke makes events with makeEvent).
// Python side: pybase/jsvm/binds/event.py.
(function (g) {
  "use strict";

  const bridge = g.__bridge; // hidden by __setup, once every runtime file has run
  const { call, toBytes, coerce, isHandle, Record } = bridge;

  // A value for e.json: pybase objects by handle, toJSON() applied, undefined as null.
  function encodeJson(value) {
    if (value === undefined || value === null) return null;
    if (typeof value !== "object") return typeof value === "function" ? null : value;
    if (value.__h !== undefined) return { $h: value.__h };
    if (typeof value.toJSON === "function") return encodeJson(value.toJSON());
    if (Array.isArray(value)) return value.map(encodeJson);
    const out = {};
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (typeof item !== "function") out[key] = encodeJson(item);
    }
    return out;
  }

  const EVENT_METHODS = {
    next() { call("ev.next", this); },
    // Serialised by pybase (records and collections by handle, without a round trip each), keys
    // sorted and undefined properties written as null, as PocketBase's Go encoder does.
    json(status, data) {
      // a record or a list of records...: by handle
      const handles = isHandle(data) || (Array.isArray(data) && data.length > 0 && data.every(isHandle));
      call("res.json", this, status, handles ? data : encodeJson(data));
    },
    string(status, text) { call("res.write", this, "string", status, String(text)); },
    html(status, html) { call("res.write", this, "html", status, String(html)); },
    noContent(status) { call("res.write", this, "none", status || 204, ""); },
    redirect(status, url) { call("res.write", this, "redirect", status, String(url)); },
    blob(status, contentType, bytes) { call("res.blob", this, status, contentType, toBytes(bytes)); },
    xml(status, data) { call("res.write", this, "xml", status, String(data)); },
    requestInfo() { return call("req.info", this); },
    // Into a model with fields (a DynamicModel...), values take the type of each field's zero
    // value; into an empty object, the data as read (form values typed as PocketBase's map).
    bindBody(target) {
      if (target === null || typeof target !== "object") throw new TypeError("bindBody: the target must be an object");
      if (target instanceof Record) {
        target.load(call("req.body", this, true));
        return null;
      }
      const keys = Object.keys(target);
      if (keys.length === 0) {
        Object.assign(target, call("req.body", this, true));
        return null;
      }
      const raw = call("req.body", this, false);
      for (const key of keys) {
        if (Object.prototype.hasOwnProperty.call(raw, key)) target[key] = coerce(target[key], raw[key]);
      }
      return null;
    },
    hasSuperuserAuth() { return call("req.isSuperuser", this); },
    realIP() { return call("req.snapshot", this).realIP; },
    remoteIP() { return call("req.snapshot", this).remoteAddr; },
    isTLS() { return call("req.snapshot", this).scheme === "https"; },
    status() { return call("res.state", this).status; },
    written() { return call("res.state", this).written; },
    get(key) { return call("ev.store", this, "get", key, null); },
    set(key, value) { call("ev.store", this, "set", key, value); },
    getAll() { return call("ev.store", this, "getAll", "", null); },
    setAll(values) { call("ev.store", this, "setAll", "", values || {}); },
    // PocketBase's error helpers: return (not throw) the error, as e.badRequestError(...) does.
    error(status, message, data) { return new g.ApiError(status, message, data); },
    badRequestError(message, data) { return new g.BadRequestError(message, data); },
    notFoundError(message, data) { return new g.NotFoundError(message, data); },
    forbiddenError(message, data) { return new g.ForbiddenError(message, data); },
    unauthorizedError(message, data) { return new g.UnauthorizedError(message, data); },
    tooManyRequestsError(message, data) { return new g.TooManyRequestsError(message, data); },
    internalServerError(message, data) { return new g.InternalServerError(message, data); },
  };

  // e.request. The snapshot (method, headers, query...) costs a bridge call: it is fetched on
  // first use; route path values come with the invocation. PERF: one object per request, its
  // methods on the prototype (keys are symbols: JSON and Object.keys don't see them).
  const EV = Symbol("event");
  const PARAMS = Symbol("params");
  const SNAP = Symbol("snapshot");
  const BODY = Symbol("body");
  const HEADER = Symbol("header");

  class HookRequest {
    constructor(ev, params) {
      this[EV] = ev;
      this[PARAMS] = params;
      this[SNAP] = null;
    }
    get method() { return snapshotOf(this).method; }
    get host() { return snapshotOf(this).host; }
    get remoteAddr() { return snapshotOf(this).remoteAddr; }
    get url() {
      const i = snapshotOf(this);
      return {
        path: i.path,
        rawQuery: i.rawQuery,
        query() { return { get: (k) => (i.query[k] === undefined ? "" : i.query[k]), has: (k) => k in i.query }; },
        string() { return i.path + (i.rawQuery ? "?" + i.rawQuery : ""); },
      };
    }
    // e.request.body: a reader; toString(e.request.body) reads the body as sent.
    get body() {
      const ev = this[EV];
      return this[BODY] || (this[BODY] = { __reader: () => call("req.rawBody", ev) });
    }
    get header() {
      const req = this;
      const value = (name) => snapshotOf(req).headers[String(name).toLowerCase()];
      return this[HEADER] || (this[HEADER] = {
        get: (name) => value(name) || "",
        values: (name) => (value(name) === undefined ? [] : [value(name)]),
      });
    }
    // Go's Request.Cookie(name): {name, value, ...}, or a thrown "http: named cookie not present"
    cookie(name) {
      const cookies = snapshotOf(this).cookies || {};
      const key = String(name);
      if (!Object.prototype.hasOwnProperty.call(cookies, key)) throw new Error("http: named cookie not present");
      return { name: key, value: cookies[key], path: "", domain: "", maxAge: 0, secure: false, httpOnly: false, sameSite: 0, raw: "" };
    }
    pathValue(name) {
      const v = (this[PARAMS] || snapshotOf(this).params)[name];
      return v === undefined ? "" : v;
    }
  }

  function snapshotOf(req) {
    return req[SNAP] || (req[SNAP] = call("req.snapshot", req[EV]));
  }

  function makeResponse(ev) {
    const header = {
      set: (name, value) => call("res.header", ev, "set", name, value),
      add: (name, value) => call("res.header", ev, "add", name, value),
      get: (name) => call("res.header", ev, "get", name, null),
      del: (name) => call("res.header", ev, "del", name, null),
    };
    return { header: () => header };
  }

  // An event: its methods and e.app/e.request/e.response on a prototype, every other property
  // read from (or written to) the Python event by the proxy at the end of the prototype chain.
  // PERF: a method, e.request or the handle costs no proxy trap (a trap is a JS call).
  const EVENT_FALLBACK = new Proxy(Object.create(null), {
    get(t, prop, ev) {
      if (typeof prop !== "string" || prop === "toJSON" || prop === "then") {
        return undefined;
      }
      const value = call("ev.get", ev, prop);
      // NOTE: a plain object (a list's e.result) writes a change of its keys back to the event,
      // as a Go struct's field changed in place (e.result.items = ... in PocketBase)
      if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype && value.__h === undefined) {
        return new Proxy(value, {
          set(obj, key, v) {
            obj[key] = v;
            call("ev.set", ev, prop, obj);
            return true;
          },
        });
      }
      return value;
    },
    set(t, prop, value, ev) {
      call("ev.set", ev, String(prop), value);
      return true;
    },
  });
  const REQUEST = Symbol("request");
  const RESPONSE = Symbol("response");

  function eventProto(methods) {
    const proto = Object.create(EVENT_FALLBACK);
    for (const name of Object.keys(methods)) Object.defineProperty(proto, name, { value: methods[name], writable: true });
    Object.defineProperty(proto, "app", { get() { return g.$app; } });
    Object.defineProperty(proto, "request", {
      get() { return this[REQUEST] || (this[REQUEST] = new HookRequest(this, this[PARAMS])); },
    });
    Object.defineProperty(proto, "response", {
      get() { return this[RESPONSE] || (this[RESPONSE] = makeResponse(this)); },
    });
    return proto;
  }
  // onRecordEnrich's requestInfo is data (PocketBase's field); request events' a method.
  const REQUEST_EVENT = eventProto(EVENT_METHODS);
  const OTHER_EVENT = eventProto(Object.fromEntries(Object.entries(EVENT_METHODS).filter(([k]) => k !== "requestInfo")));

  function makeEvent(h, params, isRequest) {
    // NOTE: a literal defines its keys (an assignment would reach the proxy's set trap).
    return { __proto__: isRequest ? REQUEST_EVENT : OTHER_EVENT, __h: h, [PARAMS]: params, [REQUEST]: null, [RESPONSE]: null };
  }

  bridge.makeEvent = makeEvent;
})(globalThis);
