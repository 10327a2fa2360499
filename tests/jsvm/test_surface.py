"""The declared JS surface vs what a context really has, and the generated types.d.ts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import quickjs

from pybase.core.app import App
from pybase.core.app_hooks import HOOKS
from pybase.jsvm import surface, typings
from pybase.jsvm.pool import Executor
from pybase.jsvm.runtime import JsRuntime
from tests.jsvm.conftest import HooksServerFactory

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "hooks_runtime" / "types.d.ts"
JS_HOOKS = {spec.js_name for spec in HOOKS if spec.js}


@pytest.fixture
def executor(tmp_path):
    (tmp_path / "pb_hooks").mkdir()
    app = App(str(tmp_path / "pb_data"))
    runtime = JsRuntime(app, str(tmp_path / "pb_hooks"), str(ROOT / "hooks_runtime"), pool_size=0)
    yield Executor(runtime)
    runtime.close()


def _installed_globals(ctx: quickjs.Context) -> set[str]:
    builtin = set(json.loads(quickjs.Context().eval("JSON.stringify(Object.getOwnPropertyNames(globalThis))")))
    names = set(json.loads(ctx.eval("JSON.stringify(Object.getOwnPropertyNames(globalThis))")))
    return names - builtin


def test_the_committed_types_file_is_fresh():
    fresh = typings.generate()
    assert COMMITTED.read_text(encoding="utf-8") == fresh, "hooks_runtime/types.d.ts is stale: run python scripts/gen_jstypes.py"


def test_gen_jstypes_check_mode_agrees():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_jstypes.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_installed_global_is_declared_and_every_declared_one_is_installed(executor):
    installed = _installed_globals(executor.ctx)
    declared = {g.name for g in surface.GLOBALS} | JS_HOOKS
    internal = installed & surface.INTERNAL
    assert installed - internal == declared
    assert len(installed - internal) == len(surface.GLOBALS) + len(JS_HOOKS)


@pytest.mark.parametrize("glob", [g for g in surface.GLOBALS if g.kind in ("object", "class")], ids=lambda g: g.name)
def test_members_of_each_global_match_the_declaration(executor, glob):
    if glob.kind == "object":
        script = f"JSON.stringify(Object.keys({glob.name}))"
    else:
        script = f"JSON.stringify(Object.getOwnPropertyNames({glob.name}.prototype).filter((k) => k !== 'constructor'))"
    actual = set(json.loads(executor.ctx.eval(script)))
    assert actual == {name for name, _ in glob.members}


def test_every_js_hook_is_typed_with_its_event():
    text = COMMITTED.read_text(encoding="utf-8")
    for spec in HOOKS:
        line = f"declare function {spec.js_name}(handler: (e: {spec.event.__name__}) => void"
        assert (line in text) == spec.js, spec.js_name
        if spec.js:
            assert f"interface {spec.event.__name__}" in text


def test_types_file_goes_to_pb_data_and_empty_hooks_files_get_the_reference(hooks_server: HooksServerFactory, tmp_path):
    srv = hooks_server({"empty.pb.js": "", "full.pb.js": "// mine\n"})
    written = tmp_path / "pb_data" / "types.d.ts"
    assert written.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    hooks = tmp_path / "pb_hooks"
    assert (hooks / "empty.pb.js").read_text() == '/// <reference path="../pb_data/types.d.ts" />\n\n'
    assert (hooks / "full.pb.js").read_text() == "// mine\n"
    assert srv.pybase.jsvm.last_error is None


# Values of these types, made in a real context: their members must be the declared ones.
_TYPE_SAMPLES = {
    "Logger": "$app.logger()",
    "DbBuilder": "$app.db()",
    "Query": "$app.db().newQuery('SELECT 1')",
    "SelectQuery": "$app.db().select('id')",
}


@pytest.mark.parametrize("type_name", sorted(_TYPE_SAMPLES))
def test_members_of_each_type_match_the_declaration(executor, type_name):
    sample = _TYPE_SAMPLES[type_name]
    script = (
        f"(function () {{ const v = {sample}; const names = new Set(Object.keys(v));"
        " let p = Object.getPrototypeOf(v);"
        " while (p && p !== Object.prototype) { Object.getOwnPropertyNames(p).forEach((n) => n !== 'constructor' && names.add(n)); p = Object.getPrototypeOf(p); }"
        " return JSON.stringify([...names].filter((n) => typeof v[n] === 'function')); })()"
    )
    actual = set(json.loads(executor.ctx.eval(script)))
    declared = {name for name, decl in surface.TYPES_BY_NAME[type_name].members if "(" in decl.split(":")[0]}
    assert actual == declared
