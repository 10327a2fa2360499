"""The command line: ``serve``, ``superuser``, ``version``. Parses, calls the app, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from pybase.config import DEFAULT_HTTP, Config

if TYPE_CHECKING:
    from pybase.app import PyBase


class CliError(Exception):
    """A user-facing command failure (printed without a traceback)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        raise CliError(message)


def _bool_flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "t", "true", "yes", "on"):
        return True
    if lowered in ("0", "f", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _add_common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # NOTE: the flags are global as in PocketBase (``pybase --dir x serve`` and ``pybase serve
    # --dir x`` both work); on subcommands their default is SUPPRESS so an absent flag does not
    # overwrite a value given before the command.
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument("--dir", default=default(""), help="the data directory (default: pb_data beside the binary or in the working directory)")
    parser.add_argument("--dev", action="store_true", default=default(False), help="log more, serve the dashboard without caching")
    parser.add_argument("--hooksDir", default=default(""), help="the JS hooks directory (default: beside the data dir)")
    parser.add_argument("--migrationsDir", default=default(""), help="the migrations directory (default: beside the data dir)")
    parser.add_argument("--publicDir", default=default(""), help="static files served at / (default: beside the data dir)")
    parser.add_argument("--hooksPool", type=int, default=default(15), help="number of prewarmed JS contexts for pb_hooks (default 15)")
    parser.add_argument(
        "--hooksWatch", type=_bool_flag, default=default(True), metavar="BOOL",
        help="reload pb_hooks when a file changes (default true)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every command."""
    from pybase.app import VERSION

    parser = _Parser(prog="pybase", description="A PocketBase-compatible backend in one file.")
    parser.add_argument("-v", "--version", action="version", version=f"pybase version {VERSION}")
    _add_common(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, suppress=True)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="start the web server")
    serve.add_argument("--http", default=DEFAULT_HTTP, help=f"TCP address to listen on (default {DEFAULT_HTTP})")
    serve.add_argument("--origins", default="*", help="CORS allowed origins, comma separated (default *)")

    su = sub.add_parser("superuser", parents=[common], help="manage superusers")
    su_sub = su.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    for name, text, needs_password in (
        ("create", "create a superuser", True),
        ("upsert", "create a superuser or update its password", True),
        ("update", "change a superuser's password", True),
        ("delete", "delete a superuser", False),
    ):
        p = su_sub.add_parser(name, parents=[common], help=text)
        p.add_argument("email")
        if needs_password:
            p.add_argument("password")
    sub.add_parser("version", help="print the version")
    return parser


def main(argv: list[str] | None = None, app_factory: Callable[[Config], PyBase] | None = None) -> int:
    """Entry point of the ``pybase`` command; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        if args.command == "version":
            from pybase.app import VERSION

            print(f"pybase version {VERSION}")
            return 0
        if args.command == "superuser" and not args.action:
            raise CliError("missing superuser action (create, upsert, update, delete)")
        config = Config(
            data_dir=args.dir,
            hooks_dir=args.hooksDir,
            migrations_dir=args.migrationsDir,
            public_dir=args.publicDir,
            dev=args.dev,
            hooks_pool=max(1, args.hooksPool),
            hooks_watch=args.hooksWatch,
            **({"http": args.http, "origins": [o.strip() for o in args.origins.split(",") if o.strip()]} if args.command == "serve" else {}),
        )
        if args.command == "serve":
            _check_address(config)
        if os.path.exists(config.data_dir) and not os.path.isdir(config.data_dir):
            raise CliError(f"the data directory {config.data_dir} is not a directory")
        factory = app_factory or _default_app
        try:
            app = factory(config)
            app.bootstrap()
        except (OSError, DBAPIError) as ex:
            raise CliError(f"cannot open the data directory {config.data_dir}: {_reason(ex)}") from ex
        if args.command == "serve":
            return _serve(app, config)
        return _superuser(app, args)
    except CliError as ex:
        print(f"Error: {ex}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _reason(ex: BaseException) -> str:
    if isinstance(ex, OSError) and ex.strerror:
        return ex.strerror
    if isinstance(ex, DBAPIError):
        return str(ex.orig)
    return str(ex)


def _check_address(config: Config) -> None:
    try:
        _host, port = config.host_port()
    except ValueError as ex:
        raise CliError(f"invalid --http address {config.http!r} (expected host:port)") from ex
    if not 0 <= port <= 65535:
        raise CliError(f"invalid --http address {config.http!r} (port out of range)")


def _default_app(config: Config) -> PyBase:
    from pybase.app import PyBase

    return PyBase(config)


def _serve(app: PyBase, config: Config) -> int:
    logging.basicConfig(level=logging.DEBUG if config.dev else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(server: Any) -> None:
        # NOTE: before the banner: a supervisor may signal as soon as it sees it, and the server
        # installs its own handlers only once its loop starts.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: server.stop())
        base = f"http://{server.host}:{server.port}"
        print(f"Server started at {base}\n├─ REST API:  {base}/api/\n└─ Dashboard: {base}/_/", flush=True)

    try:
        app.serve(on_ready=ready)
    except (OSError, OverflowError) as ex:
        raise CliError(f"cannot listen on {config.http}: {_reason(ex)}") from ex
    return 0


def _superuser(app: PyBase, args: argparse.Namespace) -> int:
    from pybase.core.collections import SUPERUSERS
    from pybase.core.errors import NotFoundError, ValidationError

    core = app.core
    col = core.find_collection(SUPERUSERS)
    action, email = args.action, args.email
    try:
        existing = core.records.find_first(col, email=email)
        if action == "delete":
            if existing is None:
                # NOTE: PocketBase treats this as done (exit 0), so scripts can delete idempotently.
                print(f'superuser "{email}" is missing or already deleted')
                return 0
            core.delete(existing)
            print(f'Successfully deleted superuser "{email}"!')
            return 0
        if action == "create" and existing is not None:
            raise CliError(f"superuser {email} already exists")
        if action == "update" and existing is None:
            raise CliError(f"superuser {email} does not exist")
        record = existing or core.new_record(col, {"email": email})
        record.set_password_plain("password", args.password)
        core.save(record)
    except ValidationError as ex:
        details = "; ".join(f"{k}: {v.get('message', v)}" for k, v in ex.data.items())
        raise CliError(f"invalid superuser data: {details}") from ex
    except NotFoundError as ex:
        raise CliError(str(ex)) from ex
    finally:
        core.db.close()
    message = {
        "create": f'Successfully created new superuser "{email}"!',
        "upsert": f'Successfully saved superuser "{email}"!',
        "update": f'Successfully changed superuser "{email}" password!',
    }[action]
    print(message)
    return 0
