// The JS surface pb_hooks see. Evaluated once in every context (the loader and each executor),
// after errors.js and dates.js; events.js and the files of surface.GLOBALS follow. Everything
// crosses to Python through one callable, __py(op, kinds, ...args) (see call below), that
// answers JSON text, {"v": value} or {"e": {m, s, t, r}}, or a letter and a simple value. Python
// objects (records, collections, events) cross as {"$h": handle, "$t": type} and become the
// proxies below. See README.md.
(function (g) {
  "use strict";

  const py = g.__py;
  delete g.__py;
  const DateTime = g.DateTime; // dates.js, evaluated before this file

  // ---- the bridge -------------------------------------------------------------------------

  let handles = new Map(); // handle -> proxy, for the current invocation

  function revive(key, value) {
    if (value !== null && typeof value === "object" && value.$h !== undefined) {
      return proxyOf(value);
    }
    if (value !== null && typeof value === "object" && value.$s !== undefined) {
      return settingsOf(value.$s);
    }
    if (value !== null && typeof value === "object" && value.$dt !== undefined) {
      return DateTime.__parse(value.$dt);
    }
    if (value !== null && typeof value === "object" && value.$ri !== undefined) {
      return infoOf(value.$ri);
    }
    if (value !== null && typeof value === "object" && value.$b !== undefined) {
      return markBytes(value.$b);
    }
    return value;
  }

  // A request info (e.requestInfo(), onRecordEnrich's e.requestInfo, new RequestInfo({...})):
  // its data, with PocketBase's methods (not enumerable: JSON sees the data only).
  class RequestInfo {
    constructor(data) {
      Object.assign(this, { method: "", query: {}, headers: {}, body: {}, auth: null, context: "default" }, data || {});
    }
    hasSuperuserAuth() { return !!(this.auth && typeof this.auth.isSuperuser === "function" && this.auth.isSuperuser()); }
    clone() {
      return new RequestInfo(Object.assign({}, this, {
        query: Object.assign({}, this.query), headers: Object.assign({}, this.headers), body: Object.assign({}, this.body),
      }));
    }
  }
  const infoOf = (data) => new RequestInfo(data);

  // Settings cross as a plain copy of their data, with PocketBase's model methods (not
  // enumerable, so JSON.stringify and $app.save see only the data).
  function settingsOf(data) {
    const s = Object.assign({}, data);
    Object.defineProperty(s, "tableName", { value: () => "_params" });
    Object.defineProperty(s, "pk", { value: () => "settings" });
    // JSON.stringify (e.json(200, s) too) leaves the write-only secrets out, as PocketBase.
    Object.defineProperty(s, "toJSON", { value: function () {
      const out = JSON.parse(JSON.stringify(Object.assign({}, this)));
      if (out.smtp) delete out.smtp.password;
      if (out.s3) delete out.s3.secret;
      if (out.backups && out.backups.s3) delete out.backups.s3.secret;
      return out;
    } });
    return s;
  }

  // Proxies cross as {"$h": n}; JSON.stringify alone would call their toJSON() instead.
  function encode(value) {
    if (value === null || typeof value !== "object") return value;
    if (value.__h !== undefined) return { $h: value.__h };
    // A collection made in JS (new Collection) crosses by id, or by name before its first save.
    if (value instanceof Collection) return value.id || value.name || "";
    if (Array.isArray(value)) return value.map(encode);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out = {};
    for (const key of Object.keys(value)) out[key] = encode(value[key]);
    return out;
  }

  // PERF: JSON.stringify costs QuickJS more than most calls (microseconds even for two
  // strings): strings, booleans, null/undefined and int32 numbers cross as they are, pybase
  // objects as their handle (lists of them as their handles), anything else as JSON text of its
  // own, each with a kind letter (v, h, H or j) in the call's second argument (binds._args).
  function call(op, ...args) {
    let kinds = "";
    const direct = [op, ""];
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const type = typeof a;
      // NOTE: a string holding a NUL goes as JSON: the binding cuts a string at its first NUL
      if ((type === "string" && a.indexOf("\u0000") < 0) || type === "boolean" || a === null || a === undefined ||
          (type === "number" && (a | 0) === a && (a !== 0 || 1 / a > 0))) {
        kinds += "v";
        direct.push(a === undefined ? null : a);
      } else if (type === "object" && a.__h !== undefined) {
        kinds += "h";
        direct.push(a.__h);
      } else if (Array.isArray(a) && a.length > 0 && a.every(isHandle)) {
        kinds += "H"; // a list of records...: their handles
        direct.push(a.map((item) => item.__h).join(","));
      } else {
        kinds += "j";
        const text = JSON.stringify(encode(a));
        direct.push(text === undefined ? "null" : text);
      }
    }
    direct[1] = kinds;
    return answerOf(py.apply(undefined, direct));
  }

  const isHandle = (item) => item !== null && typeof item === "object" && item.__h !== undefined;

  // A call's answer: a letter and a value for the simple ones (binds._answer), else JSON.
  function answerOf(text) {
    switch (text.charCodeAt(0)) {
      case 110: return null; // n
      case 116: return true; // t
      case 102: return false; // f
      case 115: return text.slice(1); // s
      case 114: return proxyOf({ $h: Number(text.slice(1)), $t: "r" }); // r
      case 82: return text.slice(1).split(",").map((h) => proxyOf({ $h: Number(h), $t: "r" })); // R
      default: break;
    }
    // PERF: the reviver runs for every value; most answers carry no object to revive.
    const out = text.indexOf('"$') < 0 ? JSON.parse(text) : JSON.parse(text, revive);
    if (out.e !== undefined) {
      throw new g.PyError(out.e.m, out.e.s, out.e.t, out.e.r);
    }
    return out.v;
  }

  // Prototypes of the other handle types, by their "$t" (files that add a type register it).
  const protos = {};

  function proxyOf(v) {
    let p = handles.get(v.$h);
    if (p !== undefined) {
      return p;
    }
    if (v.$t === "r") {
      p = Object.create(Record.prototype);
    } else if (v.$t === "c") {
      p = Object.create(Collection.prototype);
      Object.assign(p, v.d);
      fieldList(p.fields);
    } else if (protos[v.$t] !== undefined) {
      p = Object.create(protos[v.$t]);
    } else {
      p = {};
    }
    HANDLE.value = v.$h;
    Object.defineProperty(p, "__h", HANDLE);
    handles.set(v.$h, p);
    return p;
  }
  const HANDLE = { value: 0 }; // PERF: one descriptor for every proxy's (non-enumerable) handle

  // ---- records and collections ------------------------------------------------------------

  class Record {
    constructor(collection, data) {
      // new Record() with no collection: an empty model for recordQuery(...).one()/.all().
      if (collection === undefined || collection === null) return this;
      return call("record.new", collection, data === undefined ? null : data);
    }
    get id() { return call("record.get", this, "id"); }
    set id(value) { call("record.set", this, "id", value); }
    get(name) { return call("record.get", this, name); }
    set(name, value) { call("record.set", this, name, value); }
    load(data) { call("record.load", this, data); }
    getString(name) { return call("record.cast", this, name, "string"); }
    getInt(name) { return call("record.cast", this, name, "int"); }
    getFloat(name) { return call("record.cast", this, name, "float"); }
    getBool(name) { return call("record.cast", this, name, "bool"); }
    getStringSlice(name) { return call("record.cast", this, name, "strings"); }
    collection() { return call("record.collection", this); }
    tableName() { return this.collection().name; }
    isNew() { return call("record.isNew", this); }
    original() { return call("record.original", this); }
    fresh() { return call("record.clone", this); }
    clone() { return call("record.clone", this); }
    email() { return this.getString("email"); }
    setEmail(value) { this.set("email", value); }
    emailVisibility() { return this.getBool("emailVisibility"); }
    setEmailVisibility(value) { this.set("emailVisibility", !!value); }
    verified() { return this.getBool("verified"); }
    setVerified(value) { this.set("verified", !!value); }
    tokenKey() { return this.getString("tokenKey"); }
    setPassword(plain) { call("record.setPassword", this, plain); }
    validatePassword(plain) { return call("record.validatePassword", this, plain); }
    isSuperuser() { return this.collection().name === "_superusers"; }
    publicExport() { return call("record.export", this); }
    toJSON() { return call("record.export", this); }
    // NOTE: as PocketBase's types.ParseDateTime of the value: a DateTime, or a string in a date
    // layout; anything else (a number, other text) is the zero DateTime
    getDateTime(name) {
      const v = this.get(name);
      if (v instanceof DateTime) return v;
      const source = call("record.cast", this, name, "datetime");
      return typeof source === "number" ? DateTime.__fromMs(source) : DateTime.__parse(source);
    }
    getRaw(name) { return call("record.raw", this, "get", name); }
    setRaw(name, value) { call("record.raw", this, "set", name, value); }
    setIfFieldExists(name, value) { call("record.raw", this, "setIfFieldExists", name, value); }
    fieldsData() { return call("record.data", this, "fields"); }
    customData() { return call("record.data", this, "custom"); }
    hide(...names) { call("record.visibility", this, names, false); return this; }
    unhide(...names) { call("record.visibility", this, names, true); return this; }
    withCustomData(state) { call("record.exportOption", this, "customData", state); return this; }
    ignoreEmailVisibility(state) { call("record.exportOption", this, "emailVisibility", state); return this; }
    markAsNew() { call("record.mark", this, true); }
    markAsNotNew() { call("record.mark", this, false); }
    pk() { return this.id; }
    lastSavedPK() { return call("record.lastSavedPK", this); }
    expand() { return call("record.expand", this); }
    setExpand(expand) { call("record.setExpand", this, expand || {}, false); }
    mergeExpand(expand) { call("record.setExpand", this, expand || {}, true); }
    expandedOne(name) { return call("record.expanded", this, name, true); }
    expandedAll(name) { return call("record.expanded", this, name, false); }
    // Fills result (a DynamicModel or plain object) from a JSON field's value.
    unmarshalJSONField(name, result) {
      const value = this.get(name);
      if (result === null || typeof result !== "object") throw new TypeError("unmarshalJSONField: the result must be an object");
      if (value !== null && typeof value === "object" && !Array.isArray(value)) fillModel(result, value);
      return null;
    }
    setTokenKey(key) { this.set("tokenKey", key); }
    refreshTokenKey() { call("record.refreshTokenKey", this); }
    setRandomPassword() { return call("record.setRandomPassword", this); }
    newAuthToken() { return call("record.token", this, "auth"); }
    newStaticAuthToken(duration) { return call("record.token", this, "staticAuth", Number(duration) || 0); }
    newVerificationToken() { return call("record.token", this, "verification"); }
    newPasswordResetToken() { return call("record.token", this, "passwordReset"); }
    newEmailChangeToken(newEmail) { return call("record.token", this, "emailChange", String(newEmail)); }
    replaceModifiers(data) { return call("record.replaceModifiers", this, data || {}); }
  }

  // A collection is a plain snapshot of its JSON; $app.save(collection) sends it back whole.
  // new Collection(data) has PocketBase's defaults (system fields when no field list is given).
  class Collection {
    constructor(data) {
      Object.assign(this, call("collection.new", plain(data || {})));
      fieldList(this.fields);
    }
    isAuth() { return this.type === "auth"; }
    isBase() { return this.type === "base"; }
    isView() { return this.type === "view"; }
    tableName() { return "_collections"; }
    addIndex(name, unique, columnsExpr, optWhereExpr) {
      this.removeIndex(name);
      this.indexes = this.indexes || [];
      this.indexes.push("CREATE " + (unique ? "UNIQUE " : "") + "INDEX `" + name + "` ON `" + this.name + "` (" +
        columnsExpr + ")" + (optWhereExpr ? " WHERE " + optWhereExpr : ""));
    }
    removeIndex(name) {
      const at = (this.indexes || []).findIndex((idx) => indexName(idx).toLowerCase() === String(name).toLowerCase());
      if (at >= 0) this.indexes.splice(at, 1);
    }
    getIndex(name) {
      return (this.indexes || []).find((idx) => indexName(idx).toLowerCase() === String(name).toLowerCase()) || "";
    }
  }
  // The name of an index from its CREATE INDEX statement.
  function indexName(sql) {
    const m = /INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"\[]?([\w.]+?)[`"\]]?\s+ON\b/i.exec(String(sql));
    return m ? m[1].replace(/^\w+\./, "") : "";
  }

  // PocketBase's FieldsList on a collection's plain "fields" array (methods not enumerable, so
  // JSON sees the fields only). add: an explicit id replaces the field with that id, no id the
  // field with that name (keeping its id); a negative position replaces in place or appends.
  function addField(list, pos, field) {
    let byName = false;
    let inPlace = false;
    if (pos < 0) { inPlace = true; pos = list.length; } else if (pos > list.length) { pos = list.length; }
    if (!field.id) {
      byName = true;
      const base = call("field.defaultId", field.type, field.name || "");
      let id = base;
      for (let i = 2; i < 1000 && list.some((f) => f.id === id); i++) id = base + i;
      field.id = id;
    }
    for (let i = 0; i < list.length; i++) {
      const same = byName ? (field.name && list[i].name === field.name) : list[i].id === field.id;
      if (!same) continue;
      if (byName) field.id = list[i].id;
      if (inPlace) { list[i] = field; return; }
      list.splice(i, 1);
      if (pos > list.length) pos = list.length;
      break;
    }
    list.splice(pos, 0, field);
  }

  const FIELDS_LIST_METHODS = {
    getById(id) { return this.find((f) => f.id === id) || null; },
    getByName(name) { return this.find((f) => f.name === name) || null; },
    removeById(id) { const i = this.findIndex((f) => f.id === id); if (i >= 0) this.splice(i, 1); },
    removeByName(name) { const i = this.findIndex((f) => f.name === name); if (i >= 0) this.splice(i, 1); },
    fieldNames() { return this.map((f) => f.name); },
    asMap() { const out = {}; for (const f of this) out[f.name] = f; return out; },
    add(...items) { for (const f of items) addField(this, -1, plain(f)); },
    addAt(pos, ...items) {
      const total = this.length;
      items.forEach((f, i) => addField(this, pos < 0 ? -1 : (pos > total ? total + i : pos + i), plain(f)));
    },
  };

  function fieldList(fields) {
    if (!Array.isArray(fields) || fields.getByName) return fields;
    for (const key of Object.keys(FIELDS_LIST_METHODS)) Object.defineProperty(fields, key, { value: FIELDS_LIST_METHODS[key] });
    return fields;
  }

  // new Field({...}) / new TextField({...})...: a field's full JSON with PocketBase's defaults.
  class Field {
    constructor(data) { Object.assign(this, call("field.new", plain(data || {}))); }
  }
  const FIELD_TYPES = {
    TextField: "text", NumberField: "number", BoolField: "bool", EmailField: "email", URLField: "url",
    EditorField: "editor", DateField: "date", AutodateField: "autodate", SelectField: "select",
    JSONField: "json", FileField: "file", RelationField: "relation", PasswordField: "password",
    GeoPointField: "geoPoint",
  };
  for (const name of Object.keys(FIELD_TYPES)) {
    const type = FIELD_TYPES[name];
    g[name] = class extends Field {
      constructor(data) { super(Object.assign({}, plain(data || {}), { type: type })); }
    };
  }
  g.Field = Field;
  g.FieldsList = (items) => fieldList((Array.isArray(items) ? items : []).map((f) => plain(f)));

  // Own enumerable data only (no proxies' hidden handles, no helper methods).
  function plain(value) {
    return JSON.parse(JSON.stringify(value === undefined ? null : value));
  }

  class DynamicModel {
    constructor(shape) { Object.assign(this, shape || {}); }
  }

  function arrayOf(model) {
    const list = [];
    Object.defineProperty(list, "__model", { value: model });
    return list;
  }

  class Middleware {
    constructor(fn, priority, id) {
      this.fn = fn;
      this.priority = priority || 0;
      this.id = id || "";
    }
  }

  // ---- globals ----------------------------------------------------------------------------

  function toBytes(value) {
    if (value === null || value === undefined) return [];
    if (typeof value === "string") return { $text: value };
    if (value instanceof ArrayBuffer) return Array.from(new Uint8Array(value));
    if (ArrayBuffer.isView(value)) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return Array.from(value);
  }

  // The arrays that stand for Go's []byte (bytes from pybase, as the reviver's "$b" makes them,
  // and toBytes()'s): PocketBase's toString reads their text, where any other array is JSON.
  // NOTE: a WeakSet, not a property: invisible to hooks, and a copy (slice, map) is a plain
  // array, as goja's copy of a Go slice is
  const byteArrays = new WeakSet();
  function markBytes(list) {
    byteArrays.add(list);
    return list;
  }
  const goText = g.__goText; // go_text.js
  delete g.__goText; // NOTE: no global of its own for hooks to see
  const isBytes = (value) => byteArrays.has(value) || value instanceof Uint8Array || value instanceof Uint8ClampedArray;

  // PocketBase's toString (cast.ToStringE of the value goja exports, else its JSON): a reader's
  // text, bytes' text, a scalar's text as Go writes it, anything else Go's JSON of it.
  function toString(value) {
    if (value === null || value === undefined) return "";
    if (typeof value.__reader === "function") return value.__reader();
    if (typeof value === "string") return value;
    if (typeof value === "number") return goText.number(value);
    if (typeof value === "boolean" || typeof value === "bigint") return String(value);
    if (typeof value === "symbol") return value.description || "";
    if (typeof value === "function") return ""; // NOTE: Go's JSON has none
    // NOTE: PocketBase answers "" for an ArrayBuffer (goja exports no []byte of it); its bytes here
    if (isBytes(value) || value instanceof ArrayBuffer) return call("bytes.toString", toBytes(value));
    if (value instanceof Number || value instanceof Boolean) return toString(value.valueOf());
    if (value instanceof Date) return goText.time(value, " ");
    if (g.DateTime && value instanceof g.DateTime) return value.string();
    return goText.json(value, (bytes) => (isBytes(bytes) ? call("bytes.base64", toBytes(bytes)) : null));
  }

  // An object (JSON) value of a DynamicModel: PocketBase's JSON map, with .get(key).
  function jsonMap(value) {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && !value.get) {
      Object.defineProperty(value, "get", { value: (key) => (value[key] === undefined ? null : value[key]) });
      Object.defineProperty(value, "set", { value: (key, v) => { value[key] = v; } });
    }
    return value;
  }

  function coerce(zero, value) {
    if (typeof zero === "string") return value === null || value === undefined ? "" : String(value);
    if (typeof zero === "number") return Number(value) || 0;
    if (typeof zero === "boolean") return value === true || value === 1 || value === "1" || value === "true";
    if (zero !== null && typeof zero === "object") {
      let parsed = value;
      if (typeof value === "string") {
        try { parsed = JSON.parse(value); } catch (err) { parsed = Array.isArray(zero) ? [] : {}; }
      }
      return Array.isArray(zero) ? parsed : jsonMap(parsed);
    }
    return value;
  }

  function fillModel(target, row) {
    if (target instanceof Record) {
      target.load(row);
      return target;
    }
    const keys = Object.keys(target);
    if (keys.length === 0) return Object.assign(target, row);
    for (const key of keys) {
      if (Object.prototype.hasOwnProperty.call(row, key)) target[key] = coerce(target[key], row[key]);
      // NOTE: Postgres folds an unquoted alias to lower case (AS isBig is "isbig"); SQLite keeps it
      else if (Object.prototype.hasOwnProperty.call(row, key.toLowerCase())) target[key] = coerce(target[key], row[key.toLowerCase()]);
    }
    return target;
  }

  g.Record = Record;
  g.RequestInfo = RequestInfo;
  g.Collection = Collection;
  g.DynamicModel = DynamicModel;
  g.arrayOf = arrayOf;
  g.Middleware = Middleware;
  g.toString = toString;
  g.readerToString = (value, maxBytes) => {
    const text = toString(value);
    return maxBytes > 0 && text.length > maxBytes ? text.slice(0, maxBytes) : text;
  };
  g.sleep = (ms) => call("sleep", Number(ms) || 0);
  // PocketBase's null* helpers for DynamicModel shapes (Go pointers; zero values in JS).
  g.nullString = () => "";
  g.nullInt = () => 0;
  g.nullFloat = () => 0;
  g.nullBool = () => false;
  g.nullArray = () => [];
  g.nullObject = () => jsonMap({});

  // ---- require (CommonJS) -----------------------------------------------------------------

  let modules = {};

  function makeRequire(baseDir) {
    return function require(path) {
      const m = call("require.resolve", String(path), baseDir);
      const cached = modules[m.path];
      if (cached !== undefined) return cached.exports;
      const module = { exports: {}, id: m.path, filename: m.path };
      modules[m.path] = module;
      if (m.json) {
        module.exports = JSON.parse(m.src);
        return module.exports;
      }
      const fn = (0, eval)("(function (exports, require, module, __filename, __dirname) {" + m.src + "\n})");
      fn.call(module.exports, module.exports, makeRequire(m.dir), module, m.path, m.dir);
      return module.exports;
    };
  }
  g.require = makeRequire("");

  // ---- registration (loader) and invocation (executors) -----------------------------------

  let loaderMode = false;
  const registrations = [];

  function sourceOf(fn, what) {
    if (typeof fn === "string") return fn;
    if (typeof fn !== "function") throw new TypeError(what + " must be a function");
    return fn.toString();
  }

  function register(entry) {
    if (!loaderMode) {
      throw new Error("hooks and routes can only be registered at load time (top level of a *.pb.js file)");
    }
    entry.file = g.__file || "";
    registrations.push(entry);
  }

  function middlewareOf(m) {
    if (m instanceof Middleware) {
      if (m.fn && m.fn.$builtin) return { builtin: m.fn.$builtin, args: m.fn.args, priority: m.priority, id: m.id };
      return { src: sourceOf(m.fn, "Middleware"), priority: m.priority, id: m.id };
    }
    if (m && m.$builtin) return { builtin: m.$builtin, args: m.args, priority: 0, id: "" };
    return { src: sourceOf(m, "middleware"), priority: 0, id: "" };
  }

  g.routerAdd = function (method, path, handler, ...middlewares) {
    const entry = { kind: "route", method: String(method), path: String(path), middlewares: middlewares.map(middlewareOf) };
    if (handler && handler.$builtin) {
      entry.builtin = handler.$builtin;
      entry.args = handler.args;
    } else {
      entry.src = sourceOf(handler, "handler");
    }
    register(entry);
  };

  g.routerUse = function (...middlewares) {
    register({ kind: "use", middlewares: middlewares.map(middlewareOf) });
  };

  // At load time cron jobs are registrations (swapped in with the rest on reload); inside a
  // handler they change the scheduler at once, as PocketBase's.
  g.cronAdd = function (id, expr, handler) {
    const src = sourceOf(handler, "cron handler");
    call("cron.validate", String(expr));
    if (loaderMode) register({ kind: "cron", name: String(id), expression: String(expr), src: src });
    else call("cron.add", String(id), String(expr), src);
  };

  g.cronRemove = function (id) {
    if (loaderMode) register({ kind: "cronRemove", name: String(id) });
    else call("cron.remove", String(id));
  };

  function describe(err) {
    if (err instanceof g.PyError) return { ref: err.__pyref };
    if (err instanceof g.ApiError) {
      return { api: { status: err.status, message: err.message, data: err.data } };
    }
    if (err instanceof Error) return { js: { name: err.name, message: err.message, stack: err.stack || "" } };
    return { js: { name: "Error", message: String(err), stack: "" } };
  }

  const compiled = new Map();

  g.__setup = function (cfg) {
    delete g.__bridge; // every runtime file (surface.runtime_files()) has taken it by now
    loaderMode = !!cfg.loader;
    g.__hooks = cfg.hooksDir;
    for (const name of cfg.hooks) {
      g[name] = function (handler, ...tags) {
        register({ kind: "hook", name: name, tags: tags.map(String), src: sourceOf(handler, "handler") });
      };
    }
  };

  g.__registrations = () => JSON.stringify(registrations);

  // For the runtime files evaluated after this one (binds.js...); __setup removes it.
  // A model found by a query takes over a target made in JS (new Record()): same handle.
  function adopt(target, found) {
    Object.defineProperty(target, "__h", { value: found.__h });
    handles.set(found.__h, target);
    return target;
  }
  const bridge = g.__bridge = {
    call: call, toBytes: toBytes, markBytes: markBytes, toString: toString, plain: plain, Record: Record, fieldList: fieldList, protos: protos,
    Collection: Collection, fillModel: fillModel, adopt: adopt, coerce: coerce, isHandle: isHandle,
    makeEvent: null, // events.js
  };

  g.__compile = function (hid, src) {
    compiled.set(hid, (0, eval)("(" + src + "\n)"));
  };

  g.__invoke = function (hid, evh, paramsJson, isRequest) {
    try {
      const params = paramsJson ? JSON.parse(paramsJson) : null;
      const res = compiled.get(hid).call(undefined, bridge.makeEvent(evh, params, isRequest));
      if (res instanceof Error) throw res;
      return "";
    } catch (err) {
      return JSON.stringify(describe(err));
    } finally {
      handles = new Map();
    }
  };

  // A new generation of hooks was loaded: drop compiled handlers and cached modules.
  g.__reset = function () {
    compiled.clear();
    modules = {};
  };
})(globalThis);
