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
    ), "Logs to the server log (logger pybase.jsvm.console).", impl=("console",)),
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
        "runInTransaction<T>(fn: (txApp: PocketBaseApp) => T): T",
    ), "The app (PocketBase's core.App subset).", impl=("app", "collection", "dbx")),
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
    ), "A record of a collection.", impl=("record",)),
    JsGlobal("Collection", "class", "(data?: {[key: string]: any})", _m(
        "isAuth(): boolean", "isBase(): boolean", "isView(): boolean", "tableName(): string",
    ), "A collection: a plain copy of its JSON (id, name, type, fields, indexes, rules...).", impl=("collection",)),
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
    ), "Built-in middlewares, and static(dir, indexFallback): a routerAdd handler serving the files of dir (relative to pb_hooks' parent) by the {path...} path value."),
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
    ), impl=("dbx",), js="binds.js"),
    JsGlobal("$http", "object", "Http", _m(
        "send(config: {url: string, method?: string, body?: string | number[] | FormData, headers?: {[key: string]: string}, timeout?: number, data?: any}): HttpResponse",
    ), impl=("http",), js="binds.js"),
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
)

# Globals the runtime uses internally (never for hooks).
INTERNAL = frozenset({"__setup", "__registrations", "__compile", "__invoke", "__reset", "__file"})

# Helper types referenced above, verbatim TypeScript.
HELPER_TYPES = """\
type DbxExpression = {$dbx: string, [key: string]: any};
interface Logger {
  debug(msg: string, ...args: any[]): void;
  info(msg: string, ...args: any[]): void;
  warn(msg: string, ...args: any[]): void;
  error(msg: string, ...args: any[]): void;
}
interface DbQuery {
  bind(params: {[key: string]: any}): DbQuery;
  one<T>(model?: T): T;
  all<T>(models?: T[]): T[];
  execute(): {rowsAffected(): number, lastInsertId(): number};
}
interface DbBuilder {
  newQuery(sql: string): DbQuery;
}
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
interface HookRequestInfo {
  method: string;
  query: {[key: string]: any};
  headers: {[key: string]: string};
  body: {[key: string]: any};
  auth: Record | null;
  context: string;
}
"""

# Members of every event (``e``) and of request events, as the prelude's event proxies offer.
EVENT_MEMBERS = _m("app: PocketBaseApp", "next(): void")
REQUEST_EVENT_MEMBERS = _m(
    "request: {method: string, host: string, remoteAddr: string, url: {path: string, rawQuery: string, query(): {get(key: string): string, has(key: string): boolean}, string(): string}, header: {get(name: string): string}, pathValue(name: string): string}",
    "response: {header(): {set(name: string, value: string): void, add(name: string, value: string): void, get(name: string): string, del(name: string): void}}",
    "requestInfo(): HookRequestInfo",
    "bindBody(target: any): void",
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

BY_NAME = {g.name: g for g in GLOBALS}

# Modules of pybase/jsvm/binds/ behind no global: the ``e`` of every hook and route handler.
IMPL_WITHOUT_GLOBAL = ("event",)


def impl_modules() -> tuple[str, ...]:
    """Every binds module the surface names, in declaration order (each once)."""
    names = [name for g in GLOBALS for name in g.impl] + list(IMPL_WITHOUT_GLOBAL)
    return tuple(dict.fromkeys(names))


def runtime_files() -> tuple[str, ...]:
    """The ``hooks_runtime/`` files every context evaluates, in order: errors.js, prelude.js
    (the bridge), then each file the table names, in declaration order."""
    return tuple(dict.fromkeys(["errors.js", "prelude.js"] + [g.js for g in GLOBALS]))
