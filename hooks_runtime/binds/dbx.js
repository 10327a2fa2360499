// $dbx and the database side of $app: $dbx expressions, $app.db()/auxDB() (dbx's builder:
// newQuery, select... one/all, insert/update/delete...), $app.recordQuery/collectionQuery.
// Evaluated after prelude.js, whose bridge it borrows. Python side: pybase/jsvm/binds/dbx.py
// (rendering and running queries) and binds/app.py (records and collections from queries).
(function (g) {
  "use strict";

  const { call, plain, Record, Collection, fieldList, fillModel, adopt } = g.__bridge; // hidden by __setup, once every runtime file has run

  // ---- $dbx (expressions for countRecords / findAllRecords) ---------------------------------

  const exp = (kind, extra) => Object.assign({ $dbx: kind }, extra);
  g.$dbx = {
    exp: (sql, params) => exp("exp", { sql: String(sql), params: params || {} }),
    hashExp: (values) => exp("hash", { values: values || {} }),
    not: (item) => exp("not", { item: item }),
    and: (...items) => exp("and", { items: items }),
    or: (...items) => exp("or", { items: items }),
    in: (col, ...values) => exp("in", { col: String(col), values: values }),
    notIn: (col, ...values) => exp("notIn", { col: String(col), values: values }),
    like: (col, ...values) => exp("like", { col: String(col), values: values }),
    orLike: (col, ...values) => exp("orLike", { col: String(col), values: values }),
    notLike: (col, ...values) => exp("notLike", { col: String(col), values: values }),
    orNotLike: (col, ...values) => exp("orNotLike", { col: String(col), values: values }),
    exists: (item) => exp("exists", { item: item }),
    notExists: (item) => exp("notExists", { item: item }),
    between: (col, from, to) => exp("between", { col: String(col), from: from, to: to }),
    notBetween: (col, from, to) => exp("notBetween", { col: String(col), from: from, to: to }),
  };

  // dbx-style queries. A query is a plain description ({kind: "sql" | "select" | "insert"...})
  // rendered and run by pybase/jsvm/binds/dbx.py; {:name} placeholders are bound by name.
  // Results fill DynamicModels (or plain objects); record and collection queries fill models.
  class Query {
    constructor(spec, opts) {
      Object.defineProperty(this, "__spec", { value: typeof spec === "string" ? { kind: "sql", sql: spec, params: {} } : spec });
      Object.defineProperty(this, "__opts", { value: opts || {} });
    }
    bind(params) { this.__spec.params = Object.assign({}, params || {}); return this; }
    sql() { return call("db.query", this.__spec, null, "sql", this.__opts).sql; }
    params() { return Object.assign({}, this.__spec.params || {}); }
    execute() {
      const r = call("db.query", this.__spec, null, "execute", this.__opts);
      return { rowsAffected: () => r.rowsAffected, lastInsertId: () => r.lastInsertId };
    }
    one(target) { return fetchOne(this.__spec, this.__opts, target); }
    all(target) { return fetchAll(this.__spec, this.__opts, target); }
    row() { return call("db.query", this.__spec, null, "row", this.__opts); }
    column() { return call("db.query", this.__spec, null, "column", this.__opts); }
  }

  function fetchOne(spec, opts, target) {
    if (opts.model) {
      const found = call("db.models", spec, "one", opts);
      return assignModel(target, found);
    }
    const row = call("db.query", spec, null, "one", opts);
    return fillModel(target === undefined ? {} : target, row);
  }

  function fetchAll(spec, opts, target) {
    const list = Array.isArray(target) ? target : [];
    if (opts.model) {
      const found = call("db.models", spec, "all", opts);
      list.length = 0;
      for (const item of found) list.push(item);
      return list;
    }
    const rows = call("db.query", spec, null, "all", opts);
    const model = list.__model;
    list.length = 0;
    for (const row of rows) list.push(fillModel(model ? cloneModel(model) : {}, row));
    return list;
  }

  // recordQuery(...).one(record) / collectionQuery().one(collection): the found model's state
  // goes into the target (PocketBase scans into it); without a target the found one is returned.
  function assignModel(target, found) {
    if (target === undefined || target === null) return found;
    if (target instanceof Record && found instanceof Record) {
      if (target.__h === undefined) {
        adopt(target, found);
      } else {
        call("record.assign", target, found);
      }
      return target;
    }
    if (found instanceof Collection) {
      for (const key of Object.keys(target)) delete target[key];
      Object.assign(target, plain(found));
      fieldList(target.fields);
      if (target.__h === undefined && found.__h !== undefined) Object.defineProperty(target, "__h", { value: found.__h });
      return target;
    }
    return fillModel(target, found);
  }

  const SELECT_FIELDS = ["select", "from", "joins", "orderBy", "groupBy", "unions"];

  class SelectQuery {
    constructor(opts, cols) {
      const spec = { kind: "select", select: cols || [], distinct: false, from: [], joins: [], where: null,
                     orderBy: [], groupBy: [], having: null, limit: null, offset: null, unions: [], params: {} };
      Object.defineProperty(this, "__spec", { value: spec });
      Object.defineProperty(this, "__opts", { value: opts || {} });
    }
    select(...cols) { this.__spec.select = cols.map(String); return this; }
    andSelect(...cols) { this.__spec.select.push(...cols.map(String)); return this; }
    distinct(v) { this.__spec.distinct = v === undefined ? true : !!v; return this; }
    from(...tables) { this.__spec.from = tables.map(String); return this; }
    where(e) { this.__spec.where = e || null; return this; }
    andWhere(e) { this.__spec.where = combine(this.__spec.where, "and", e); return this; }
    orWhere(e) { this.__spec.where = combine(this.__spec.where, "or", e); return this; }
    join(type, table, on) { this.__spec.joins.push({ type: String(type), table: String(table), on: on || null }); return this; }
    innerJoin(table, on) { return this.join("INNER JOIN", table, on); }
    leftJoin(table, on) { return this.join("LEFT JOIN", table, on); }
    rightJoin(table, on) { return this.join("RIGHT JOIN", table, on); }
    orderBy(...cols) { this.__spec.orderBy = cols.map(String); return this; }
    andOrderBy(...cols) { this.__spec.orderBy.push(...cols.map(String)); return this; }
    groupBy(...cols) { this.__spec.groupBy = cols.map(String); return this; }
    andGroupBy(...cols) { this.__spec.groupBy.push(...cols.map(String)); return this; }
    having(e) { this.__spec.having = e || null; return this; }
    andHaving(e) { this.__spec.having = combine(this.__spec.having, "and", e); return this; }
    orHaving(e) { this.__spec.having = combine(this.__spec.having, "or", e); return this; }
    limit(n) { this.__spec.limit = Number(n); return this; }
    offset(n) { this.__spec.offset = Number(n); return this; }
    bind(params) { this.__spec.params = Object.assign({}, params || {}); return this; }
    andBind(params) { Object.assign(this.__spec.params, params || {}); return this; }
    union(q) { this.__spec.unions.push({ all: false, query: q.__spec }); return this; }
    unionAll(q) { this.__spec.unions.push({ all: true, query: q.__spec }); return this; }
    build() { return new Query(JSON.parse(JSON.stringify(this.__spec)), this.__opts); }
    one(target) { return fetchOne(this.__spec, this.__opts, target); }
    all(target) { return fetchAll(this.__spec, this.__opts, target); }
    row() { return call("db.query", this.__spec, null, "row", this.__opts); }
    column() { return call("db.query", this.__spec, null, "column", this.__opts); }
  }

  function combine(current, op, e) {
    if (!e) return current;
    if (!current) return e;
    return { $dbx: op, items: [current, e] };
  }

  // NOTE: as PocketBase's arrayOf(model), each row fills a new model of the same shape whose
  // values are the zero of their type ("", 0, false): a field the query has no column for
  // reads so, not as the template's value
  function cloneModel(model) {
    const out = Object.assign(Object.create(Object.getPrototypeOf(model)), plain(model));
    for (const key of Object.keys(out)) {
      const v = out[key];
      if (typeof v === "string") out[key] = "";
      else if (typeof v === "number") out[key] = 0;
      else if (typeof v === "boolean") out[key] = false;
    }
    return out;
  }

  const statement = (opts, kind) => (...args) => new Query({ kind: kind, args: args, params: {} }, opts);
  const quoteSimple = (name) => (String(name) === "*" || /^".*"$/.test(String(name)) ? String(name) : '"' + String(name).replace(/"/g, '""') + '"');
  const quoteTable = (name) => (/[({]/.test(String(name)) ? String(name) : String(name).split(".").map(quoteSimple).join("."));
  function quoteColumn(name) {
    const s = String(name);
    if (/\(|\{\{|\[\[/.test(s)) return s;
    const at = s.lastIndexOf(".");
    return at < 0 ? quoteSimple(s) : quoteTable(s.slice(0, at)) + "." + quoteSimple(s.slice(at + 1));
  }
  // $app.db() / $app.auxDB(): dbx's builder.
  function newBuilder(opts) {
    return {
      newQuery: (sql) => new Query(String(sql), opts),
      select: (...cols) => new SelectQuery(opts, cols.map(String)),
      insert: statement(opts, "insert"),
      upsert: statement(opts, "upsert"),
      update: statement(opts, "update"),
      delete: statement(opts, "delete"),
      createTable: statement(opts, "createTable"),
      dropTable: statement(opts, "dropTable"),
      truncateTable: statement(opts, "truncateTable"),
      renameTable: statement(opts, "renameTable"),
      dropColumn: statement(opts, "dropColumn"),
      createIndex: statement(opts, "createIndex"),
      createUniqueIndex: statement(opts, "createUniqueIndex"),
      dropIndex: statement(opts, "dropIndex"),
      quote: (s) => "'" + String(s).replace(/'/g, "''") + "'",
      quoteSimpleTableName: quoteSimple,
      quoteSimpleColumnName: quoteSimple,
      quoteTableName: quoteTable,
      quoteColumnName: quoteColumn,
    };
  }
  const database = newBuilder({});
  const auxDatabase = newBuilder({ aux: true });

  // ---- $app's database methods ----------------------------------------------------------

  Object.assign(g.$app, {
    db: () => database,
    concurrentDB: () => database,
    nonconcurrentDB: () => database,
    auxDB: () => auxDatabase,
    deleteTable: (name) => { database.dropTable(name).execute(); },
    // dbx select queries whose rows become records (or collections): .one(record) / .all(arrayOf(record)).
    recordQuery(collection) {
      const name = call("app.collectionName", collection);
      return new SelectQuery({ model: "record", collection: name }, ["{{" + name + "}}.*"]).from(name);
    },
    collectionQuery: () => new SelectQuery({ model: "collection" }, ["{{_collections}}.*"]).from("_collections"),
  });
})(globalThis);
