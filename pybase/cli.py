"""The command line: ``serve``, ``superuser``, ``migrate``, ``db copy``, ``version``. Parses, calls the app, maps errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pybase.config import DEFAULT_HTTP, Config
from pybase.version import VERSION
from pybase.workers import worker_context
from pybase.workers.context import MAX_WORKERS, SUPERVISE_ENV, ClusterError

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


def _add_common(parser: argparse.ArgumentParser) -> None:
    # NOTE: the flags are global as in PocketBase (``pybase --dir x serve`` and ``pybase serve
    # --dir x`` both work). Every default is SUPPRESS: only flags actually given reach the
    # Config, so options given to ``PyBase(...)`` hold unless the command line overrides them.
    s = argparse.SUPPRESS
    parser.add_argument("--dir", default=s, help="the data directory (default: pb_data beside the binary or in the working directory)")
    parser.add_argument("--dev", action="store_true", default=s, help="log more, serve the dashboard without caching")
    parser.add_argument("--hooksDir", default=s, help="the JS hooks directory (default: beside the data dir)")
    parser.add_argument("--migrationsDir", default=s, help="the migrations directory (default: beside the data dir)")
    parser.add_argument("--publicDir", default=s, help="static files served at / (default: beside the data dir)")
    parser.add_argument("--hooksPool", type=int, default=s, help="number of prewarmed JS contexts for pb_hooks (default 15)")
    parser.add_argument(
        "--hooksWatch", type=_bool_flag, default=s, metavar="BOOL",
        help="reload pb_hooks when a file changes (default true)",
    )
    parser.add_argument(
        "--automigrate", type=_bool_flag, default=s, metavar="BOOL",
        help="write a pb_migrations file when a collection changes through the API (default true)",
    )
    parser.add_argument(
        "--queryTimeout", type=int, default=s, metavar="SECONDS",
        help="stop a request's SQL statement after this many seconds (default 30)",
    )
    parser.add_argument(
        "--db", default=s, metavar="URL",
        help="the data database: postgres://user:pass@host:port/db (default: pb_data/data.db, SQLite; "
        "also read from PYBASE_DATABASE_URL)",
    )
    parser.add_argument(
        "--encryptionEnv", default=s, metavar="NAME",
        help="the environment variable whose value (32 characters) encrypts the stored settings (default none)",
    )


#: command-line flag -> Config field
_FLAG_FIELDS = {
    "dir": "data_dir", "dev": "dev", "hooksDir": "hooks_dir", "migrationsDir": "migrations_dir",
    "publicDir": "public_dir", "hooksPool": "hooks_pool", "hooksWatch": "hooks_watch",
    "automigrate": "automigrate", "http": "http", "origins": "origins", "queryTimeout": "query_timeout",
    "indexFallback": "index_fallback",
    "encryptionEnv": "encryption_env", "workers": "workers", "db": "database_url",
}

COPY_HELP = """\
what is copied:
  collections (system ones too) with their tables, indexes and records; the settings (as
  stored: encrypted stays encrypted); the migrations history; with --logs, the logs of
  auxiliary.db; view collections (their queries translated, their row counts compared).
  Tables made with SQL (a migration's CREATE TABLE): columns typed by SQLite's affinity,
  keys (an INTEGER PRIMARY KEY as an identity column that goes on after the copied rows),
  defaults, UNIQUE constraints, indexes, foreign keys, CHECK constraints and generated
  columns (their expressions translated with SQLite's meaning; a VIRTUAL one is STORED in
  Postgres, which computes the values), and their rows in insertion order. Views made with
  SQL (translated as view collections are, their row counts compared). A trigger made with
  SQL is named in a note, not carried: write it again as a PL/pgSQL trigger function.

what stops the copy before anything is written (each one named, with the reason):
  a view (collection or made with SQL), index, CHECK constraint or generated column Postgres
  cannot take, a virtual table (fts5...), a name longer than Postgres's 63 bytes, a target
  that already holds a pybase app (without --force), or a table there named like one of
  this app's.

output: a progress line per table on stderr, then each table's rows in SQLite and in
  Postgres, counted again once committed from a new connection (exit status 1 when they
  differ; a difference found before the commit rolls everything back).

not copied: record files (they stay in pb_data/storage or the S3 bucket).
"""
MIGRATE_HELP = """\
actions:
  up             apply every migration not applied yet (the default)
  down [n]       revert the last n applied migrations (default 1; -1: all)
  create NAME    write a blank migration pb_migrations/<unix ts>_<name>.js
  collections    write a migration with a snapshot of every collection
  history-sync   forget applied migrations whose files are gone
"""


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every command."""
    parser = _Parser(prog="pybase", description="A PocketBase-compatible backend in one file.")
    parser.add_argument("-v", "--version", action="version", version=f"pybase version {VERSION}")
    _add_common(parser)
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="start the web server")
    serve.add_argument("--http", default=argparse.SUPPRESS, help=f"TCP address to listen on (default {DEFAULT_HTTP})")
    serve.add_argument("--origins", default=argparse.SUPPRESS, help="CORS allowed origins, comma separated (default *)")
    serve.add_argument(
        "--workers", type=int, default=argparse.SUPPRESS, metavar="N",
        help="worker processes sharing the port and the data (default: the CPUs this process may use; 1: serve alone)",
    )
    serve.add_argument(
        "--indexFallback", type=_bool_flag, default=argparse.SUPPRESS, metavar="BOOL",
        help="answer unknown pb_public paths with its index.html (default true)",
    )

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

    migrate = sub.add_parser(
        "migrate", parents=[common], help="apply or revert migrations, write migration files",
        epilog=MIGRATE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    migrate.add_argument("action", nargs="?", default="up", metavar="ACTION", help="up, down, create, collections or history-sync")
    migrate.add_argument("args", nargs="*", metavar="ARG", help="the action's argument (down: a count, create: a name)")
    db = sub.add_parser("db", parents=[common], help="move the app's data to another database")
    db_sub = db.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION")
    copy = db_sub.add_parser(
        "copy", parents=[common], help="copy the SQLite app of --dir to a Postgres database",
        description="Copy the app of --dir (pb_data/data.db: collections, records, auth, settings, "
        "migrations history) to an empty Postgres database, in one transaction, with a count check. "
        "Record files stay in their storage.",
        epilog=COPY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the target: postgres://user:pass@host:port/db")
    copy.add_argument("--force", action="store_true", help="replace a pybase app already in the target database")
    copy.add_argument("--logs", action="store_true", help="copy the logs of auxiliary.db too")
    copy.add_argument(
        "--dry-run", action="store_true",
        help="check everything (target, schema, view queries, indexes, CHECK constraints, generated columns) and write nothing",
    )
    sub.add_parser("version", help="print the version")
    return parser


def default_workers() -> int:
    """The CPUs this process may use (``--workers`` default)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return min(max(1, cpus), MAX_WORKERS)


def _config(args: argparse.Namespace, options: dict[str, Any] | None) -> Config:
    given = {field: getattr(args, flag) for flag, field in _FLAG_FIELDS.items() if hasattr(args, flag)}
    if args.command == "serve" and "workers" not in given and "workers" not in (options or {}):
        given["workers"] = default_workers()
    if "workers" in given:
        given["workers"] = min(max(1, int(given["workers"])), MAX_WORKERS)
    if "hooks_pool" in given:
        given["hooks_pool"] = max(1, given["hooks_pool"])
    if "origins" in given:
        given["origins"] = [o.strip() for o in given["origins"].split(",") if o.strip()]
    return Config(**{**(options or {}), **given})


def main(
    argv: list[str] | None = None,
    app_factory: Callable[[Config], PyBase] | None = None,
    options: dict[str, Any] | None = None,
) -> int:
    """Entry point of the ``pybase`` command; returns the exit code.

    ``options`` are Config settings the command line may override (``PyBase(...)``'s own).
    """
    if os.environ.get(SUPERVISE_ENV):
        from pybase.workers.supervisor import main_from_env

        return main_from_env()  # NOTE: a framework app started again as the supervisor
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        if args.command == "version":
            print(f"pybase version {VERSION}")
            return 0
        if args.command == "superuser" and not args.action:
            raise CliError("missing superuser action (create, upsert, update, delete)")
        config = _config(args, options)
        if args.command == "db":
            return _db(args, config)
        if args.command == "serve":
            _check_address(config)
        if os.path.exists(config.data_dir) and not os.path.isdir(config.data_dir):
            raise CliError(f"the data directory {config.data_dir} is not a directory")
        if args.command == "serve" and config.workers > 1 and worker_context() is None:
            return _supervise(config)
        factory = app_factory or _default_app
        if args.command == "serve":
            # NOTE: before the hooks load, so what JS prints while bootstrapping reaches the log.
            _configure_logging(config)
        app = _open(factory, config)
        if args.command == "serve":
            return _serve(app, config)
        if args.command == "migrate":
            return _migrate(app, args.action, args.args)
        return _superuser(app, args)
    except CliError as ex:
        print(f"Error: {ex}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _open(factory: Callable[[Config], PyBase], config: Config) -> PyBase:
    """Make and bootstrap the app; what fails is said as a CliError."""
    # PERF: here, not at the top: ``pybase version`` and ``--help`` need none of pybase's layers
    from sqlalchemy.exc import DBAPIError

    from pybase.core.settings import SettingsLoadError
    from pybase.store.database_url import redacted

    try:
        app = factory(config)
        app.bootstrap()
    except (OSError, DBAPIError) as ex:
        if config.database_url and isinstance(ex, DBAPIError):
            raise CliError(f"cannot open the database {redacted(config.database_url)}: {_reason(ex)}") from ex
        raise CliError(f"cannot open the data directory {config.data_dir}: {_reason(ex)}") from ex
    except ValueError as ex:
        if not config.database_url:
            raise
        raise CliError(str(ex)) from ex
    except SettingsLoadError as ex:
        raise CliError(f"cannot load the settings: {ex.message}") from ex
    return app


def _reason(ex: BaseException) -> str:
    from sqlalchemy.exc import DBAPIError

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


def _supervise(config: Config) -> int:
    """``serve --workers N``: this process becomes the supervisor of N workers running this
    same command (it starts itself again, light, with the plan in its environment)."""
    from pybase.workers.supervisor import become_supervisor

    host, port = config.host_port()
    become_supervisor(host, port, config.workers, config.data_dir, config.dev)
    return 0  # pragma: no cover - exec does not return


def _configure_logging(config: Config) -> None:
    logging.basicConfig(level=logging.DEBUG if config.dev else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _serve(app: PyBase, config: Config) -> int:
    from pybase.store.migrations import MigrationError

    _configure_logging(config)

    def ready(server: Any) -> None:
        # NOTE: before the banner: a supervisor may signal as soon as it sees it, and the server
        # installs its own handlers only once its loop starts.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: server.stop())
        base = f"http://{server.host}:{server.port}"
        context = worker_context()
        if context is not None:
            # NOTE: the supervisor prints the banner once every worker serves; then worker 0
            # prints the installer link (as after the banner of a single process).
            runtime = app.worker_runtime
            if context.index == 0 and runtime is not None:
                runtime.after_banner(lambda: _print_installer_link(app, config, base))
            return
        print(f"Server started at {base}\n├─ REST API:  {base}/api/\n└─ Dashboard: {base}/_/", flush=True)
        _print_installer_link(app, config, base)

    try:
        # NOTE: as PocketBase, pending migrations are applied after bootstrap, before serving.
        app.run_migrations()
    except MigrationError as ex:
        raise CliError(str(ex)) from ex
    # NOTE: a backup restore stops the server, swaps pb_data, and starts this process again.
    app.core.restart = app.stop
    try:
        app.serve(on_ready=ready)
    except (OSError, OverflowError) as ex:
        raise CliError(f"cannot listen on {config.http}: {_reason(ex)}") from ex
    except ClusterError as ex:
        raise CliError(str(ex)) from ex
    if app.core.backups.pending_restore is not None:
        if worker_context() is not None:
            # NOTE: a worker restores once the others are gone; the supervisor restarts them all.
            from pybase.workers.worker import wait_alone

            if not wait_alone(app.core.data_dir):
                raise CliError("the other workers did not stop: the backup was not restored")
            app.core.backups.swap_in()
            return 0
        app.core.backups.swap_in()
        _restart_process()
    return 0


def _print_installer_link(app: PyBase, config: Config, base: str) -> None:
    """As PocketBase: with no superuser yet, a one-time link to create one in the dashboard."""
    from pybase.core.installer import installer_url

    if not os.path.isdir(config.dashboard_dir):
        print(f"You can create your first superuser by running: {sys.argv[0]} superuser upsert EMAIL PASS", flush=True)
        return
    url = installer_url(app.core, base)
    if url is None:
        return
    print(
        "\n(!) Launch the URL below in the browser to create your first superuser account:\n"
        f"{url}\n(you can also create your first superuser by running: {sys.argv[0]} superuser upsert EMAIL PASS)\n",
        flush=True,
    )


def _restart_process() -> None:
    """Replace this process with a fresh run of the same command line."""
    sys.stdout.flush()
    sys.stderr.flush()
    if getattr(sys, "frozen", False):
        os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
    os.execv(sys.executable, list(sys.orig_argv))


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


def _db(args: argparse.Namespace, config: Config) -> int:
    """``db copy``: the SQLite app of --dir copied to Postgres; exit 1 when the counts differ."""
    from pybase.core.db_copy import CopyError, copy_to_postgres
    from pybase.store.database_url import redacted
    from pybase.tools.progress import ProgressBar

    if args.action != "copy":
        raise CliError("missing db action (copy)")
    bar = ProgressBar(sys.stderr)
    try:
        report = copy_to_postgres(
            config.data_dir, args.to, force=args.force, logs=args.logs, dry_run=args.dry_run, progress=bar.update
        )
    except CopyError as ex:
        raise CliError(str(ex)) from ex
    if report.skipped:
        print(f"Not copied (not collections of this app): {', '.join(report.skipped)}", file=sys.stderr)
    if report.dry_run:
        print(f"Dry run: {redacted(args.to)} can take this app ({sum(c.source for c in report.tables):,} rows); nothing was written.")
        return 0
    width = max(len(c.name) for c in report.tables + report.views)
    print(f"{'table':<{width}}  {'sqlite':>10}  {'postgres':>10}")
    for count in report.tables + report.views:
        kind = " (view)" if count in report.views else ""
        status = "" if count.ok else "  MISMATCH"
        print(f"{count.name:<{width}}  {count.source:>10,}  {count.target:>10,}{kind}{status}")
    for note in report.notes:
        print(f"Note: {note}")
    if report.mismatches:
        print("Error: the row counts differ (see MISMATCH above)", file=sys.stderr)
        return 1
    print(f"Copied {report.rows:,} rows to {redacted(args.to)} in {report.seconds:.1f}s; the counts match.")
    return 0


def _confirm(message: str) -> bool:
    """PocketBase's yes/no prompt (default no), asked only when stdin is a terminal.

    NOTE: PocketBase also reads an answer from a non-terminal stdin (an empty one cancels);
    pybase goes ahead there so scripts and CI can run ``migrate down``/``create``.
    """
    if not sys.stdin.isatty():
        return True
    print(f"{message} (y/N) ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _announce_to_nodes(app: PyBase) -> None:
    """Nodes serving this Postgres database reload collections and settings; the command ends
    once they said so (a SQLite app has none)."""
    if not app.config.database_url:
        return
    from pybase.workers.cluster_calls import announce_change

    confirmed, live = announce_change(app.core.db)
    if live:
        print(f"{confirmed} of {live} running node(s) confirmed they reload collections and settings.")


def _migrate(app: PyBase, action: str, rest: list[str]) -> int:
    from pybase.store.migrations import MigrationError

    migrations = app.migrations()
    try:
        if action == "up":
            try:
                applied = migrations.up()
            except MigrationError as ex:
                for file in ex.done:
                    print(f"Applied {file}")
                if ex.done:
                    _announce_to_nodes(app)  # NOTE: the ones applied before the failure count too
                raise CliError(str(ex)) from ex
            for file in applied:
                print(f"Applied {file}")
            if not applied:
                print("No new migrations to apply.")
        elif action == "down":
            _migrate_down(migrations, rest)
        elif action in ("create", "collections"):
            if action == "create" and not rest:
                raise CliError("missing migration file name")
            name = rest[0] if action == "create" else "collections_snapshot"
            path = migrations.path_for(name)
            if not _confirm(f'Do you really want to create migration "{path}"?'):
                print("The command has been cancelled")
                return 0
            content = None if action == "create" else migrations.snapshot_content()
            migrations.write(path, content)
            print(f'Successfully created file "{path}"')
        elif action == "history-sync":
            migrations.history_sync()
            print("The _migrations table was synced with the available migrations.")
        else:
            raise CliError(f'unsupported command: "{action}"')
        if action in ("up", "down"):
            _announce_to_nodes(app)
    except ValueError as ex:
        raise CliError(str(ex)) from ex
    finally:
        migrations.close()
        app.core.db.close()
    return 0


def _migrate_down(migrations: Any, rest: list[str]) -> None:
    from pybase.store.migrations import MigrationError

    try:
        count = int(rest[0]) if rest else 1
    except ValueError as ex:
        raise CliError(f"invalid number of migrations to revert: {rest[0]!r}") from ex
    runner = migrations.runner()
    names = runner.last_applied(count if count >= 0 else len(runner.migrations))
    if not names:
        print("No migrations to revert.")
        return
    listing = "\n".join(names)
    if not _confirm(f"\n{listing}\nDo you really want to revert the last {len(names)} applied migration(s)?"):
        print("The command has been cancelled")
        return
    try:
        reverted = migrations.down(count)
    except MigrationError as ex:
        for file in ex.done:
            print(f"Reverted {file}")
        raise CliError(str(ex)) from ex
    for file in reverted:
        print(f"Reverted {file}")
