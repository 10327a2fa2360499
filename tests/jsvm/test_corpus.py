"""The corpus: real ``pb_hooks``/``pb_migrations`` files, run on pybase and beside the real PocketBase.

Each case is a folder of ``tests/jsvm/corpus/`` with ``pb_hooks/`` (and maybe ``pb_migrations/``)
and a ``case.json``::

    {"source": "where the files come from",
     "pending": "issue #N: why pybase can't do it yet"   (optional),
     "requests": [{"method": "GET", "path": "/x", "json": {...}, "who": "superuser" | "anon",
                   "expect": {"status": 200, "body": {...fragment...}, "text": "substring"},
                   "keyOrder": true   (optional: objects' keys must come in the same order;
                                       "nested": but the top object's),
                   "compareContentType": true, "compareHeaders": ["Location", ...]   (optional:
                             these headers of the answers compared too),
                   "known": "why pybase answers otherwise on purpose"   (optional: the answers
                             must still differ; a PocketBase artefact not worth copying)}]}

On pybase every ``expect`` is checked (no PocketBase needed). With ``PYBASE_PB_BINARY`` set
(``scripts/test.sh`` installs it; on CI its absence fails, as the conformance suite) the same
files also run on PocketBase, and every answer must be the same after normalising generated
ids, dates and tokens, with pybase on SQLite and on Postgres (issue #17). ``test_report`` prints
how many runs behave the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pybase.app import PyBase
from pybase.config import Config
from tests.conformance.harness import (
    FIXED_ID_RE,
    ID_RE,
    Answer,
    Request,
    Target,
    difference,
    key_orders,
    normalise,
    pocketbase_or_skip,
)
from tests.data.filter_cases import PASSWORD, SUPERUSER_EMAIL, _free_port

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").is_file())
_RESULTS: dict[str, bool] = {}


def _load(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / name / "case.json").read_text(encoding="utf-8"))


def _copy_case(name: str, parent: Path) -> tuple[Path, Path]:
    hooks, migrations = parent / "pb_hooks", parent / "pb_migrations"
    for sub, target in (("pb_hooks", hooks), ("pb_migrations", migrations)):
        source = CORPUS / name / sub
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir()
    return hooks, migrations


@contextlib.contextmanager
def _pybase(name: str, database_url: str = "") -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="pybase_corpus_") as tmp:
        parent = Path(tmp)
        hooks, migrations = _copy_case(name, parent)
        config = Config(
            data_dir=str(parent / "pb_data"), http="127.0.0.1:0", public_dir=str(parent / "pb_public"),
            hooks_dir=str(hooks), migrations_dir=str(migrations), hooks_pool=2, database_url=database_url,
        )
        pybase = PyBase(config)
        pybase.bootstrap()
        su = pybase.core.new_record("_superusers", {"email": SUPERUSER_EMAIL})
        su.set_password_plain("password", PASSWORD)
        pybase.core.save(su)
        server = pybase.serve_in_thread()
        try:
            target = Target("pybase", f"http://127.0.0.1:{server.port}")
            target.login("superuser", "_superusers", SUPERUSER_EMAIL)
            yield target
        finally:
            pybase.stop()


@contextlib.contextmanager
def _pocketbase(name: str, binary: str) -> Iterator[Target]:
    parent = Path(tempfile.mkdtemp(prefix="pb_corpus_"))
    try:
        hooks, migrations = _copy_case(name, parent)
        data_dir = parent / "pb_data"
        subprocess.run(
            [binary, "superuser", "upsert", SUPERUSER_EMAIL, PASSWORD, "--dir", str(data_dir),
             "--migrationsDir", str(migrations), "--hooksDir", str(hooks)],
            check=True, capture_output=True, cwd=parent, timeout=60,
        )  # fmt: skip
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data_dir),
             "--hooksDir", str(hooks), "--migrationsDir", str(migrations)],
            cwd=parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(url + "/api/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"PocketBase did not start for corpus case {name}")
                time.sleep(0.1)
            target = Target("PocketBase", url)
            target.login("superuser", "_superusers", SUPERUSER_EMAIL)
            yield target
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def _request(item: dict[str, Any]) -> Request:
    headers = tuple((k, v) for k, v in (item.get("headers") or {}).items())
    raw = item["raw"].encode() if isinstance(item.get("raw"), str) else None
    return Request(
        item.get("method", "GET"), item["path"], json=item.get("json"), raw=raw,
        content_type=item.get("contentType"), who=item.get("who", "superuser"), headers=headers,
    )


def _contains(actual: Any, fragment: Any) -> bool:
    if isinstance(fragment, dict):
        return isinstance(actual, dict) and all(k in actual and _contains(actual[k], v) for k, v in fragment.items())
    if isinstance(fragment, list):
        return isinstance(actual, list) and len(actual) == len(fragment) and all(
            _contains(a, f) for a, f in zip(actual, fragment, strict=True)
        )
    return bool(actual == fragment)


def _check_expect(item: dict[str, Any], answer: Answer, raw: requests.Response) -> str | None:
    expect = item.get("expect") or {}
    where = f"{item.get('method', 'GET')} {item['path']}"
    if "status" in expect and answer.status != expect["status"]:
        return f"{where}: status {answer.status}, expected {expect['status']}: {raw.text[:500]}"
    if "body" in expect and not _contains(answer.body, expect["body"]):
        return f"{where}: body {json.dumps(answer.body)[:800]}\n  does not contain {json.dumps(expect['body'])}"
    if "text" in expect and expect["text"] not in raw.text:
        return f"{where}: {raw.text[:300]!r} lacks {expect['text']!r}"
    if "contentType" in expect and not raw.headers.get("Content-Type", "").startswith(expect["contentType"]):
        return f"{where}: Content-Type {raw.headers.get('Content-Type')!r}, expected {expect['contentType']!r}"
    return None


_CLONE_ID_RE = re.compile(r"^_clone_[A-Za-z0-9]{4}$")


def _random_ids(value: Any) -> Any:
    """Ids both servers pick at random by design (a view field cloned from its source column,
    generated record ids wherever they appear)."""
    if isinstance(value, dict):
        return {k: _random_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_random_ids(v) for v in value]
    if isinstance(value, str) and _CLONE_ID_RE.match(value):
        return "<clone id>"
    if isinstance(value, str) and ID_RE.match(value) and not FIXED_ID_RE.match(value):
        return "<generated id>"  # NOTE: also outside "id" keys (relation values)
    return value


def _ask(target: Target, item: dict[str, Any]) -> tuple[Answer, requests.Response]:
    """Send a case request (redirects not followed) and normalise the answer."""
    req = _request(item)
    headers = dict(req.headers)
    if req.who != "anon":
        headers["Authorization"] = target.tokens[req.who]
    kwargs: dict[str, Any] = {"headers": headers, "timeout": 60, "allow_redirects": False}
    if req.raw is not None:
        kwargs["data"] = req.raw
        if req.content_type is not None:
            headers["Content-Type"] = req.content_type
    elif req.json is not None:
        kwargs["json"] = req.json
    raw = target.session.request(req.method, target.base_url + req.path, **kwargs)
    answer = Answer(raw.status_code, _random_ids(normalise(raw).body))
    if item.get("compareContentType"):
        answer = Answer(answer.status, {"body": answer.body, "contentType": raw.headers.get("Content-Type")})
    if item.get("compareHeaders"):
        headers = {name: raw.headers.get(name) for name in item["compareHeaders"]}
        answer = Answer(answer.status, {"body": answer.body, "headers": headers})
    if item.get("keyOrder"):
        body = answer.body
        orders = key_orders(body)
        if item["keyOrder"] == "nested" and isinstance(body, dict):
            # NOTE: a Go map at the top, its keys in no set order: its values' orders by key
            orders = {key: key_orders(body[key]) for key in body}
        answer = Answer(answer.status, {"body": answer.body, "keyOrder": orders})
    return answer, raw



@pytest.mark.parametrize("name", CASES)
def test_case_on_pybase(name):
    """Every expectation of the case holds on pybase."""
    case = _load(name)
    problems = []
    with _pybase(name) as py:
        for item in case["requests"]:
            answer, raw = _ask(py, item)
            problem = _check_expect(item, answer, raw)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def _keyed_difference(pb: Answer, py: Answer) -> str | None:
    """:func:`difference`, narrowed to the differing keys when both bodies are objects (the
    sweep cases answer a table of results in one object)."""
    diff = difference(pb, py)
    if diff is None or pb.status != py.status or not isinstance(pb.body, dict) or not isinstance(py.body, dict):
        return diff
    keys = [k for k in {**pb.body, **py.body} if pb.body.get(k, "<absent>") != py.body.get(k, "<absent>")]
    return "".join(
        f"\n  [{k}] PocketBase: {json.dumps(pb.body.get(k, '<absent>'))[:1500]}\n  [{k}] pybase:     {json.dumps(py.body.get(k, '<absent>'))[:1500]}"
        for k in keys
    )


@pytest.mark.both_backends
@pytest.mark.parametrize("name", CASES)
def test_case_beside_pocketbase(name, backend, databases):
    """The same hook files answer the same on PocketBase and on pybase (on either database)."""
    binary = pocketbase_or_skip()
    case = _load(name)
    diffs = []
    url = databases.new(backend)
    with contextlib.ExitStack() as stack:
        stack.callback(databases.drop, url)
        pb = stack.enter_context(_pocketbase(name, binary))
        py = stack.enter_context(_pybase(name, url))
        for item in case["requests"]:
            pb_answer, _ = _ask(pb, item)
            py_answer, _ = _ask(py, item)
            if item.get("compare", True):
                diff = _keyed_difference(pb_answer, py_answer)
                where = f"{item.get('method', 'GET')} {item['path']}"
                if item.get("known"):
                    # NOTE: a known difference must still differ (drop the entry once they agree)
                    if diff is None:
                        diffs.append(f"{where}: answers as PocketBase now; drop its 'known': {item['known']}")
                elif diff:
                    diffs.append(f"{where}:{diff}")
    _RESULTS[f"{name} ({backend})"] = not diffs
    assert not diffs, "\n".join(diffs)


def test_report():
    """How many corpus cases behave as on PocketBase (pytest -s prints it)."""
    pocketbase_or_skip()  # NOTE: a failure under CI, as every comparison with PocketBase
    same = sum(1 for ok in _RESULTS.values() if ok)
    print(f"\ncorpus: {same}/{len(_RESULTS)} runs behave as on PocketBase ({len(CASES)} cases, each on every database)")
    assert os.environ.get("CI") is None or _RESULTS, "no corpus case ran beside PocketBase"
