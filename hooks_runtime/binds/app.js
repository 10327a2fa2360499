// $app: finders, saves and deletes, settings, the logger, table helpers and transactions (the
// database builder, $app.db(), comes with binds/dbx.js). Evaluated after prelude.js, whose
// bridge it borrows. Python side: pybase/jsvm/binds/app.py.
(function (g) {
  "use strict";

  const { call, plain, fieldList, Collection } = g.__bridge; // hidden by __setup, once every runtime file has run

  const appCall = (name) => (...args) => call("app." + name, ...args);
  const isCollection = (m) => m instanceof Collection;
  // A rule set to undefined is nil in PocketBase's struct (superusers only): null, not left out.
  const RULE_KEYS = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule"];
  function withNullRules(model) {
    const data = plain(model);
    for (const key of RULE_KEYS) {
      if (Object.prototype.hasOwnProperty.call(model, key) && model[key] === undefined) data[key] = null;
    }
    return data;
  }
  function saveCollection(model) {
    const saved = call("app.saveCollection", withNullRules(model));
    Object.assign(model, saved);
    fieldList(model.fields);
    return null;
  }

  // $app.logger(): PocketBase's slog logger; entries land in _logs with their key/value attributes.
  const newLogger = (attrs) => ({
    debug: (msg, ...kv) => call("app.log", -4, msg, attrs.concat(kv)),
    info: (msg, ...kv) => call("app.log", 0, msg, attrs.concat(kv)),
    warn: (msg, ...kv) => call("app.log", 4, msg, attrs.concat(kv)),
    error: (msg, ...kv) => call("app.log", 8, msg, attrs.concat(kv)),
    log: (level, msg, ...kv) => call("app.log", Number(level) || 0, msg, attrs.concat(kv)),
    with: (...kv) => newLogger(attrs.concat(kv)),
    withGroup: () => newLogger(attrs),
  });
  const logger = newLogger([]);
  g.$app = {
    findRecordById: appCall("findRecordById"),
    findRecordsByIds: appCall("findRecordsByIds"),
    findFirstRecordByData: appCall("findFirstRecordByData"),
    findFirstRecordByFilter: appCall("findFirstRecordByFilter"),
    findRecordsByFilter: appCall("findRecordsByFilter"),
    countRecords: appCall("countRecords"),
    findCollectionByNameOrId: appCall("findCollectionByNameOrId"),
    findCachedCollectionByNameOrId: appCall("findCollectionByNameOrId"),
    findAuthRecordByEmail: appCall("findAuthRecordByEmail"),
    findAllRecords: appCall("findAllRecords"),
    save: (model) => (isCollection(model) ? saveCollection(model) : call("app.save", model)),
    saveNoValidate: (model) => (isCollection(model) ? saveCollection(model) : call("app.saveNoValidate", model)),
    delete: (model) => (isCollection(model) ? call("app.deleteCollection", model.id || model.name) : call("app.delete", model)),
    isDev: appCall("isDev"),
    dataDir: appCall("dataDir"),
    // A plain copy of the live settings; change it and $app.save(it) to store new settings.
    settings: appCall("settings"),
    logger: () => logger,
    hasTable: (name) => call("db.hasTable", name),
    auxHasTable: (name) => call("db.hasTable", name, { aux: true }),
    tableColumns: (name) => call("db.tableInfo", name, "columns"),
    tableInfo: (name) => call("db.tableInfo", name, "info"),
    tableIndexes: (name) => call("db.tableInfo", name, "indexes"),
    vacuum: () => call("db.vacuum"),
    auxVacuum: () => call("db.vacuum", { aux: true }),
    findAllCollections: (...types) => call("app.findAllCollections", types),
    isCollectionNameUnique: (name, ...excludeIds) => call("app.isCollectionNameUnique", name, excludeIds),
    importCollections: (list, deleteMissing) => { call("app.importCollections", plain(list || []), !!deleteMissing); },
    reloadCachedCollections: appCall("reloadCachedCollections"),
    reloadSettings: appCall("reloadSettings"),
    truncateCollection: appCall("truncateCollection"),
    findAuthRecordByToken: (token, ...types) => call("app.findAuthRecordByToken", token, types),
    // Expands relations in place without access rules (PocketBase's nil fetch func); answers
    // the failed paths ({path: error message}). A custom fetch function is not supported.
    expandRecord: (record, expands) => call("app.expandRecords", [record], expands || []),
    expandRecords: (records, expands) => call("app.expandRecords", records || [], expands || []),
    canAccessRecord: (record, info, rule) => call("app.canAccessRecord", record, info ? plainInfo(info) : null, rule === undefined ? null : rule),
    isBootstrapped: appCall("isBootstrapped"),
    isTransactional: appCall("isTransactional"),
    encryptionEnv: appCall("encryptionEnv"),
    validate: (model) => call("app.validate", model),
    // A write transaction on this thread: everything fn does through $app joins it; a throw
    // rolls it back (the exception goes on), a return commits it.
    runInTransaction(fn) {
      call("tx.begin");
      let ok = false;
      try {
        const result = fn(g.$app);
        ok = true;
        return result;
      } finally {
        call("tx.end", ok);
      }
    },
  };
  // Go's XxxWithContext variants: pybase has no cancellation contexts, the context is ignored.
  g.$app.saveWithContext = (ctx, model) => g.$app.save(model);
  g.$app.saveNoValidateWithContext = (ctx, model) => g.$app.saveNoValidate(model);
  g.$app.deleteWithContext = (ctx, model) => g.$app.delete(model);
  g.$app.validateWithContext = (ctx, model) => g.$app.validate(model);
  // A copy of $app whose saves and deletes fire no hooks (the default behaviour only).
  g.$app.unsafeWithoutHooks = function () {
    const bare = Object.assign({}, g.$app);
    bare.save = (model) => (isCollection(model) ? saveCollection(model) : call("app.save", model, { hooks: false }));
    bare.saveNoValidate = (model) => (isCollection(model) ? saveCollection(model) : call("app.saveNoValidate", model, { hooks: false }));
    bare.delete = (model) => (isCollection(model) ? call("app.deleteCollection", model.id || model.name) : call("app.delete", model, { hooks: false }));
    bare.saveWithContext = (ctx, model) => bare.save(model);
    bare.saveNoValidateWithContext = (ctx, model) => bare.saveNoValidate(model);
    bare.deleteWithContext = (ctx, model) => bare.delete(model);
    bare.unsafeWithoutHooks = () => bare;
    return bare;
  };

  // A request info (e.requestInfo(), or a plain object of the same shape) as pybase reads it.
  function plainInfo(info) {
    return { method: info.method || "", query: info.query || {}, headers: info.headers || {},
             body: info.body || {}, auth: info.auth || null, context: info.context || "default" };
  }
})(globalThis);
