"""The JS surface of ``pb_hooks``, declared once: every global and its members, with TS types.

This table is the one place a JS name is declared. From it:

- ``typings.py`` writes ``types.d.ts``;
- ``binds/__init__.py`` registers the bridge operations of the modules named in ``impl``
  (``pybase/jsvm/binds/<impl>.py``; the JS half lives in ``hooks_runtime/<js>``);
- ``tests/jsvm/test_surface.py`` checks a real context installs exactly these globals and
  members (plus one ``onXxx`` per JS hook of ``core/app_hooks.py``), and
  ``tests/jsvm/test_parity.py`` checks them against PocketBase's own jsvm typings.

To add a global: declare it here (with its ``impl`` module and ``js`` file), write
``binds/<impl>.py`` with an ``OPS`` dict and the JS in ``hooks_runtime/<js>``, then run
``scripts/gen_jstypes.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class JsType:
    """A type hooks get values of but never name (no global): ``$app.logger()``, ``$app.db()``..."""

    name: str
    members: tuple[tuple[str, str], ...]
    doc: str = ""


@dataclass(frozen=True)
class JsGlobal:
    """One global: an object (with members), a function, a class (with members) or a value."""

    name: str
    kind: str  # "object" | "function" | "class" | "value"
    ts: str  # object: its interface name; function: "(args): ret"; class: constructor args; value: type
    members: tuple[tuple[str, str], ...] = ()  # (name, TS member declaration)
    doc: str = ""
    impl: tuple[str, ...] = ()  # modules of pybase/jsvm/binds/ with its bridge operations
    js: str = "prelude.js"  # the hooks_runtime/ file that installs it


def _m(*decls: str) -> tuple[tuple[str, str], ...]:
    """Members from TS declarations; the name is what precedes the first ``(``, ``:``, ``?`` or ``<``."""
    return tuple((re.split(r"[(:?<]", d[4:] if d.startswith("get ") else d, maxsplit=1)[0].strip(), d) for d in decls)


_ERR = "(message?: string, data?: any)"

GLOBALS: tuple[JsGlobal, ...] = (
    # ---- errors.js
    JsGlobal("ApiError", "class", "(status?: number, message?: string, data?: any)", (), "An error answered with its status, message and data.", js="errors.js"),
    JsGlobal("BadRequestError", "class", _ERR, (), "400 error.", js="errors.js"),
    JsGlobal("UnauthorizedError", "class", _ERR, (), "401 error.", js="errors.js"),
    JsGlobal("ForbiddenError", "class", _ERR, (), "403 error.", js="errors.js"),
    JsGlobal("NotFoundError", "class", _ERR, (), "404 error.", js="errors.js"),
    JsGlobal("TooManyRequestsError", "class", _ERR, (), "429 error.", js="errors.js"),
    JsGlobal("InternalServerError", "class", _ERR, (), "500 error.", js="errors.js"),
    JsGlobal("ValidationError", "class", "(code?: string, message?: string)", _m("toJSON(): any"), "A field error inside an ApiError's data.", js="errors.js"),
    JsGlobal("PyError", "class", "(message: string, status?: number, type?: string, ref?: number)", (), "An error raised by pybase while JS called into it.", js="errors.js"),
    # ---- prelude.js
    JsGlobal("console", "object", "Console", _m(
        "log(...args: any[]): void", "info(...args: any[]): void", "warn(...args: any[]): void",
        "error(...args: any[]): void", "debug(...args: any[]): void",
    ), "Logs to the server log (logger pybase.jsvm.console).", impl=("console",), js="binds/console.js"),
    JsGlobal("$app", "object", "PocketBaseApp", _m(
        "findRecordById(collection: string | Collection, id: string): Record",
        "findRecordsByIds(collection: string | Collection, ids: string[]): Record[]",
        "findFirstRecordByData(collection: string | Collection, key: string, value: any): Record",
        "findFirstRecordByFilter(collection: string | Collection, filter: string, params?: {[key: string]: any}): Record",
        "findRecordsByFilter(collection: string | Collection, filter: string, sort?: string, limit?: number, offset?: number, params?: {[key: string]: any}): Record[]",
        "countRecords(collection: string | Collection, ...exprs: Array<DbxExpression | string>): number",
        "findCollectionByNameOrId(nameOrId: string): Collection",
        "findCachedCollectionByNameOrId(nameOrId: string): Collection",
        "findAuthRecordByEmail(collection: string | Collection, email: string): Record",
        "findAllRecords(collection: string | Collection, ...exprs: Array<DbxExpression | string>): Record[]",
        "save(model: Record | Collection | Settings): void",
        "saveNoValidate(model: Record | Collection): void",
        "delete(model: Record | Collection): void",
        "isDev(): boolean",
        "dataDir(): string",
        "settings(): Settings",
        "logger(): Logger",
        "db(): DbBuilder",
        "concurrentDB(): DbBuilder", "nonconcurrentDB(): DbBuilder",
        "auxDB(): DbBuilder",
        "hasTable(name: string): boolean", "auxHasTable(name: string): boolean",
        "tableColumns(table: string): string[]",
        "tableInfo(table: string): Array<{pk: number, index: number, name: string, type: string, notNull: boolean, defaultValue: any}>",
        "tableIndexes(table: string): {[name: string]: string}",
        "deleteTable(table: string): void",
        "vacuum(): void", "auxVacuum(): void",
        "recordQuery(collection: string | Collection): SelectQuery",
        "collectionQuery(): SelectQuery",
        "findAllCollections(...types: string[]): Collection[]",
        "isCollectionNameUnique(name: string, ...excludeIds: string[]): boolean",
        "importCollections(collections: Array<{[key: string]: any}>, deleteMissing?: boolean): void",
        "reloadCachedCollections(): void",
        "reloadSettings(): void",
        "truncateCollection(collection: string | Collection): void",
        "findAuthRecordByToken(token: string, ...validTypes: string[]): Record",
        "expandRecord(record: Record, expands: string[]): {[path: string]: string}",
        "expandRecords(records: Record[], expands: string[]): {[path: string]: string}",
        "canAccessRecord(record: Record, requestInfo: RequestInfo, accessRule: string | null): boolean",
        "isBootstrapped(): boolean",
        "isTransactional(): boolean",
        "encryptionEnv(): string",
        "validate(model: Record): void",
        "saveWithContext(ctx: any, model: Record | Collection | Settings): void",
        "saveNoValidateWithContext(ctx: any, model: Record | Collection): void",
        "deleteWithContext(ctx: any, model: Record | Collection): void",
        "validateWithContext(ctx: any, model: Record): void",
        "unsafeWithoutHooks(): PocketBaseApp",
        "runInTransaction<T>(fn: (txApp: PocketBaseApp) => T): T",
        "subscriptionsBroker(): SubscriptionsBroker",
        "newMailClient(): MailClient",
    ), "The app (PocketBase's core.App subset).", impl=("app", "collection", "dbx"), js="binds/app.js"),
    JsGlobal("Record", "class", "(collection: string | Collection, data?: {[key: string]: any})", _m(
        "get id(): string", "get(name: string): any", "set(name: string, value: any): void",
        "load(data: {[key: string]: any}): void", "getString(name: string): string",
        "getInt(name: string): number", "getFloat(name: string): number", "getBool(name: string): boolean",
        "getStringSlice(name: string): string[]", "collection(): Collection", "tableName(): string",
        "isNew(): boolean", "original(): Record", "fresh(): Record", "clone(): Record", "email(): string",
        "setEmail(email: string): void", "emailVisibility(): boolean", "setEmailVisibility(visible: boolean): void",
        "verified(): boolean", "setVerified(verified: boolean): void", "tokenKey(): string",
        "setPassword(password: string): void", "validatePassword(password: string): boolean",
        "isSuperuser(): boolean", "publicExport(): {[key: string]: any}", "toJSON(): {[key: string]: any}",
        "getDateTime(name: string): DateTime", "getRaw(name: string): any", "setRaw(name: string, value: any): void",
        "setIfFieldExists(name: string, value: any): void", "fieldsData(): {[key: string]: any}",
        "customData(): {[key: string]: any}", "hide(...names: string[]): Record", "unhide(...names: string[]): Record",
        "withCustomData(state: boolean): Record", "ignoreEmailVisibility(state: boolean): Record",
        "markAsNew(): void", "markAsNotNew(): void", "pk(): string", "lastSavedPK(): string",
        "expand(): {[key: string]: Record | Record[]}", "setExpand(expand: {[key: string]: Record | Record[]}): void",
        "mergeExpand(expand: {[key: string]: Record | Record[]}): void",
        "expandedOne(relation: string): Record | null", "expandedAll(relation: string): Record[]",
        "unmarshalJSONField(name: string, result: any): void", "setTokenKey(key: string): void",
        "refreshTokenKey(): void", "setRandomPassword(): string", "newAuthToken(): string",
        "newStaticAuthToken(duration: number): string", "newVerificationToken(): string",
        "newPasswordResetToken(): string", "newEmailChangeToken(newEmail: string): string",
        "replaceModifiers(data: {[key: string]: any}): {[key: string]: any}",
    ), "A record of a collection. Date fields read as DateTime values.", impl=("record",)),
    JsGlobal("DateTime", "class", "(date?: string | number | DateTime)", _m(
        "string(): string", "toString(): string", "toJSON(): string", "isZero(): boolean", "unix(): number",
        "add(duration: number): DateTime", "sub(u: DateTime): number",
        "addDate(years: number, months: number, days: number): DateTime",
        "after(u: DateTime): boolean", "before(u: DateTime): boolean", "equal(u: DateTime): boolean",
        "compare(u: DateTime): number",
    ), "PocketBase's DateTime: UTC, '2006-01-02 15:04:05.000Z' as text (also what Date now parses); durations in nanoseconds as Go's.", js="dates.js"),
    JsGlobal("RequestInfo", "class", "(data?: {[key: string]: any})", _m(
        "hasSuperuserAuth(): boolean", "clone(): RequestInfo",
    ), "The request data rules see (@request.*): method, query, headers, body, auth, context."),
    JsGlobal("Collection", "class", "(data?: {[key: string]: any})", _m(
        "isAuth(): boolean", "isBase(): boolean", "isView(): boolean", "tableName(): string",
        "addIndex(name: string, unique: boolean, columnsExpr: string, optWhereExpr?: string): void",
        "removeIndex(name: string): void", "getIndex(name: string): string",
    ), "A collection: a plain copy of its JSON (id, name, type, fields, indexes, rules...).", impl=("collection",)),
    JsGlobal("Field", "class", "(data?: {[key: string]: any})", (), "A collection field (its full JSON, with PocketBase's defaults).", impl=("collection",)),
    JsGlobal("TextField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("NumberField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("BoolField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("EmailField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("URLField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("EditorField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("DateField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("AutodateField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("SelectField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("JSONField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("FileField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("RelationField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("PasswordField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("GeoPointField", "class", "(data?: {[key: string]: any})", (), "", impl=("collection",)),
    JsGlobal("FieldsList", "function", "(fields?: Array<{[key: string]: any}>): FieldsList", (), "A fields array with PocketBase's FieldsList methods."),
    JsGlobal("nullString", "function", "(): string", (), "PocketBase's null* helpers for DynamicModel shapes: zero values in JS."),
    JsGlobal("nullInt", "function", "(): number"),
    JsGlobal("nullFloat", "function", "(): number"),
    JsGlobal("nullBool", "function", "(): boolean"),
    JsGlobal("nullArray", "function", "(): any[]"),
    JsGlobal("nullObject", "function", "(): {get(key: string): any, set(key: string, value: any): void}"),
    JsGlobal("DynamicModel", "class", "(shape?: {[key: string]: any})", (), "A row shape for $app.db() queries."),
    JsGlobal("Middleware", "class", "(fn: (e: RequestEvent) => void, priority?: number, id?: string)", (), "A route middleware with a priority and id."),
    JsGlobal("arrayOf", "function", "<T>(model: T): T[]"),
    JsGlobal("toString", "function", "(value: any, maxBytes?: number): string", impl=("helpers",)),
    JsGlobal("readerToString", "function", "(value: any, maxBytes?: number): string", impl=("helpers",)),
    JsGlobal("sleep", "function", "(milliseconds: number): void", impl=("helpers",)),
    JsGlobal("require", "function", "(path: string): any", (), "CommonJS require (relative to the requiring module, or pb_hooks).", impl=("require",)),
    JsGlobal("routerAdd", "function", "(method: string, path: string, handler: (e: RequestEvent) => void, ...middlewares: Array<Middleware | ((e: RequestEvent) => void)>): void"),
    JsGlobal("routerUse", "function", "(...middlewares: Array<Middleware | ((e: RequestEvent) => void)>): void"),
    JsGlobal("cronAdd", "function", "(id: string, expression: string, handler: () => void): void", (), "Schedules a job (5-field cron expression or @hourly-style macro).", impl=("cron",)),
    JsGlobal("cronRemove", "function", "(id: string): void", impl=("cron",)),
    JsGlobal("$apis", "object", "Apis", _m(
        "requireAuth(...collections: string[]): Middleware", "requireSuperuserAuth(): Middleware",
        "requireGuestOnly(): Middleware", "requireSuperuserOrOwnerAuth(param?: string): Middleware",
        "static(dir: string, indexFallback?: boolean): (e: RequestEvent) => void",
        "bodyLimit(limitBytes: number): Middleware", "gzip(): Middleware", "skipSuccessActivityLog(): Middleware",
        "recordAuthResponse(e: RequestEvent, authRecord: Record, authMethod: string, meta?: any): void",
        "enrichRecord(e: RequestEvent, record: Record, ...defaultExpands: string[]): void",
        "enrichRecords(e: RequestEvent, records: Record[], ...defaultExpands: string[]): void",
    ), "Built-in middlewares, and static(dir, indexFallback): a routerAdd handler serving the files of dir (relative to pb_hooks' parent) by the {path...} path value.", impl=("apis",), js="binds/apis.js"),
    JsGlobal("__hooks", "value", "string", (), "The absolute path of the pb_hooks folder."),
    # ---- binds.js
    JsGlobal("$security", "object", "Security", _m(
        "randomString(length: number): string",
        "randomStringWithAlphabet(length: number, alphabet: string): string",
        "randomStringByRegex(pattern: string): string",
        "pseudorandomString(length: number): string",
        "pseudorandomStringWithAlphabet(length: number, alphabet: string): string",
        "md5(text: string): string", "sha256(text: string): string", "sha512(text: string): string",
        "hs256(text: string, secret: string): string", "hs512(text: string, secret: string): string",
        "equal(a: string, b: string): boolean",
        "createJWT(payload: {[key: string]: any}, signingKey: string, secDuration: number): string",
        "parseUnverifiedJWT(token: string): {[key: string]: any}",
        "parseJWT(token: string, verificationKey: string): {[key: string]: any}",
        "encrypt(data: string | number[], key: string): string",
        "decrypt(cipherText: string, key: string): string",
    ), impl=("security",), js="binds.js"),
    JsGlobal("$dbx", "object", "Dbx", _m(
        "exp(sql: string, params?: {[key: string]: any}): DbxExpression",
        "hashExp(values: {[key: string]: any}): DbxExpression",
        "not(expr: DbxExpression): DbxExpression",
        "and(...exprs: DbxExpression[]): DbxExpression", "or(...exprs: DbxExpression[]): DbxExpression",
        "in(column: string, ...values: any[]): DbxExpression", "notIn(column: string, ...values: any[]): DbxExpression",
        "like(column: string, ...values: string[]): DbxExpression", "orLike(column: string, ...values: string[]): DbxExpression",
        "notLike(column: string, ...values: string[]): DbxExpression", "orNotLike(column: string, ...values: string[]): DbxExpression",
        "exists(expr: DbxExpression): DbxExpression", "notExists(expr: DbxExpression): DbxExpression",
        "between(column: string, from: any, to: any): DbxExpression", "notBetween(column: string, from: any, to: any): DbxExpression",
    ), impl=("dbx",), js="binds/dbx.js"),
    JsGlobal("$http", "object", "Http", _m(
        "send(config: {url: string, method?: string, body?: string | number[] | FormData, headers?: {[key: string]: string}, timeout?: number, data?: any}): HttpResponse",
    ), impl=("http",), js="binds.js"),
    JsGlobal("$filesystem", "object", "Filesystem", _m(
        "fileFromBytes(data: string | number[], name: string): FilesystemFile", "fileFromPath(path: string): FilesystemFile",
        "fileFromURL(url: string, secTimeout?: number): FilesystemFile",
    ), "Files to attach to records: record.set('docs', file), record.set('docs+', file); stored on save.",
        impl=("filesystem",), js="binds/filesystem.js"),
    JsGlobal("$mails", "object", "Mails", _m(
        "sendRecordVerification(app: PocketBaseApp, record: Record): void",
        "sendRecordPasswordReset(app: PocketBaseApp, record: Record): void",
        "sendRecordChangeEmail(app: PocketBaseApp, record: Record, newEmail: string): void",
        "sendRecordOTP(app: PocketBaseApp, record: Record, otpId: string, password: string): void",
        "sendRecordAuthAlert(app: PocketBaseApp, record: Record, info: string): void",
    ), "The auth mails of a record, from its collection's templates (sent at once; errors throw).",
        impl=("mail",), js="binds/mail.js"),
    JsGlobal("MailerMessage", "class", "(data?: {from?: MailAddress, to?: MailAddress[], cc?: MailAddress[], bcc?: MailAddress[], subject?: string, html?: string, text?: string, headers?: {[key: string]: string}, attachments?: {[name: string]: string | number[]}})", _m(
        "from: MailAddress", "to: MailAddress[]", "cc: MailAddress[]", "bcc: MailAddress[]", "subject: string",
        "html: string", "text: string", "headers: {[key: string]: string}", "attachments: string[]",
        "toJSON(): {[key: string]: any}",
    ), "A mail: send it with $app.newMailClient().send(message); e.message of the mailer hooks is one.", js="binds/mail.js"),
    JsGlobal("$os", "object", "OS", _m(
        "args: string[]", "getenv(key: string): string", "exec(name: string, ...args: string[]): Cmd",
        "cmd(name: string, ...args: string[]): Cmd", "readFile(path: string): number[]",
        "writeFile(path: string, data: string | number[], perm?: number): void",
        "readDir(path: string): DirEntry[]", "stat(path: string): FileInfo",
        "mkdir(path: string, perm?: number): void", "mkdirAll(path: string, perm?: number): void",
        "remove(path: string): void", "removeAll(path: string): void", "rename(oldPath: string, newPath: string): void",
        "truncate(path: string, size: number): void", "tempDir(): string", "getwd(): string",
    ), impl=("os",), js="binds.js"),
    JsGlobal("$filepath", "object", "Filepath", _m(
        "base(path: string): string", "clean(path: string): string", "dir(path: string): string",
        "ext(path: string): string", "join(...elems: string[]): string", "abs(path: string): string",
        "rel(basepath: string, targpath: string): string", "isAbs(path: string): boolean",
        "split(path: string): [string, string]", "splitList(path: string): string[]",
        "toSlash(path: string): string", "fromSlash(path: string): string",
        "match(pattern: string, name: string): boolean", "glob(pattern: string): string[]",
    ), impl=("filepath",), js="binds.js"),
    JsGlobal("$template", "object", "TemplateRegistry", _m(
        "loadFiles(...filenames: string[]): Template", "loadString(...sources: string[]): Template",
    ), "Go html/template subset (see hooks_runtime/README.md).", impl=("template",), js="binds.js"),
    JsGlobal("FormData", "class", "()", _m(
        "append(key: string, value: string): void", "set(key: string, value: string): void",
        "delete(key: string): void", "get(key: string): string | null", "getAll(key: string): string[]",
        "has(key: string): boolean", "keys(): string[]", "values(): string[]", "entries(): Array<[string, string]>",
    ), js="binds.js"),
    JsGlobal("unmarshal", "function", "(data: any, target: any): void", js="binds.js"),
    JsGlobal("toBytes", "function", "(value: any): number[]", impl=("helpers",), js="binds.js"),
    # ---- realtime.js
    JsGlobal("SubscriptionMessage", "class", "(data?: {name?: string, data?: string | number[]})", (), "A realtime message: send it with client.send(message); data is text or bytes.", impl=("realtime",), js="realtime.js"),
)

# Globals the runtime uses internally (never for hooks).
INTERNAL = frozenset({"__setup", "__registrations", "__compile", "__invoke", "__reset", "__file"})

# Helper types referenced above, verbatim TypeScript.
HELPER_TYPES = """\
type DbxExpression = {$dbx: string, [key: string]: any};
interface HttpResponse {
  statusCode: number;
  headers: {[key: string]: string[]};
  cookies: {[key: string]: {name: string, value: string, path: string, domain: string, maxAge: number, secure: boolean, httpOnly: boolean, sameSite: string}};
  body: number[];
  json: any;
  raw: string;
}
interface Cmd {
  dir: string;
  env: string[];
  stdin: string | number[] | null;
  output(): number[];
  combinedOutput(): number[];
  run(): void;
}
interface FileInfo {
  name(): string;
  size(): number;
  mode(): number;
  modTime(): string;
  isDir(): boolean;
}
interface DirEntry {
  name(): string;
  isDir(): boolean;
  type(): number;
  info(): FileInfo;
}
interface Template {
  render(data?: any): string;
}
interface S3Config {
  enabled: boolean;
  bucket: string;
  region: string;
  endpoint: string;
  accessKey: string;
  secret: string;
  forcePathStyle: boolean;
}
/** PocketBase's settings: $app.settings() answers a plain copy of the live ones; $app.save(copy) stores a changed copy. */
interface Settings {
  meta: {appName: string, appURL: string, senderName: string, senderAddress: string, hideControls: boolean, accentColor: string};
  smtp: {enabled: boolean, host: string, port: number, username: string, password: string, authMethod: string, tls: boolean, localName: string};
  s3: S3Config;
  backups: {cron: string, cronMaxKeep: number, s3: S3Config};
  batch: {enabled: boolean, maxRequests: number, timeout: number, maxBodySize: number};
  rateLimits: {enabled: boolean, excludedIPs: string[], rules: Array<{label: string, audience: string, duration: number, maxRequests: number}>};
  trustedProxy: {headers: string[], useLeftmostIP: boolean};
  logs: {maxDays: number, minLevel: number, logIP: boolean, logAuthId: boolean, maxDataSize: number};
  superuserIPs: string[];
  /** "_params": settings saves fire the model hooks with this tag. */
  tableName(): string;
  pk(): string;
}
"""

# Types of values hooks get (no global of their own).
TYPES: tuple[JsType, ...] = (
    JsType("FilesystemFile", _m("name: string", "originalName: string", "size: number", "toJSON(): {name: string, originalName: string, size: number}"),
           "A file not stored yet (an upload, or from $filesystem); stored when its record is saved."),
    JsType("MailClient", _m("send(message: MailerMessage | {[key: string]: any}): void"),
           "The app's mail client for the current smtp settings (through the onMailerSend hook)."),
    JsType("MailAddress", _m("address: string", "name?: string"), "A mailbox: {address, name}."),
    JsType("Logger", _m(
        "debug(msg: string, ...args: any[]): void", "info(msg: string, ...args: any[]): void",
        "warn(msg: string, ...args: any[]): void", "error(msg: string, ...args: any[]): void",
        "with(...args: any[]): Logger", "withGroup(name: string): Logger",
        "log(level: number, msg: string, ...args: any[]): void",
    ), "$app.logger(): entries land in _logs with their key/value attributes."),
    JsType("Query", _m(
        "bind(params: {[key: string]: any}): Query", "one<T>(model?: T): T", "all<T>(models?: T[]): T[]",
        "execute(): {rowsAffected(): number, lastInsertId(): number}",
        "row(): any[]", "column(): any[]", "sql(): string", "params(): {[key: string]: any}",
    ), "A SQL query ($app.db().newQuery(sql), or built); {:name} placeholders are bound parameters; execute() runs every statement of the text."),
    JsType("SelectQuery", _m(
        "select(...columns: string[]): SelectQuery", "andSelect(...columns: string[]): SelectQuery",
        "distinct(distinct?: boolean): SelectQuery", "from(...tables: string[]): SelectQuery",
        "where(expr: DbxExpression): SelectQuery", "andWhere(expr: DbxExpression): SelectQuery",
        "orWhere(expr: DbxExpression): SelectQuery",
        "join(type: string, table: string, on?: DbxExpression): SelectQuery",
        "innerJoin(table: string, on?: DbxExpression): SelectQuery", "leftJoin(table: string, on?: DbxExpression): SelectQuery",
        "rightJoin(table: string, on?: DbxExpression): SelectQuery",
        "orderBy(...columns: string[]): SelectQuery", "andOrderBy(...columns: string[]): SelectQuery",
        "groupBy(...columns: string[]): SelectQuery", "andGroupBy(...columns: string[]): SelectQuery",
        "having(expr: DbxExpression): SelectQuery", "andHaving(expr: DbxExpression): SelectQuery",
        "orHaving(expr: DbxExpression): SelectQuery",
        "limit(n: number): SelectQuery", "offset(n: number): SelectQuery",
        "bind(params: {[key: string]: any}): SelectQuery", "andBind(params: {[key: string]: any}): SelectQuery",
        "union(query: SelectQuery | Query): SelectQuery", "unionAll(query: SelectQuery | Query): SelectQuery",
        "build(): Query", "one<T>(model?: T): T", "all<T>(models?: T[]): T[]", "row(): any[]", "column(): any[]",
    ), "dbx's query builder ($app.db().select(...), $app.recordQuery(c), $app.collectionQuery())."),
    JsType("DbBuilder", _m(
        "newQuery(sql: string): Query",
        "select(...columns: string[]): SelectQuery",
        "insert(table: string, columns: {[key: string]: any}): Query",
        "upsert(table: string, columns: {[key: string]: any}, ...constraints: string[]): Query",
        "update(table: string, columns: {[key: string]: any}, where?: DbxExpression): Query",
        "delete(table: string, where?: DbxExpression): Query",
        "createTable(table: string, columns: {[key: string]: string}, ...options: string[]): Query",
        "dropTable(table: string): Query", "truncateTable(table: string): Query",
        "renameTable(oldName: string, newName: string): Query",
        "dropColumn(table: string, column: string): Query",
        "createIndex(table: string, name: string, ...columns: string[]): Query",
        "createUniqueIndex(table: string, name: string, ...columns: string[]): Query",
        "dropIndex(table: string, name: string): Query",
        "quote(text: string): string", "quoteSimpleTableName(name: string): string",
        "quoteSimpleColumnName(name: string): string", "quoteTableName(name: string): string",
        "quoteColumnName(name: string): string",
    ), "$app.db() (data.db) and $app.auxDB() (auxiliary.db): dbx's builder."),
    JsType("RequestInfo", _m(
        "method: string", "query: {[key: string]: any}", "headers: {[key: string]: string}",
        "body: {[key: string]: any}", "auth: Record | null", "context: string",
    ), "The request data rules see (@request.*)."),
    JsType("SubscriptionsBroker", _m(
        "clients(): {[clientId: string]: RealtimeClient}", "clientById(id: string): RealtimeClient",
        "totalClients(): number", "chunkedClients(chunkSize: number): RealtimeClient[][]",
        "register(client: RealtimeClient): void", "unregister(clientId: string): void",
    ), "$app.subscriptionsBroker(): the realtime clients of every worker and node (those of the others are snapshots that forward send, discard and topic changes)."),
    JsType("RealtimeClient", _m(
        "id(): string", "subscriptions(...prefixes: string[]): {[topic: string]: {query: {[key: string]: string}, headers: {[key: string]: string}}}",
        "subscribe(...topics: string[]): void", "unsubscribe(...topics: string[]): void",
        "hasSubscription(topic: string): boolean", "get(key: string): any", "set(key: string, value: any): void",
        "unset(key: string): void", "send(message: SubscriptionMessage): void", "discard(): void",
        "isDiscarded(): boolean",
    ), "A realtime (SSE) client: e.client in the realtime hooks, or from the broker."),
)
TYPES += (
    JsType("FieldsList", _m(
        "getById(id: string): {[key: string]: any} | null", "getByName(name: string): {[key: string]: any} | null",
        "removeById(id: string): void", "removeByName(name: string): void", "fieldNames(): string[]",
        "asMap(): {[name: string]: {[key: string]: any}}", "add(...fields: Array<{[key: string]: any}>): void",
        "addAt(pos: number, ...fields: Array<{[key: string]: any}>): void",
    ), "collection.fields: a plain array of field JSON with PocketBase's FieldsList methods."),
)
TYPES_BY_NAME = {t.name: t for t in TYPES}

# Members of every event (``e``) and of request events, as the prelude's event proxies offer.
EVENT_MEMBERS = _m("app: PocketBaseApp", "next(): void")
REQUEST_EVENT_MEMBERS = _m(
    "request: {method: string, host: string, remoteAddr: string, body: any, url: {path: string, rawQuery: string, query(): {get(key: string): string, has(key: string): boolean}, string(): string}, header: {get(name: string): string, values(name: string): string[]}, pathValue(name: string): string, cookie(name: string): {name: string, value: string}}",
    "response: {header(): {set(name: string, value: string): void, add(name: string, value: string): void, get(name: string): string, del(name: string): void}}",
    "requestInfo(): RequestInfo",
    "bindBody(target: any): void",
    "xml(status: number, text: string): void",
    "remoteIP(): string",
    "status(): number",
    "written(): boolean",
    "getAll(): {[key: string]: any}",
    "setAll(values: {[key: string]: any}): void",
    "error(status: number, message?: string, data?: any): ApiError",
    "badRequestError(message?: string, data?: any): BadRequestError",
    "notFoundError(message?: string, data?: any): NotFoundError",
    "forbiddenError(message?: string, data?: any): ForbiddenError",
    "unauthorizedError(message?: string, data?: any): UnauthorizedError",
    "tooManyRequestsError(message?: string, data?: any): TooManyRequestsError",
    "internalServerError(message?: string, data?: any): InternalServerError",
    "json(status: number, data: any): void",
    "string(status: number, text: string): void",
    "html(status: number, html: string): void",
    "noContent(status?: number): void",
    "redirect(status: number, url: string): void",
    "blob(status: number, contentType: string, bytes: string | number[]): void",
    "hasSuperuserAuth(): boolean",
    "realIP(): string",
    "isTLS(): boolean",
    "get(key: string): any",
    "set(key: string, value: any): void",
)

# Fields of request events the typings derive from core/events.py (listed for the parity test).
REQUEST_EVENT_FIELDS = _m("auth: Record | null")

BY_NAME = {g.name: g for g in GLOBALS}

# Modules of pybase/jsvm/binds/ behind no global: the ``e`` of every hook and route handler.
IMPL_WITHOUT_GLOBAL = ("event",)


def declared_names() -> set[str]:
    """Every declared JS name: ``global``, ``global.member`` and ``Type.member`` (the parity test's side)."""
    names = {g.name for g in GLOBALS}
    names |= {f"{g.name}.{m}" for g in GLOBALS for m, _ in g.members}
    names |= {f"{t.name}.{m}" for t in TYPES for m, _ in t.members}
    names |= {f"RequestEvent.{m}" for m, _ in EVENT_MEMBERS + REQUEST_EVENT_MEMBERS + REQUEST_EVENT_FIELDS}
    return names


def impl_modules() -> tuple[str, ...]:
    """Every binds module the surface names, in declaration order (each once)."""
    names = [name for g in GLOBALS for name in g.impl] + list(IMPL_WITHOUT_GLOBAL)
    return tuple(dict.fromkeys(names))


def runtime_files() -> tuple[str, ...]:
    """The ``hooks_runtime/`` files every context evaluates, in order: errors.js, dates.js, go_text.js,
    prelude.js (the bridge), events.js (the ``e`` of handlers), then each file the table names,
    in declaration order."""
    return tuple(dict.fromkeys(["errors.js", "dates.js", "go_text.js", "prelude.js", "events.js"] + [g.js for g in GLOBALS]))


# ---- what PocketBase's jsvm has and pybase deliberately doesn't ------------------------------
# Keys are PocketBase's names (``global``, ``global.member``, ``Type.member``, as in
# tests/data/pb_jsvm_surface.json); tests/jsvm/test_parity.py checks every PocketBase name is
# declared above or listed here, and that nothing listed here is declared above.

_AUTH = "pending issue #12 (auth): mail, OAuth2, OTP, MFA and auth origins come with it"
_FILES = "not in pybase's JS yet: uploads reach hooks in e.record; $filesystem makes files from bytes, paths and URLs"
_BACKUPS = "pending issue #10 (operations): backups and request logs from JS come with it"
_GO_SQL = "Go database/sql plumbing (scanning rows, driver values, hooks on the Go query); JS gets plain values"
_GO_CTX = "Go context.Context plumbing: pybase has no cancellation contexts; use the method without it"
_GO_JSON = "Go JSON (un)marshalling: in JS use JSON.stringify / JSON.parse (toJSON is there)"
_GO_CLI = "the Go CLI and process lifecycle belong to the pybase command, not to hooks"
_MIGRATIONS = "PocketBase's system migrations are Go code; pybase runs them itself at start"
_SCHEMA_DDL = "schema changes go through collections ($app.save(collection)) so pybase's registry stays in sync"


def _absent(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


ABSENT: dict[str, str] = {
    **_absent(
        _AUTH, "$app.deleteAllAuthOriginsByRecord", "$app.deleteAllExternalAuthsByRecord", "$app.deleteAllMFAsByRecord",
        "$app.deleteAllOTPsByRecord", "$app.deleteExpiredMFAs", "$app.deleteExpiredOTPs",
        "$app.findAllAuthOriginsByCollection", "$app.findAllAuthOriginsByRecord", "$app.findAllExternalAuthsByCollection",
        "$app.findAllExternalAuthsByRecord", "$app.findAllMFAsByCollection", "$app.findAllMFAsByRecord",
        "$app.findAllOTPsByCollection", "$app.findAllOTPsByRecord", "$app.findAuthOriginById",
        "$app.findAuthOriginByRecordAndFingerprint", "$app.findFirstExternalAuthByExpr", "$app.findMFAById",
        "$app.findOTPById", "AppleClientSecretCreateForm", "TestEmailSendForm",
    ),
    **_absent(
        _FILES, "$filesystem.fileFromMultipart", "$filesystem.local", "$filesystem.s3", "$app.newFilesystem", "$app.newBackupsFilesystem",
        "$app.findRecordByViewFile", "Record.baseFilesPath", "Record.findFileFieldByFile", "Record.getUnsavedFiles",
        "Record.getUploadedFiles", "Record.newFileToken", "Collection.baseFilesPath", "RequestEvent.fileFS",
        "TestS3FilesystemForm", "RecordUpsertForm",
    ),
    **_absent(
        _BACKUPS, "$app.createBackup", "$app.restoreBackup", "$app.deleteOldLogs", "$app.findLogById", "$app.logsStats",
        "$app.logQuery", "$app.auxModelQuery",
    ),
    **_absent(
        _GO_SQL, "Query.close", "Query.execLogFunc", "Query.fieldMapper", "Query.lastError", "Query.logFunc",
        "Query.perfFunc", "Query.prepare", "Query.queryLogFunc", "Query.rows", "Query.withAllHook", "Query.withExecHook",
        "Query.withOneHook", "SelectQuery.fieldMapper", "SelectQuery.tableMapper", "SelectQuery.rows",
        "SelectQuery.withBuildHook", "SelectQuery.info", "SelectQuery.model", "DbBuilder.model", "DbBuilder.queryBuilder",
        "DbBuilder.generatePlaceholder", "DateTime.scan", "DateTime.value", "FieldsList.scan", "FieldsList.value",
        "Record.postScan", "Collection.postScan", "$app.txInfo", "$app.store", "$app.modelQuery",
    ),
    **_absent(
        _GO_CTX, "Query.context", "Query.withContext", "SelectQuery.context", "SelectQuery.withContext",
        "Logger.debugContext", "Logger.infoContext", "Logger.warnContext", "Logger.errorContext", "Logger.handler",
        "Logger.logAttrs", "Context",
    ),
    **_absent(
        _GO_JSON, "Record.marshalJSON", "Record.unmarshalJSON", "Collection.marshalJSON", "Collection.unmarshalJSON",
        "DateTime.marshalJSON", "DateTime.unmarshalJSON", "FieldsList.marshalJSON", "FieldsList.unmarshalJSON",
        "FieldsList.addMarshaledJSON", "FieldsList.addMarshaledJSONAt", "$app.importCollectionsByMarshaledJSON",
    ),
    **_absent(
        _GO_CLI, "Command", "$app.bootstrap", "$app.resetBootstrapState", "$app.restart", "$os.exit",
    ),
    **_absent(_MIGRATIONS, "$app.runAllMigrations", "$app.runAppMigrations", "$app.runSystemMigrations"),
    **_absent(
        _SCHEMA_DDL, "DbBuilder.addColumn", "DbBuilder.addForeignKey", "DbBuilder.addPrimaryKey", "DbBuilder.alterColumn",
        "DbBuilder.dropForeignKey", "DbBuilder.dropPrimaryKey", "DbBuilder.renameColumn", "$app.syncRecordTableSchema",
        "$app.createViewFields", "$app.dryRunView", "$app.saveView", "$app.deleteView",
    ),
    "$os.dirFS": "Go io/fs values: $apis.static takes a folder path instead",
    "$os.openRoot": "Go os.Root (a Go 1.24 sandboxed file tree); use $os/$filepath with your own path checks",
    "$os.openInRoot": "Go os.Root (a Go 1.24 sandboxed file tree); use $os/$filepath with your own path checks",
    "$filepath.walk": "takes a Go callback over fs.FileInfo; use $os.readDir recursively",
    "$filepath.walkDir": "takes a Go callback over fs.DirEntry; use $os.readDir recursively",
    "Timezone": "Go time.Location: pybase's DateTime is always UTC, as PocketBase stores dates",
    "Cookie": "Go http.Cookie: set cookies with e.response.header().add('Set-Cookie', ...)",
    "RequestEvent.fileFS": _FILES,
    "RequestEvent.flush": "Go http.Flusher: pybase answers whole responses (waitress buffers them)",
    "RequestEvent.stream": "streamed Go io.Reader bodies: answer with e.blob(...) or e.string(...)",
    "RequestEvent.setCookie": "takes a Go http.Cookie: use e.response.header().add('Set-Cookie', ...)",
    "migrate": "a pb_migrations-only global: pybase defines it in migration files, as PocketBase",
    "RequestEvent.findUploadedFiles": _FILES,
    "Collection.dbExport": "the stored column values are pybase's own business: use JSON.stringify(collection)",
    "Record.ignoreUnchangedFields": "pybase validates every field of a record on save",
    "Record.dbExport": "the stored column values are pybase's own business: use fieldsData() or publicExport()",
    "Record.hookTags": "Go hook tags of the save: in JS the tags are the ones you passed to onRecordXxx(fn, ...tags)",
    "Record.getGeoPoint": "pending: geoPoint fields come back as {lon, lat} from record.get()",
    "Collection.integrityChecks": "PocketBase's internal switch to skip collection checks while it syncs its own schema",
    "Collection.string": "Go fmt.Stringer: use JSON.stringify(collection)",
    "FieldsList.string": "Go fmt.Stringer: use JSON.stringify(collection.fields)",
    "FieldsList.clone": "collections are plain copies in JS already: JSON.parse(JSON.stringify(fields))",
    "DateTime.time": "Go time.Time: use the DateTime methods (unix(), string(), add...) or new Date(dt.string())",
    "SelectQuery.selectOption": "a MySQL-style SELECT option (SQL_CALC_FOUND_ROWS); SQLite has none",
    "SelectQuery.preFragment": "Go-level raw SQL fragment hooks: write the query with newQuery(sql)",
    "SelectQuery.postFragment": "Go-level raw SQL fragment hooks: write the query with newQuery(sql)",
    "Logger.enabled": "slog handler levels: every level is logged to _logs, filtered by the logs settings",
    "$app.findCollectionReferences": "answers a Go map keyed by collection pointers: use findAllCollections() and their relation fields",
    "$app.findCachedCollectionReferences": "answers a Go map keyed by collection pointers: use findAllCollections() and their relation fields",
    "$app.auxNonconcurrentDB": "pybase has one connection pool per database, so there is only $app.auxDB()",
    "$app.auxConcurrentDB": "pybase has one connection pool per database, so there is only $app.auxDB()",
    "$app.auxSave": "aux models are log entries: use $app.logger() to write them",
    "$app.auxSaveNoValidate": "aux models are log entries: use $app.logger() to write them",
    "$app.auxSaveWithContext": "aux models are log entries: use $app.logger() to write them",
    "$app.auxSaveNoValidateWithContext": "aux models are log entries: use $app.logger() to write them",
    "$app.auxDelete": "aux models are log entries, pruned by the logs settings (logs.maxDays)",
    "$app.auxDeleteWithContext": "aux models are log entries, pruned by the logs settings (logs.maxDays)",
    "$app.auxRunInTransaction": "aux models are log entries, written by pybase's own log writer",
}
