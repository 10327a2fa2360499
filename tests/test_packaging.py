"""`pip install .` ships every package: pyproject lists them by hand (two live outside pybase/)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "pybase").rglob("__init__.py")
    }
    missing = sorted(on_disk - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


# what only an app on Postgres needs (view translation, backups, db copy): an app on SQLite
# imports none of it (~0.8 MB a worker process, 24 modules)
POSTGRES_ONLY = (
    "pybase.store.view_sql", "pybase.store.view_compare", "pybase.store.sqlite_functions", "pybase.store.pg_views",
    "pybase.store.view_functions", "pybase.store.sqlite_functions_base", "pybase.store.view_kinds", "pybase.store.view_branches",
    "pybase.store.pg_objects", "pybase.store.pg_tables", "pybase.core.db_copy", "pybase.core.backups.postgres",
    "pybase.core.backups.postgres_dump", "pybase.core.backups.postgres_restore",
)


def test_a_served_app_loads_no_crypto_bindings_until_needed(tmp_path: Path) -> None:
    """Every worker process pays for what it imports: PyJWT pulls in the cryptography bindings
    (~14 MB), which only rare paths need (RS256/ES256 tokens, settings encryption); psycopg
    (~22 MB) and POSTGRES_ONLY only Postgres needs; sqlglot (~14 MB) only a saved index or view
    (a new data dir's system collections: the second start, as a worker's, needs none);
    html.parser and html's entities (~0.6 MB) only a mail with an HTML body alone."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pybase.app import PyBase\n"
        f"app = PyBase(data_dir={str(tmp_path / 'pb_data')!r})\n"
        "app.bootstrap()\n"
        "app.wsgi()\n"
        f"heavy = ('jwt', 'cryptography', 'unittest', 'psycopg', 'sqlglot', 'html.parser', *{POSTGRES_ONLY!r})\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    for _start in range(2):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout


def test_collection_saves_and_requests_on_sqlite_load_no_sqlglot(tmp_path: Path) -> None:
    """A worker that saved a base or auth collection (with plain indexes), created auth records
    (their unique indexes are checked) and ran a batch loads neither sqlglot (~14 MB: a view or
    an index expression needs it) nor falcon.testing's unittest (~3 MB), nor what only Postgres
    needs (POSTGRES_ONLY), nor html.parser (mail/html_text.py)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from pathlib import Path\n"
        "from tests.testapp import build_fixture, start_server\n"
        f"tmp = Path({str(tmp_path)!r})\n"
        "build_fixture(tmp / 'template')\n"
        "srv = start_server(tmp, tmp / 'template')\n"
        "su = {'Authorization': srv.token('superuser')}\n"
        "def ok(method, path, body):\n"
        "    r = srv.request(method, path, json=body, headers=su)\n"
        "    assert r.status_code in (200, 204), r.text\n"
        "ok('POST', '/api/collections', {'name': 'things', 'type': 'base', 'fields': [{'name': 'title', 'type': 'text'}],\n"
        "   'indexes': ['CREATE UNIQUE INDEX `idx_things_title` ON `things` (`title` COLLATE NOCASE) WHERE `title` != \\'\\'']})\n"
        "ok('POST', '/api/collections', {'name': 'members', 'type': 'auth', 'fields': []})\n"
        "ok('POST', '/api/collections/members/records', {'email': 'a@example.com', 'password': 'pass12345678', 'passwordConfirm': 'pass12345678'})\n"
        "ok('PATCH', '/api/settings', {'batch': {'enabled': True}})\n"
        "ok('POST', '/api/batch', {'requests': [{'method': 'POST', 'url': '/api/collections/things/records', 'body': {'title': 'x'}}]})\n"
        "srv.stop()\n"
        f"heavy = ('sqlglot', 'unittest', 'html.parser', *{POSTGRES_ONLY!r})\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout


def test_the_supervisor_loads_little() -> None:
    """The supervisor of ``serve --workers N`` holds no app: what it imports counts in the RSS
    of every multi-worker server (OpenSSL through hmac/secrets ~6 MB, SQLAlchemy ~15 MB)."""
    import subprocess
    import sys

    from pybase.tools.security import ALPHANUMERIC
    from pybase.workers.supervisor import WORKER_NAME_ALPHABET

    assert WORKER_NAME_ALPHABET == ALPHANUMERIC
    code = (
        "import sys\n"
        "from pybase.__main__ import main\n"
        "from pybase.workers.supervisor import main_from_env\n"
        "heavy = ('_hashlib', 'hmac', 'secrets', 'sqlalchemy', 'falcon', 'waitress', 'pybase.app', 'pybase.core')\n"
        "print(','.join(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout
