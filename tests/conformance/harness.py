"""The differential harness: the same requests to pybase and to the real PocketBase, compared.

Both servers start from fresh, identical data dirs (a superuser ``admin@example.com``). A
:class:`Request` is sent to each; the answers are normalised (generated ids, dates near now,
tokens and secrets) and their status codes and JSON bodies compared exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import requests

from tests import testapp
from tests.data.filter_cases import (
    PASSWORD,
    SUPERUSER_EMAIL,
    add_superuser,
    pocketbase_binary,
    run_pocketbase,
)

ID_RE = re.compile(r"^[a-z0-9]{15}$")
LONG_DIGITS_RE = re.compile(rb"\d{20}")
# The ids cases choose themselves ("fixpost00000001", "fix999999999999"): not generated, so kept.
# NOTE: not just a "fix" prefix: a generated id starts with it one time in 46,656.
FIXED_ID_RE = re.compile(r"^fix(?:[a-z]*0{2,}\d+|\d+)$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$")
JWT_RE = re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$")
# The id of a view field cloned from its source column: random on each server by design.
CLONE_ID_RE = re.compile(r"^_clone_[A-Za-z0-9]{4}$")
# Index names that end in a random suffix (system indexes of a scaffold or a new auth collection).
RANDOM_INDEX_RE = re.compile(r"(INDEX `idx_\w+?_)[a-z0-9]{10}`")
# Keys holding generated record ids (recordRef: the superuser's own id in _authOrigins rows).
ID_KEYS = frozenset({"id", "recordRef"})
# Values that differ between any two servers by design: they are compared by shape only.
SECRET_KEYS = frozenset({"token", "secret", "tokenKey"})
NEAR_NOW = timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class Request:
    """One HTTP request as a case sends it to both servers.

    ``json`` is sent as a JSON body, ``form`` (a list of name/value pairs, values str or
    ``(filename, bytes, content type)``) as multipart/form-data and ``raw`` as given with
    ``content_type``. ``who`` is ``superuser``, ``anon`` or a name given to :meth:`Target.login`.
    """

    method: str
    path: str
    json: Any = None
    form: tuple[tuple[str, Any], ...] | None = None
    raw: bytes | None = None
    content_type: str | None = None
    who: str = "superuser"
    headers: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass
class Answer:
    """A normalised answer: status and JSON body (or the text when it is not JSON)."""

    status: int
    body: Any

    def __str__(self) -> str:
        try:
            text = orjson.dumps(self.body, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # NOTE: an integer past 64 bits
            text = json.dumps(self.body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return f"{self.status} {text[:1500]}"


class Target:
    """One server under test, with a keep-alive session and the auth tokens of its callers."""

    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.tokens: dict[str, str] = {}

    def login(self, who: str, collection: str, identity: str, password: str = PASSWORD) -> None:
        """Sign in and keep the token under ``who``."""
        resp = self.session.post(
            f"{self.base_url}/api/collections/{collection}/auth-with-password",
            json={"identity": identity, "password": password},
            timeout=30,
        )
        if resp.status_code != 200:
            raise AssertionError(f"{self.name}: sign-in of {identity} failed: {resp.status_code} {resp.text}")
        self.tokens[who] = resp.json()["token"]

    def send(self, req: Request) -> requests.Response:
        """Send ``req`` as its caller."""
        headers = dict(req.headers)
        if req.who != "anon" and "Authorization" not in headers:
            headers["Authorization"] = self.tokens[req.who]
        kwargs: dict[str, Any] = {"headers": headers, "timeout": 60}
        if req.raw is not None:
            kwargs["data"] = req.raw
            if req.content_type is not None:
                headers["Content-Type"] = req.content_type
        elif req.form is not None:
            kwargs["files"] = [
                (name, value if isinstance(value, tuple) else (None, value)) for name, value in req.form
            ]
        elif req.json is not None:
            try:
                kwargs["data"] = orjson.dumps(req.json)
            except TypeError:  # NOTE: an integer past 64 bits, sent with all its digits
                kwargs["data"] = json.dumps(req.json, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        return self.session.request(req.method, self.base_url + req.path, **kwargs)

    def ask(self, req: Request) -> Answer:
        """Send ``req`` and normalise the answer."""
        return normalise(self.send(req))

    def ok(self, method: str, path: str, json: Any = None) -> Any:
        """A superuser request that must succeed (case setup); returns the JSON body."""
        resp = self.send(Request(method, path, json=json))
        if resp.status_code >= 300:
            raise AssertionError(f"{self.name}: {method} {path}: {resp.status_code} {resp.text[:800]}")
        return resp.json() if resp.content else None


def normalise(resp: requests.Response) -> Answer:
    """Status and body with the values that differ by design replaced by placeholders."""
    if not resp.content:
        return Answer(resp.status_code, None)
    try:
        body = orjson.loads(resp.content)
    except orjson.JSONDecodeError:
        return Answer(resp.status_code, {"<text>": resp.text[:200]})
    if LONG_DIGITS_RE.search(resp.content):
        # NOTE: orjson reads an integer past 64 bits as a float: read again, every digit kept
        body = json.loads(resp.content)
    generated: dict[str, str] = {}
    _collect_ids(body, generated)
    return Answer(resp.status_code, _replace(body, generated, datetime.now(UTC)))


def _collect_ids(value: Any, generated: dict[str, str]) -> None:
    """Generated record ids, numbered by first appearance (``ID_KEYS`` only)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ID_KEYS and isinstance(item, str) and ID_RE.match(item) and not FIXED_ID_RE.match(item):
                generated.setdefault(item, f"<id{len(generated) + 1}>")
            _collect_ids(item, generated)
    elif isinstance(value, list):
        for item in value:
            _collect_ids(item, generated)


