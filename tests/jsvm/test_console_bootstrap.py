"""console.log in a hooks file's top-level code and in onBootstrap reaches the terminal before the
server has configured logging, as PocketBase's does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from pybase.app import PyBase
from pybase.config import Config
app = PyBase(Config(data_dir=sys.argv[1] + "/pb_data", http="127.0.0.1:0", hooks_dir=sys.argv[1] + "/pb_hooks"))
app.bootstrap()
"""


def test_console_output_at_load_and_bootstrap_reaches_stderr(tmp_path):
    hooks = tmp_path / "pb_hooks"
    hooks.mkdir()
    (hooks / "boot.pb.js").write_text(
        'console.log("loaded", 1 + 1);\n'
        'onBootstrap((e) => { e.next(); console.log("bootstrapped", $app.isBootstrapped()); });\n'
    )
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded 2" in done.stderr
    assert "bootstrapped true" in done.stderr
