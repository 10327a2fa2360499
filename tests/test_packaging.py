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


def test_a_served_app_loads_no_crypto_bindings_until_needed(tmp_path: Path) -> None:
    """Every worker process pays for what it imports: PyJWT pulls in the cryptography bindings
    (~14 MB), which only rare paths need (RS256/ES256 tokens, settings encryption); psycopg
    (~22 MB) only Postgres needs; sqlglot (~14 MB) only a saved index or view (a new data dir's
    system collections: the second start, as a worker's, needs none)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pybase.app import PyBase\n"
        f"app = PyBase(data_dir={str(tmp_path / 'pb_data')!r})\n"
        "app.bootstrap()\n"
        "app.wsgi()\n"
        "heavy = ('jwt', 'cryptography', 'unittest', 'psycopg', 'sqlglot')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    for _start in range(2):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stdout