def _replace(value: Any, generated: dict[str, str], now: datetime, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, generated, now, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, generated, now, key) for v in value]
    if isinstance(value, str):
        if key in SECRET_KEYS and value:
            return "<secret>"
        if key == "id" and CLONE_ID_RE.match(value):
            return "_clone_<random>"
        if value in generated:
            return generated[value]
        if JWT_RE.match(value):
            return "<jwt>"
        if value.startswith("CREATE "):
            return RANDOM_INDEX_RE.sub(r"\1<random>`", value)
        if DATE_RE.match(value):
            when = datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%fZ").replace(tzinfo=UTC)
            if abs(when - now) < NEAR_NOW:
                return "<now>"
    return value


# ---- the two servers -----------------------------------------------------------------------

PB_REQUIRED_IN_CI = "CI"


def pocketbase_or_skip() -> str:
    """The PocketBase binary; on CI its absence is a failure, elsewhere a skip."""
    import pytest

    binary = pocketbase_binary()
    if binary is None:
        if os.environ.get(PB_REQUIRED_IN_CI):
            pytest.fail("the conformance suite needs PYBASE_PB_BINARY (scripts/test.sh installs it)")
        pytest.skip("set PYBASE_PB_BINARY to a PocketBase 0.40 binary (scripts/test.sh does)")
    return binary


@dataclasses.dataclass
class Pair:
    """The real PocketBase and pybase, each signed in as the superuser."""

    pb: Target
    py: Target
    prepared: set[str] = dataclasses.field(default_factory=set)

    def first_time(self, data_set: str) -> bool:
        """True once per data set: a table's setup runs once however many tests share the pair."""
        if data_set in self.prepared:
            return False
        self.prepared.add(data_set)
        return True

    @property
    def targets(self) -> tuple[Target, Target]:
        """Both servers, PocketBase first."""
        return (self.pb, self.py)

    def ok(self, method: str, path: str, json: Any = None) -> tuple[Any, Any]:
        """A setup request that must succeed on both; the two JSON bodies."""
        return self.pb.ok(method, path, json), self.py.ok(method, path, json)

    def ask(self, req: Request) -> tuple[Answer, Answer]:
        """The normalised answers of PocketBase and pybase to ``req``."""
        return self.pb.ask(req), self.py.ask(req)


@contextlib.contextmanager
def running_pair(database_url: str = "") -> Iterator[Pair]:
    """Start PocketBase and pybase on fresh data dirs; stop both afterwards. With
    ``database_url``, pybase keeps its data in that (empty) Postgres database."""
    binary = pocketbase_or_skip()
    with tempfile.TemporaryDirectory(prefix="pybase_conformance_") as tmp, run_pocketbase(binary) as pb_url:
        server = testapp.start_server(Path(tmp), None, database_url)
        try:
            add_superuser(server)
            pair = Pair(Target("PocketBase", pb_url), Target("pybase", server.base_url))
            for target in pair.targets:
                target.login("superuser", "_superusers", SUPERUSER_EMAIL)
            yield pair
        finally:
            server.stop()


def key_orders(value: Any) -> Any:
    """The keys of every object in ``value``, in the order the answer wrote them."""
    if isinstance(value, dict):
        return [list(value), *(key_orders(v) for v in value.values() if isinstance(v, dict | list))]
    if isinstance(value, list):
        return [key_orders(v) for v in value if isinstance(v, dict | list)]
    return []


def difference(pb: Answer, py: Answer) -> str | None:
    """A readable description of how the answers differ, or None when they are the same."""
    if pb.status == py.status and pb.body == py.body:
        return None
    return f"\n  PocketBase: {pb}\n  pybase:     {py}"


# ---- view cases asked together -------------------------------------------------------------------

#: the answers of one case's view as if it had been saved alone: PocketBase's and pybase's
#: answers to saving it, then to listing it
ViewAnswers = tuple[Answer, Answer, Answer, Answer]
_view_batches: dict[str, tuple[Pair, dict[str, ViewAnswers | None]]] = {}


