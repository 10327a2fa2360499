"""``PyBase``: the framework surface. Wires config, the core app, the HTTP layer and the server."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from pybase.apis import create_wsgi_app
from pybase.config import Config
from pybase.core.app import App
from pybase.core.app_hooks import BY_NAME
from pybase.core.events import ServeEvent
from pybase.server import Server

log = logging.getLogger("pybase")

VERSION = "0.1.0"


class PyBase:
    """One pybase instance: ``PyBase(config)``, bind hooks and routes, then ``start()``/``serve()``."""

    def __init__(self, config: Config | None = None, **options: Any) -> None:
        self.config = config or Config(**options)
        self.core = App(self.config.data_dir, dev=self.config.dev)
        self.server: Server | None = None
        self.jsvm: Any = None  # pybase.jsvm.JsRuntime when a hooks folder exists
        self._routes: list[tuple[str, str, Callable[..., Any]]] = []

    # ---- hooks -------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # NOTE: every hook of core/app_hooks.py is reachable as app.on_xxx, usable as a
        # decorator with optional tags: @app.on_record_create("posts").
        if name in BY_NAME:
            return _HookDecorator(getattr(self.core, name))
        raise AttributeError(name)

    def route(self, method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a custom route handler ``fn(req, resp, **params)`` (Falcon request/response)."""

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._routes.append((method.upper(), path, fn))
            return fn

        return decorator

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
            self.core.bootstrap()

    def wsgi(self) -> Any:
        """The WSGI application."""
        api = create_wsgi_app(
            self.core,
            dashboard_dir=self.config.dashboard_dir,
            public_dir=self.config.public_dir,
            origins=self.config.origins,
        )
        for method, path, fn in self._routes:
            api.add_route(path, _FunctionResource(method, fn))
        if self.jsvm is not None:
            api.add_middleware(self.jsvm.middleware)
        return api

    def serve(self, *, on_ready: Callable[[Server], None] | None = None, install_signals: bool = True) -> None:
        """Bootstrap, fire onServe, serve until stopped, then terminate cleanly."""
        self.bootstrap()
        host, port = self.config.host_port()
        wsgi = self.wsgi()
        self.server = Server(wsgi, host, port)
        event = ServeEvent(self.core)
        event.router, event.server = wsgi, self.server

        def run(_: ServeEvent) -> None:
            assert self.server is not None
            if on_ready is not None:
                on_ready(self.server)
            self.server.serve_forever(install_signals=install_signals)

        watcher = None
        if self.jsvm is not None and self.config.hooks_watch:
            from pybase.jsvm import HooksWatcher

            watcher = HooksWatcher(self.jsvm)
            watcher.start()
        try:
            self.core.hooks["onServe"].trigger(event, run)
        finally:
            if watcher is not None:
                watcher.stop()
            self.core.terminate()

    def start(self, argv: list[str] | None = None) -> int:
        """Run the command line (``serve``, ``superuser``...) against this app."""
        from pybase.cli import main

        return main(argv, app_factory=lambda config: self._reconfigure(config))

    def _reconfigure(self, config: Config) -> PyBase:
        self.config = config
        self.core = App(config.data_dir, dev=config.dev) if self.core.data_dir != config.data_dir else self.core
        return self

    def stop(self) -> None:
        """Stop a running server."""
        if self.server is not None:
            self.server.stop()

    def serve_in_thread(self) -> Server:
        """Start serving on a background thread and return once listening (tests, embedding)."""
        ready = threading.Event()
        holder: dict[str, Server] = {}

        def on_ready(server: Server) -> None:
            holder["server"] = server
            ready.set()

        thread = threading.Thread(target=self.serve, kwargs={"on_ready": on_ready, "install_signals": False}, daemon=True)
        thread.start()
        if not ready.wait(30):
            raise RuntimeError("server did not start")
        return holder["server"]


class _HookDecorator:
    """``app.on_x`` as a decorator (``@app.on_x`` or ``@app.on_x("posts")``) or the Hook itself."""

    def __init__(self, hook: Any) -> None:
        self.hook = hook

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and callable(args[0]) and not kwargs:
            self.hook.bind(args[0])
            return args[0]

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.hook.bind(fn, tags=args, **kwargs)
            return fn

        return decorator

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hook, name)


class _FunctionResource:
    """Adapts a plain function to a Falcon resource for one method."""

    def __init__(self, method: str, fn: Callable[..., Any]) -> None:
        setattr(self, f"on_{method.lower()}", fn)
