"""JS migrations: ``pb_migrations/*.js`` files calling ``migrate((app) => {up}, (app) => {down})``.

Each run of a migration gets a fresh QuickJS context with everything a hook sees (the hooks
runtime's prelude) plus what migrations need and hooks don't have: ``new Collection({...})``
(a plain, mutable copy of the collection JSON), ``new Field({...})`` and the typed field
classes, ``collection.fields.addAt/removeById/getByName...``, ``unmarshal(data, target)``, and
an ``app`` (also ``$app``) whose ``save``/``delete`` accept collections as well as records and
that has ``importCollections``. The runner calls ``up``/``down`` inside its write transaction on
the same thread, so every ``app.*`` call joins that transaction (``app`` is PocketBase's txApp).

As in PocketBase, the file runs in the context that later runs its ``up``/``down``, so those
functions may use the file's top-level variables (unlike hook handlers). A context is made only
when a migration actually runs: files already applied are never parsed.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
import quickjs

from pybase.core.collection_bind import apply_changes, new_collection
from pybase.core.collection_save import import_collections
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError
from pybase.core.fields import UnknownFieldType
from pybase.jsvm import errors
from pybase.jsvm.binds.collection import default_field_id, new_collection_json, new_field_json
from pybase.jsvm.errors import HookTimeout
from pybase.jsvm.pool import Executor, Handler
from pybase.jsvm.runtime import JsRuntime

if TYPE_CHECKING:
    from pybase.core.app import App

DEFAULT_TIMEOUT = 3600.0  # seconds one up/down may run (data migrations can be long)
_LINE_RE = re.compile(r"<input>:(\d+)")
_handler_ids = itertools.count(1)


class JsMigrationError(Exception):
    """A JS migration file failed to load or threw; the message names the file and line."""


# The JS side of a migration context, evaluated after the hooks prelude.
GLUE = r"""
(function (g) {
  "use strict";
  const py = g.__pymig;
  delete g.__pymig;

  function call(op, ...args) {
    const out = JSON.parse(py(op, JSON.stringify(args)));
    if (out.e !== undefined) throw new g.PyError(out.e.m, out.e.s, out.e.t, out.e.r);
    return out.v;
  }

  const plain = (v) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  // ---- fields -------------------------------------------------------------------------------

  class Field {
    constructor(data) { Object.assign(this, call("field.new", plain(data || {}))); }
  }
  const TYPED = {
    TextField: "text", NumberField: "number", BoolField: "bool", EmailField: "email", URLField: "url",
    EditorField: "editor", DateField: "date", AutodateField: "autodate", SelectField: "select",
    JSONField: "json", FileField: "file", RelationField: "relation", PasswordField: "password",
    GeoPointField: "geoPoint",
  };
  for (const name of Object.keys(TYPED)) {
    const type = TYPED[name];
    g[name] = class extends Field {
      constructor(data) { super(Object.assign({}, plain(data || {}), { type: type })); }
    };
  }
  const toField = (f) => (f instanceof Field ? f : new Field(f));

  // PocketBase's FieldsList.add: an explicit id replaces the field with that id, no id replaces
  // the field with that name (keeping its id); a negative position replaces in place or appends.
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

  const LIST_METHODS = {
    getById(id) { return this.find((f) => f.id === id) || null; },
    getByName(name) { return this.find((f) => f.name === name) || null; },
    removeById(id) { const i = this.findIndex((f) => f.id === id); if (i >= 0) this.splice(i, 1); },
    removeByName(name) { const i = this.findIndex((f) => f.name === name); if (i >= 0) this.splice(i, 1); },
    fieldNames() { return this.map((f) => f.name); },
    asMap() { const out = {}; for (const f of this) out[f.name] = f; return out; },
    add(...fields) { for (const f of fields) addField(this, -1, toField(f)); },
    addAt(pos, ...fields) {
      const total = this.length;
      fields.forEach((f, i) => addField(this, pos < 0 ? -1 : (pos > total ? total + i : pos + i), toField(f)));
    },
    addMarshaledJSON(raw) { this.add(...[].concat(JSON.parse(raw))); },
    addMarshaledJSONAt(pos, raw) { this.addAt(pos, ...[].concat(JSON.parse(raw))); },
  };

  function fieldsList(items) {
    const list = (Array.isArray(items) ? items : []).map(toField);
    for (const key of Object.keys(LIST_METHODS)) Object.defineProperty(list, key, { value: LIST_METHODS[key] });
    return list;
  }

  // ---- collections --------------------------------------------------------------------------

  function prepare(c) {
    let fields = fieldsList([]);
    Object.defineProperty(c, "fields", {
      enumerable: true,
      configurable: true,
      get() { return fields; },
      set(value) { fields = fieldsList(value); },
    });
    return c;
  }

  function load(c, data) {
    for (const key of Object.keys(data)) c[key] = data[key];
    return c;
  }

  class Collection {
    constructor(data) { load(prepare(this), call("collection.new", plain(data || {}))); }
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
  const collectionFrom = (data) => load(prepare(Object.create(Collection.prototype)), data);

  // ---- unmarshal ----------------------------------------------------------------------------

  const BaseRecord = g.Record;

  function merge(dst, src) {
    for (const key of Object.keys(src)) {
      if (isMap(src[key]) && isMap(dst[key])) merge(dst[key], src[key]);
      else dst[key] = src[key];
    }
  }

  g.unmarshal = function (data, dst) {
    if (dst === null || typeof dst !== "object") throw new TypeError("unmarshal: the target must be an object");
    const src = plain(data);
    if (!isMap(src)) throw new TypeError("unmarshal: the data must be an object");
    if (dst instanceof BaseRecord) dst.load(src);
    else merge(dst, src);
    return null;
  };

  // ---- app (PocketBase's txApp) -------------------------------------------------------------

  const base = g.$app;
  const unwrap = (v) => (v instanceof Collection ? v.id : v);
  const app = {};
  for (const key of Object.keys(base)) {
    const value = base[key];
    app[key] = typeof value === "function" ? (...args) => value.apply(base, args.map(unwrap)) : value;
  }
  const findCollection = (id) => collectionFrom(call("collection.find", unwrap(id)));
  // A rule set to undefined is nil in PocketBase's struct (superusers only): null, not left out.
  const RULE_KEYS = ["listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule"];
  function withNullRules(model) {
    const data = plain(model);
    for (const key of RULE_KEYS) {
      if (Object.prototype.hasOwnProperty.call(model, key) && model[key] === undefined) data[key] = null;
    }
    return data;
  }
  function saveModel(model, validate) {
    if (model instanceof Collection) {
      load(model, call("collection.save", withNullRules(model)));
      return null;
    }
    return validate ? base.save(model) : base.saveNoValidate(model);
  }
  Object.assign(app, {
    findCollectionByNameOrId: findCollection,
    findCachedCollectionByNameOrId: findCollection,
    findAllCollections: (...types) => call("collection.all", types).map(collectionFrom),
    save: (model) => saveModel(model, true),
    // NOTE: pybase validates collections on every save; saveNoValidate skips record validation only.
    saveNoValidate: (model) => saveModel(model, false),
    delete(model) {
      if (model instanceof Collection) {
        call("collection.delete", model.id);
        return null;
      }
      return base.delete(model);
    },
    importCollections(list, deleteMissing) {
      call("collections.import", plain(list || []), !!deleteMissing);
      return null;
    },
    runInTransaction: (fn) => fn(app),
  });

  function Record(collection, data) { return new BaseRecord(unwrap(collection), data); }
  Record.prototype = BaseRecord.prototype;

  g.Record = Record;
  g.Collection = Collection;
  g.Field = Field;
  g.$app = app;

  // ---- registration and running -------------------------------------------------------------

  let registered = null;
  g.migrate = function (up, down) {
    if (registered !== null) throw new Error("migrate() can be called only once per file");
    registered = { up: typeof up === "function" ? up : null, down: typeof down === "function" ? down : null };
  };

  g.__migrationRun = function (which) {
    const fn = registered && registered[which];
    if (!fn) return;
    try {
      fn(app);
    } catch (err) {
      if (!(err instanceof g.PyError) && !(err instanceof g.ApiError)) {
        g.__migrationError = JSON.stringify({
          name: (err && err.name) || "Error",
          message: String(err && err.message !== undefined ? err.message : err),
          stack: (err && err.stack) || "",
        });
      }
      throw err;
    }
  };
})(globalThis);
"""


class _MigrationEvent:
    """What the runner hands the JS wrapper as ``e`` (unused: migrations get ``app``)."""

    def __init__(self, app: App) -> None:
        self.app = app


class JsMigrations:
    """Runs JS migration files for one app; :meth:`close` when done."""

    def __init__(
        self,
        app: App,
        hooks_dir: str,
        runtime_dir: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        memory_limit: int = 256 << 20,
    ) -> None:
        self.app = app
        # NOTE: a runtime with no pool: only its settings, guard and prelude sources are used.
        self.runtime = JsRuntime(app, hooks_dir, runtime_dir, pool_size=0, timeout=timeout, memory_limit=memory_limit)

    def run(self, path: str, which: str) -> None:
        """Load ``path`` in a fresh context and run its ``up`` or ``down`` (a no-op when missing)."""
        file = os.path.basename(path)
        executor = self._load(path, file)
        handler = Handler(next(_handler_ids), f'function (e) {{ __migrationRun("{which}"); }}', f"{file} {which}")
        try:
            executor.run(handler, _MigrationEvent(self.app))
        except HookTimeout as ex:
            raise JsMigrationError(f"{file}: interrupted after {self.runtime.timeout:.0f} s") from ex
        except Exception as ex:
            detail = _js_error(executor)
            if detail is not None:
                raise JsMigrationError(f"{file}{detail}") from ex
            raise

    def close(self) -> None:
        """Stop the runtime's guard thread."""
        self.runtime.close()

    def _load(self, path: str, file: str) -> Executor:
        try:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        except (OSError, UnicodeDecodeError) as ex:
            raise JsMigrationError(f"{file}: {ex}") from ex
        executor = Executor(self.runtime)
        executor.ctx.add_callable("__pymig", lambda op, args: _dispatch(executor, op, args))
        executor.ctx.eval(GLUE)
        try:
            # NOTE: wrapped in a function so the file gets its own scope; the wrapper opens on
            # the file's first line, so line numbers stay right.
            executor.eval_guarded("(function () {" + source + "\n})()", file)
        except HookTimeout as ex:
            raise JsMigrationError(f"{file}: interrupted after {self.runtime.timeout:.0f} s") from ex
        except quickjs.JSException as ex:
            text = str(ex)
            match = _LINE_RE.search(text)
            where = f":{match.group(1)}" if match else ""
            raise JsMigrationError(f"{file}{where}: {text.splitlines()[0] if text else 'error'}") from ex
        return executor


def _js_error(executor: Executor) -> str | None:
    """``:line: Name: message`` of the JS error the last run threw, if it was a plain JS error."""
    try:
        raw = executor.ctx.eval("globalThis.__migrationError || ''")
    except quickjs.JSException:
        return None
    if not raw:
        return None
    err = orjson.loads(raw)
    match = _LINE_RE.search(str(err.get("stack") or ""))
    where = f":{match.group(1)}" if match else ""
    return f"{where}: {err.get('name')}: {err.get('message')}"


# ---- the bridge of migration contexts ----------------------------------------------------------


def _dispatch(executor: Executor, op: str, args_json: str) -> str:
    """Run one migration bridge operation; always answers JSON text, never raises (quickjs.md)."""
    scope = executor.scope
    try:
        func = OPS.get(op)
        if func is None:
            raise BadRequestError(f"unknown bridge operation {op!r}")
        value = func(executor.runtime.app, *orjson.loads(args_json))
        return orjson.dumps({"v": value}, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception as ex:  # noqa: BLE001 - every error must reach JS as a value
        described = errors.describe(ex)
        described["r"] = scope.keep(ex)
        return orjson.dumps({"e": described}).decode()


def _new_collection(data: Any) -> Collection:
    if not isinstance(data, dict):
        raise BadRequestError("a collection must be an object")
    try:
        # NOTE: as PocketBase's new Collection(data): a given field list replaces the system
        # fields, which the save puts back (id first, the others after the given ones).
        return new_collection(data, system_fields_first=not isinstance(data.get("fields"), list))
    except UnknownFieldType as ex:
        raise BadRequestError(f"missing or unknown field type {ex}") from ex


def collection_new(app: App, data: Any) -> dict[str, Any]:
    """``new Collection(data)``: the JSON of a new collection with PocketBase's defaults.

    As PocketBase's, a given field list replaces the system fields until the collection is saved.
    """
    return new_collection_json(data)


def collection_find(app: App, id_or_name: Any) -> dict[str, Any]:
    """``app.findCollectionByNameOrId``."""
    return app.find_collection(str(id_or_name)).to_json()


def collection_all(app: App, types: Any) -> list[dict[str, Any]]:
    """``app.findAllCollections(...types)``."""
    wanted = {str(t) for t in types or ()}
    return [c.to_json() for c in app.registry.all() if not wanted or c.type in wanted]


def collection_save(app: App, data: Any) -> dict[str, Any]:
    """``app.save(collection)``: create it, or update the collection with its id, from its JSON."""
    if not isinstance(data, dict):
        raise BadRequestError("a collection must be an object")
    existing = app.registry.find(str(data.get("id") or ""))
    if existing is None:
        return app.save_collection(_new_collection(data)).to_json()
    col = existing.clone()
    try:
        renames = apply_changes(col, {k: v for k, v in data.items() if k not in ("id", "type", "created", "updated")})
    except UnknownFieldType as ex:
        raise BadRequestError(f"missing or unknown field type {ex}") from ex
    if isinstance(data.get("type"), str):
        col.type = data["type"]  # NOTE: a changed type is reported by validation, as in PocketBase
    return app.save_collection(col, existing, renames).to_json()


def collection_delete(app: App, id_or_name: Any) -> None:
    """``app.delete(collection)``."""
    app.delete_collection(app.find_collection(str(id_or_name)))


def collections_import(app: App, items: Any, delete_missing: Any) -> None:
    """``app.importCollections(list, deleteMissing)``."""
    if not isinstance(items, list):
        raise BadRequestError("importCollections expects a list of collections")
    import_collections(app, items, bool(delete_missing))


def field_new(app: App, data: Any) -> dict[str, Any]:
    """``new Field(data)``."""
    return new_field_json(data)


def field_default_id(app: App, ftype: Any, name: Any) -> str:
    """PocketBase's default field id: type + crc32 of the name."""
    return default_field_id(ftype, name)


OPS: dict[str, Callable[..., Any]] = {
    "collection.new": collection_new,
    "collection.find": collection_find,
    "collection.all": collection_all,
    "collection.save": collection_save,
    "collection.delete": collection_delete,
    "collections.import": collections_import,
    "field.new": field_new,
    "field.defaultId": field_default_id,
}