def view_columns(
    pair: Pair, key: str, cases: list[tuple[str, str]], query: Any, names: Iterator[str], *, parens: bool = False, picked: bool = True,
    batch: int = 24,
) -> dict[str, ViewAnswers | None]:
    """Cases (label, expression) shown as the columns of one view per ``batch`` on both servers:
    label -> the answers as if the case's view (its column named ``v``) had been saved and listed
    alone, or None for a case to ask alone (PERF: a view per case made the view suites the
    slowest of CI). A view that either server fails to save or list is split in halves down to
    the single case. ``query(columns)`` is the view's query of ``columns`` ("(e0) AS v0, ...");
    ``names`` gives view names; ``key`` names the case list (once per pair); ``parens``: each
    expression written in parentheses (as the case's own view writes it: PocketBase types a
    bare column reference by its field, a parenthesized one as json); ``picked``: listed with
    ``fields=`` (PocketBase then decodes the records again: a number through a double)."""
    known = _view_batches.get(key)
    if known is None or known[0] is not pair:
        found: dict[str, ViewAnswers | None] = {}
        for start in range(0, len(cases), batch):
            _view_batch(pair, cases[start : start + batch], query, names, found, (parens, picked))
        known = _view_batches[key] = (pair, found)
    return known[1]


def _view_batch(
    pair: Pair, cases: list[tuple[str, str]], query: Any, names: Iterator[str], found: dict[str, ViewAnswers | None], how: tuple[bool, bool]
) -> None:
    if len(cases) == 1:
        found[cases[0][0]] = None
        return
    name = next(names)
    parens, picked = how
    columns = ", ".join(f"({expression}) AS v{k}" if parens else f"{expression} AS v{k}" for k, (_label, expression) in enumerate(cases))
    pb, py = pair.ask(Request("POST", "/api/collections", json={"name": name, "type": "view", "viewQuery": query(columns)}))
    if pb.status == py.status == 200:
        fields = "&fields=" + ",".join(["id", *(f"v{k}" for k in range(len(cases)))]) if picked else ""
        pb_list, py_list = pair.ask(Request("GET", f"/api/collections/{name}/records?sort=id&perPage=50{fields}"))
        if pb_list.status == py_list.status == 200:
            for k, (label, _expression) in enumerate(cases):
                found[label] = tuple(_one_column(answer, f"v{k}") for answer in (pb, py, pb_list, py_list))  # type: ignore[assignment]
            return
    half = len(cases) // 2
    _view_batch(pair, cases[:half], query, names, found, how)
    _view_batch(pair, cases[half:], query, names, found, how)


def _one_column(answer: Answer, column: str) -> Answer:
    """A batch view's answer as the one-case view's: its ``column`` named v, the others left out."""
    body = dict(answer.body)
    if "fields" in body:
        body["fields"] = [{**f, "name": "v"} if f["name"] == column else f for f in body["fields"] if f["name"] in ("id", column)]
    if "items" in body:
        body["items"] = [{"id": item["id"], "v": item[column]} for item in body["items"]]
    return Answer(answer.status, body)


def view_fields(body: Any) -> Any:
    """A view's saved fields as (name, type) pairs (ids and timestamps aside), or the body of an
    answer without fields (a refusal)."""
    return [(f["name"], f["type"]) for f in body["fields"]] if isinstance(body, dict) and "fields" in body else body


def rounded(answer: Answer, digits: int = 12) -> Answer:
    """Numbers to ``digits`` significant digits: the last digits of a logarithm or a cosine
    differ between C libraries (PocketBase's SQLite is Go's, pybase's the system's)."""

    def one(value: Any) -> Any:
        if isinstance(value, float):
            return float(f"{value:.{digits}g}")
        if isinstance(value, dict):
            return {k: one(v) for k, v in value.items()}
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return Answer(answer.status, one(answer.body))


def compare_together(batched: ViewAnswers | None, name: str, *, round_to: int | None = None, known_fields: bool = False) -> bool:
    """Compare a case's answers asked together with others (:func:`view_columns`): the saved
    views' fields equal, then the listings through ``known.explain`` under ``name`` (numbers to
    ``round_to`` significant digits when given). ``known_fields``: a difference of the fields too
    may be a known one (explained under ``name``; the listings are then not compared). False
    when the case must be asked alone (``batched`` is None)."""
    from tests.conformance.known import explain  # NOTE: known.py imports this module

    if batched is None:
        return False
    pb, py, pb_list, py_list = batched
    if (pb.status, view_fields(pb.body)) != (py.status, view_fields(py.body)):
        assert known_fields, difference(pb, py)
        explain(name, pb, py, difference(pb, py))
        return True
    if round_to is not None:
        pb_list, py_list = rounded(pb_list, round_to), rounded(py_list, round_to)
    explain(name, pb_list, py_list, difference(pb_list, py_list))
    return True
