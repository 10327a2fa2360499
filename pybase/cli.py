"""The command line: ``serve``, ``superuser``, ``version``. Parses, calls the app, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.config import DEFAULT_HTTP, Config

if TYPE_CHECKING:
    from pybase.app import PyBase


class CliError(Exception):
    """A user-facing command failure (printed without a traceback)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # noqa: D102 - argparse API
        self.print_usage(sys.stderr)
        raise CliError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every command."""
    from pybase.app import VERSION

    parser = _Parser(prog="pybase", description="A PocketBase-compatible backend in one file.")
    parser.add_argument("-v", "--version", action="version", version=f"pybase version {VERSION}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default="", help="the data directory (default: pb_data beside the binary or in the working directory)")
    common.add_argument("--dev", action="store_true", help="log more, serve the dashboard without caching")
    common.add_argument("--hooksDir", default="", help="the JS hooks directory (default: beside the data dir)")
    common.add_argument("--migrationsDir", default="", help="the migrations directory (default: beside the data dir)")
    common.add_argument("--publicDir", default="", help="static files served at / (default: beside the data dir)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="start the web server")
    serve.add_argument("--http", default=DEFAULT_HTTP, help=f"TCP address to listen on (default {DEFAULT_HTTP})")
    serve.add_argument("--origins", default="*", help="CORS allowed origins, comma separated (default *)")

    su = sub.add_parser("superuser", help="manage superusers")
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
        config = Config(
            data_dir=args.dir,
            hooks_dir=args.hooksDir,
            migrations_dir=args.migrationsDir,
            public_dir=args.publicDir,
            dev=args.dev,
            **({"http": args.http, "origins": [o.strip() for o in args.origins.split(",") if o.strip()]} if args.command == "serve" else {}),
        )
        factory = app_factory or _default_app
        if args.command == "serve":
            return _serve(factory(config), config)
        if args.command == "superuser":
            if not args.action:
                raise CliError("missing superuser action (create, upsert, update, delete)")
            return _superuser(factory(config), args)
    except CliError as ex:
        print(f"Error: {ex}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _default_app(config: Config) -> PyBase:
    from pybase.app import PyBase

    return PyBase(config)


def _serve(app: PyBase, config: Config) -> int:
    logging.basicConfig(level=logging.DEBUG if config.dev else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config.host_port()
    except ValueError as ex:
        raise CliError(f"invalid --http address {config.http!r}") from ex

    def ready(server: Any) -> None:
        base = f"http://{server.host}:{server.port}"
        print(f"Server started at {base}\n├─ REST API:  {base}/api/\n└─ Dashboard: {base}/_/", flush=True)

    try:
        app.serve(on_ready=ready)
    except OSError as ex:
        raise CliError(f"cannot listen on {config.http}: {ex.strerror or ex}") from ex
    return 0


def _superuser(app: PyBase, args: argparse.Namespace) -> int:
    from pybase.core.collections import SUPERUSERS
    from pybase.core.errors import NotFoundError, ValidationError

    app.bootstrap()
    core = app.core
    col = core.find_collection(SUPERUSERS)
    action, email = args.action, args.email
    try:
        existing = core.records.find_first(col, email=email)
        if action == "delete":
            if existing is None:
                raise CliError(f"superuser {email} does not exist")
            core.delete(existing)
            print(f"Successfully deleted superuser {email}!")
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
    verb = {"create": "created", "upsert": "saved", "update": "updated"}[action]
    print(f"Successfully {verb} superuser {email}!")
    return 0
