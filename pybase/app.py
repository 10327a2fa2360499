"""``PyBase``: the framework surface. Wires config, the core app, the HTTP layer and the server.

Use it as a framework (see README, "Use pybase as a Python framework")::

    import pybase

    app = pybase.PyBase()

    @app.on_record_create("posts")          # any hook of core/app_hooks.py, optional tags
    def stamp(e):
        e.record.set("title", e.record.get("title").strip())
        return e.next()

    @app.route("GET", "/hello/{name}")      # PocketBase's path patterns
    def hello(e):
        return e.json(200, {"message": "Hello " + e.request.path_value("name")})

    @app.cron("tick", "*/5 * * * *")
    def tick():
        ...

    if __name__ == "__main__":
        raise SystemExit(app.start())      # the pybase CLI: serve, superuser, migrate...

Nothing touches the data dir until the app bootstraps, so ``start(["serve", "--dir", x])``
serves ``x`` with every hook, route, cron and migration registered before.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pybase.apis import create_wsgi_app
from pybase.apis.middleware import DEFAULT_BODY_LIMIT
from pybase.config import Config
from pybase.core.app import App
from pybase.core.app_hooks import BY_NAME, HOOKS
from pybase.core.events import ServeEvent
from pybase.routes import PyRoute, PyRoutesMiddleware, takes_falcon_objects
from pybase.server import Server
from pybase.store.migrations import Migration
from pybase.tools.hook import Hook
from pybase.version import VERSION as VERSION  # NOTE: pybase.app.VERSION stays public

if TYPE_CHECKING:
    from pybase.migrations import Migrations

log = logging.getLogger("pybase")

#: how long ``PyBase.stop()`` waits for the server to stop (in-flight requests get
#: ``Server``'s 10 s drain, then the logs are written and the database closed)
STOP_TIMEOUT = 30.0

#: the hooks by Python attribute name (``on_record_create``) -> JS name (``onRecordCreate``)
_JS_NAMES = {spec.name: spec.js_name for spec in HOOKS}


class PyBase:
    """One pybase instance: ``PyBase(config)`` or ``PyBase(data_dir=..., ...)``, bind, then ``start()``.

    Hooks are ``app.on_<hook>`` (decorators, or ``.bind(fn, id=, priority=, tags=)``), routes
    ``app.route``, cron jobs ``app.cron`` and code migrations ``app.migration``; all of them are
    kept when ``start()``'s command line picks another data dir.
    """

    def __init__(self, config: Config | None = None, **options: Any) -> None:
        self.config = config or Config(**options)
        #: the options given explicitly; the command line of start() overrides only those it sets
        self.options: dict[str, Any] = dict(options) if config is None else _explicit_options(config)
        self.server: Server | None = None
        #: set while serving as one of several worker processes (pybase.workers)
        self.worker_runtime: Any = None
        self.jsvm: Any = None  # pybase.jsvm.JsRuntime when a hooks folder exists
        #: ``routerAdd``-like routes in Python, in registration order
        self.routes: list[PyRoute] = []
        #: cron jobs by id: ``(expression, fn)``, handed to the scheduler when the core exists
        self.crons: dict[str, tuple[str, Callable[[], Any]]] = {}
        #: migrations registered in code (``app.migration``)
        self.code_migrations: list[Migration] = []
        self._core: App | None = None
        #: set once serve() has returned (None before the first serve)
        self._stopped: threading.Event | None = None
        self._serve_ident: int | None = None  # the thread running serve()
        self._serve_thread: threading.Thread | None = None  # serve_in_thread's
        # NOTE: hooks bound before the core exists wait here; the core adopts them when made.
        self._staged: dict[str, Hook[Any]] = {spec.js_name: Hook(spec.js_name) for spec in HOOKS}

    # ---- the core app ------------------------------------------------------------------

    @property
    def core(self) -> App:
        """The core app (database, collections, records, hooks), made on first use."""
        if self._core is None:
            self._core = self._new_core(self._staged)
            self._staged = {}
        return self._core

    def _new_core(self, hooks: dict[str, Hook[Any]]) -> App:
        core = App(
            self.config.data_dir,
            dev=self.config.dev,
            query_timeout=self.config.query_timeout,
            encryption_env=self.config.encryption_env,
            database_url=self.config.database_url,
        )
        for name, hook in hooks.items():
            _copy_bindings(hook, core.hooks[name])
        if self.crons:
            from pybase.apis.crons import scheduler

            cron = scheduler(core)
            for job_id, (expr, fn) in self.crons.items():
                cron.add(job_id, expr, fn)
        return core

    def hook(self, name: str) -> Hook[Any]:
        """A hook by Python (``on_record_create``) or JS (``onRecordCreate``) name."""
        js_name = _JS_NAMES.get(name, name)
        if self._core is not None:
            return self._core.hooks[js_name]
        return self._staged[js_name]

    # ---- hooks, routes, crons, migrations ----------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # NOTE: every hook of core/app_hooks.py is reachable as app.on_xxx, usable as a
        # decorator with optional tags: @app.on_record_create("posts").
        if name in BY_NAME:
            return HookDecorator(self, _JS_NAMES[name])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> Iterable[str]:
        return [*super().__dir__(), *_JS_NAMES]

    def route(self, method: str, path: str, *middlewares: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``handler(e)`` for ``method`` (``"*"`` for any) and a PocketBase path pattern.

        ``path`` may hold ``{name}``, a final ``{rest...}`` and ``{$}``. ``e`` is a
        :class:`RouteEvent`: ``e.request.path_value("name")``, ``e.request_info()``,
        ``e.auth``, ``e.json(status, data)``... Middlewares are ``fn(e)`` that call
        ``e.next()`` to go on (``PyBase.require_auth()``...). A handler returning a dict or a
        list without writing a response answers it as JSON with status 200. A handler taking
        two arguments gets the Falcon objects instead: ``handler(req, resp, **path_values)``.
        """
        from pybase.jsvm.router import compile_pattern

        pattern, names, _literal = compile_pattern(path)
        verb = method.strip().upper()

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            chain: Hook[Any] = Hook(path)
            for middleware in middlewares:
                chain.bind(middleware)
            method_key = "" if verb in ("", "*", "ANY") else verb
            self.routes.append(PyRoute(method_key, path, pattern, names, chain, fn, takes_falcon_objects(fn)))
            return fn

        return decorator

    @staticmethod
    def require_auth(*collections: str) -> Callable[[Any], Any]:
        """Route middleware: 401 without auth, 403 for auth records of other collections."""
        from pybase.jsvm.router import require_auth

        return require_auth(*collections)

    @staticmethod
    def require_superuser_auth() -> Callable[[Any], Any]:
        """Route middleware: superusers only."""
        from pybase.jsvm.router import require_superuser_auth

        return require_superuser_auth()

    @staticmethod
    def require_guest_only() -> Callable[[Any], Any]:
        """Route middleware: refuses authenticated callers."""
        from pybase.jsvm.router import require_guest_only

        return require_guest_only()

    def cron(self, job_id: str, expression: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Register ``fn()`` to run on a schedule (5 cron fields or ``@hourly``...; UTC).

        Listed in ``GET /api/crons`` and runnable with ``POST /api/crons/{id}``, as ``cronAdd``.
        """
        from pybase.tools.cron import parse_expression

        parse_expression(expression)  # NOTE: a bad expression fails here, at import time

        def decorator(fn: Callable[[], Any]) -> Callable[[], Any]:
            self.crons[str(job_id)] = (expression, fn)
            if self._core is not None:
                from pybase.apis.crons import scheduler

                scheduler(self._core).add(str(job_id), expression, fn)
            return fn

        return decorator

    def cron_remove(self, job_id: str) -> None:
        """Unregister a cron job added with :meth:`cron`."""
        self.crons.pop(str(job_id), None)
        if self._core is not None:
            from pybase.apis.crons import scheduler

            scheduler(self._core).remove(str(job_id))

    def migration(self, file: str, up: Callable[[App], Any] | None, down: Callable[[App], Any] | None = None) -> Migration:
        """Register a migration in code, run in ``file``'s place among the ``pb_migrations`` files.

        ``up(app)``/``down(app)`` get the core app inside the migration's transaction.
        """
        migration = Migration(file, up, down)
        self.code_migrations.append(migration)
        return migration

    def migrations(self) -> Migrations:
        """This app's migrations (``pb_migrations`` files and code ones); close it after use."""
        from pybase.migrations import Migrations

        return Migrations(
            self.core,
            self.config.migrations_dir,
            hooks_dir=self.config.hooks_dir,
            runtime_dir=self.config.hooks_runtime_dir,
            memory_limit=self.config.hooks_memory_limit,
            registered=self.code_migrations,
        )

    def run_migrations(self) -> list[str]:
        """Apply the pending migrations, then (``automigrate``) record API collection changes as files.

        ``serve`` does this after bootstrap and before listening, as PocketBase; returns the
        applied files and raises :class:`pybase.store.migrations.MigrationError` on a failure.
        """
        self.bootstrap()
        with self.migrations() as migrations:
            applied = migrations.up()
        for file in applied:
            log.info("applied migration %s", file)
        if self.config.automigrate:
            from pybase.migrations import automigrate

            automigrate.bind(self.core, self.config.migrations_dir)
        return applied

    # ---- lifecycle ---------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Load the JS hooks (if any), then open the data dir and create what a first start creates."""
        if self.jsvm is None and os.path.isdir(self.config.hooks_dir):
            # NOTE: hooks load before the core bootstraps so JS onBootstrap handlers fire (as PB).
            from pybase.jsvm import JsRuntime

            self.jsvm = JsRuntime(
                self.core,
                self.config.hooks_dir,
                self.config.hooks_runtime_dir,
                pool_size=self.config.hooks_pool,
                timeout=self.config.hooks_timeout,
                memory_limit=self.config.hooks_memory_limit,
            )
            self.jsvm.load()
        if not self.core.bootstrapped:
            from pybase.workers import worker_context

            if worker_context() is not None:
                self.core.empties_temp_dir = False  # NOTE: the supervisor did, before any worker started
            self.core.bootstrap()

    def wsgi(self) -> Any:
        """The WSGI application."""
        api = create_wsgi_app(
            self.core,
            dashboard_dir=self.config.dashboard_dir,
            public_dir=self.config.public_dir,
            origins=self.config.origins,
            index_fallback=self.config.index_fallback,
        )
        if self.routes:
            api.add_middleware(PyRoutesMiddleware(self))
        if self.jsvm is not None:
            api.add_middleware(self.jsvm.middleware)
        return api

    def serve(self, *, on_ready: Callable[[Server], None] | None = None, install_signals: bool = True) -> None:
        """Bootstrap, apply migrations, fire onServe, serve until stopped, then terminate cleanly."""
        stopped = threading.Event()
        self._stopped, self._serve_ident = stopped, threading.get_ident()
        try:
            self._serve(on_ready, install_signals)
        finally:
            stopped.set()

    def _serve(self, on_ready: Callable[[Server], None] | None, install_signals: bool) -> None:
        self.run_migrations()
        host, port = self.config.host_port()
        if install_signals:
            from pybase.tools.memory import install_memory_dump

            install_memory_dump()  # NOTE: debug only (PYBASE_MEMORY_DUMP)
        from pybase.workers import worker_context

        ctx = worker_context()
        runtime: Any = None
        if ctx is not None:
            from pybase.workers.worker import WorkerRuntime, die_with_parent

            die_with_parent()
            runtime = WorkerRuntime(self.core, ctx)  # NOTE: before wsgi(): it sets the event bus
            self.worker_runtime = runtime
            if self.core.restart is not None:
                self.core.restart = lambda stop=self.core.restart: runtime.restart_all(stop)
        elif self.core.database_url:
            from pybase.workers.cluster import ClusterRuntime

            # NOTE: every process serving a Postgres database is a node of its cluster.
            runtime = ClusterRuntime(self.core)
            self.worker_runtime = runtime
        wsgi = self.wsgi()
        served: Any = wsgi if runtime is None else runtime.wrap(wsgi)
        sockets = [ctx.listen_socket()] if ctx is not None else None
        self.server = Server(served, host, port, sockets=sockets, on_idle=self.core.release_memory)
        self._bind_body_cap(self.server)
        event = ServeEvent(self.core)
        event.router, event.server = wsgi, self.server

        def run(_: ServeEvent) -> None:
            assert self.server is not None
            if on_ready is not None:
                on_ready(self.server)
            if runtime is not None:
                runtime.ready()
            self.server.serve_forever(install_signals=install_signals)

        watcher = None
        if self.jsvm is not None and self.config.hooks_watch:
            from pybase.jsvm import HooksWatcher

            watcher = HooksWatcher(self.jsvm)
            watcher.start()
        # NOTE: as PocketBase's __pbCronStart__, the scheduler starts as the server does.
        from pybase.apis.crons import scheduler

        cron = scheduler(self.core)
        if runtime is None:
            cron.start()
        else:
            runtime.when_leader(cron.start)  # NOTE: crons run in one worker only
            runtime.start()
        try:
            self.core.hooks["onServe"].trigger(event, run)
        finally:
            cron.stop()
            if watcher is not None:
                watcher.stop()
            self.core.terminate()
            if runtime is not None:
                runtime.close()

    def _bind_body_cap(self, server: Server) -> None:
        # NOTE: the server refuses a body larger than any route accepts before buffering it;
        # the per-route limit (32 MiB, more for record writes) is checked by the middleware.
        from pybase.apis.records import record_body_limit

        def update(e: Any = None) -> Any:
            limits = [record_body_limit(c) for c in self.core.registry.all() if not c.is_view]
            server.set_max_body(max([DEFAULT_BODY_LIMIT, *limits]))
            return e.next() if e is not None else None

        update()
        for verb in ("Create", "Update", "Delete"):
            self.core.hooks[f"onCollectionAfter{verb}Success"].bind(update, id="__pybaseBodyCap__")

    def start(self, argv: list[str] | None = None) -> int:
        """Run the command line (``serve``, ``superuser``, ``migrate``...) against this app.

        Flags given on the command line win over the options given to ``PyBase(...)``; hooks,
        routes, crons and migrations registered before are kept whatever ``--dir`` says.
        """
        from pybase.cli import main

        return main(argv, app_factory=self._reconfigure, options=self.options)

    def _reconfigure(self, config: Config) -> PyBase:
        self.config = config
        old = self._core
        if old is not None and (
            old.data_dir != config.data_dir or old.dev != config.dev or old.settings_store.encryption_env != config.encryption_env
        ) and not old.bootstrapped:
            self._core = self._new_core(old.hooks)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """Stop a running server and return once it has stopped: requests in flight answered,
        the listening socket closed, the server's threads ended, the cron jobs, hooks watcher
        and cluster node stopped, the logs written and the database closed (``serve`` returned).

        Waits up to ``timeout`` seconds (a warning is logged past it) and returns whether
        everything stopped. Asked from a request of this server or from ``onServe`` (a backup
        restore), it only asks: the server cannot wait for the request asking.
        """
        server = self.server
        stopped = self._stopped
        if server is None or stopped is None:
            return True
        server.stop()
        if server.serving_here() or threading.get_ident() == self._serve_ident:
            return False
        deadline = time.monotonic() + timeout
        done = stopped.wait(timeout)
        left: list[str] = []
        if done:
            left = server.join(max(0.0, deadline - time.monotonic()))
            thread = self._serve_thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    left.append(thread.name)
        if not done or left:
            log.warning(
                "the server did not stop within %.0f s%s", timeout,
                f" (still running: {', '.join(left)})" if left else " (serve() has not returned)",
            )
            return False
        return True

    def serve_in_thread(self) -> Server:
        """Start serving on a background thread and return once listening (tests, embedding)."""
        ready = threading.Event()
        holder: dict[str, Server] = {}

        def on_ready(server: Server) -> None:
            holder["server"] = server
            ready.set()

        thread = threading.Thread(
            target=self.serve, kwargs={"on_ready": on_ready, "install_signals": False}, name="pybase-serve", daemon=True
        )
        self._serve_thread = thread
        thread.start()
        if not ready.wait(30):
            raise RuntimeError("server did not start")
        return holder["server"]


def _copy_bindings(source: Hook[Any], target: Hook[Any]) -> None:
    """Bind every handler of ``source`` on ``target`` (same ids, priorities, tags and order)."""
    # TODO: a public Hook.bindings() in tools/hook.py would avoid reading _bindings (issue 4).
    for binding in source._bindings:
        target.bind(binding.func, id=binding.id, priority=binding.priority, tags=binding.tags)


def _explicit_options(config: Config) -> dict[str, Any]:
    """The settings of ``config`` that differ from what the defaults would give."""
    defaults = Config(data_dir=config.data_dir)
    out = {f.name: getattr(config, f.name) for f in dataclasses.fields(Config) if getattr(config, f.name) != getattr(defaults, f.name)}
    if config.data_dir != Config().data_dir:
        out["data_dir"] = config.data_dir
    return out


class HookDecorator:
    """``app.on_x``: a decorator (``@app.on_x``, ``@app.on_x("posts", priority=5)``) or the hook.

    Also ``app.on_x.bind(fn, id=..., priority=..., tags=...)``, ``.unbind(id)``, ``.trigger(e)``.
    A handler receives the event and must call ``e.next()`` to go on (the built-in action is the
    chain's last link); tags filter by collection name or id.
    """

    def __init__(self, app: PyBase, js_name: str) -> None:
        self._app = app
        self._js_name = js_name

    @property
    def hook(self) -> Hook[Any]:
        """The hook itself (resolved now: before the core exists it is a staging hook)."""
        return self._app.hook(self._js_name)

    def __call__(self, *args: Any, id: str | None = None, priority: int = 0, tags: Iterable[str] = ()) -> Any:
        if len(args) == 1 and callable(args[0]) and not isinstance(args[0], str):
            self.hook.bind(args[0], id=id, priority=priority, tags=tags)
            return args[0]
        all_tags = [*_flatten(args), *tags]

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.hook.bind(fn, id=id, priority=priority, tags=all_tags)
            return fn

        return decorator

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hook, name)


def _flatten(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list | tuple | set | frozenset):
            out.extend(str(v) for v in value)
        else:
            out.append(str(value))
    return out
