"""``POST /api/batch`` generated from tables: settings x body shapes, and every sub-request
action x outcome x position x caller, compared with PocketBase.

Each case uses record ids of its own, so the cases do not depend on each other's writes; a
case that needs an existing record gets one made for it in ``setup``.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from tests.conformance.harness import Answer, Pair, Request

OPEN, GUARDED = "b_open", "b_guarded"
PUBLIC = {"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}
# Only signed-in users write here, and only in a batch (@request.context).
GUARDED_RULES = {
    "listRule": "", "viewRule": "",
    "createRule": "@request.auth.id != '' && @request.context = 'batch'",
    "updateRule": "@request.auth.id != ''", "deleteRule": "@request.auth.id != ''",
}  # fmt: skip
USER_EMAIL, USER_PASSWORD = "buser@example.com", "1234567890"
CALLERS = ("anon", "user", "superuser")

# (name, settings patch) the shape cases run under
SETTINGS = {
    "off": {"enabled": False, "maxRequests": 3},
    "max one": {"enabled": True, "maxRequests": 1},
    "on": {"enabled": True, "maxRequests": 3},
}

SHAPES: list[tuple[str, Any]] = [
    ("no body", None), ("empty object", {}), ("null requests", {"requests": None}), ("empty list", {"requests": []}),
    ("requests text", {"requests": "x"}), ("requests object", {"requests": {}}), ("number item", {"requests": [1]}),
    ("empty item", {"requests": [{}]}), ("method only", {"requests": [{"method": "POST"}]}),
    ("url only", {"requests": [{"url": "/api/collections/b_open/records"}]}),
    ("bad method", {"requests": [{"method": "NOPE", "url": "/x"}]}),
    ("lower method", {"requests": [{"method": "post", "url": "/api/collections/b_open/records", "body": {"title": "x"}}]}),
    ("long url", {"requests": [{"method": "POST", "url": "/" + "x" * 2001}]}),
    ("body text", {"requests": [{"method": "POST", "url": "/api/collections/b_open/records", "body": "x"}]}),
    ("headers list", {"requests": [{"method": "POST", "url": "/api/collections/b_open/records", "headers": ["a"]}]}),
    ("header number", {"requests": [{"method": "POST", "url": "/api/collections/b_open/records", "headers": {"a": 1}}]}),
    ("too many", {"requests": [{"method": "GET", "url": "/x"}] * 4}),
    ("two bad items", {"requests": [{"method": "X"}, {"url": ""}]}),
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Op:
    """One sub-request template: ``{n}`` in the id is the case's number."""

    name: str
    method: str
    url: str
    body: dict[str, Any] | None = None
    existing: bool = False  # the record {id} is made in setup

    def render(self, rid: str) -> dict[str, Any]:
        sub: dict[str, Any] = {"method": self.method, "url": self.url.format(id=rid)}
        if self.body is not None:
            sub["body"] = {k: (v.format(id=rid) if isinstance(v, str) else v) for k, v in self.body.items()}
        return sub


def _ops(collection: str) -> list[Op]:
    records = f"/api/collections/{collection}/records"
    return [
        Op("create", "POST", records, {"id": "{id}", "title": "new"}),
        Op("create invalid", "POST", records, {"id": "{id}", "title": ""}),
        Op("create with query", "POST", records + "?fields=id", {"id": "{id}", "title": "q"}),
        Op("upsert new", "PUT", records, {"id": "{id}", "title": "put"}),
        Op("upsert existing", "PUT", records, {"id": "{id}", "title": "put again"}, existing=True),
        Op("upsert without id", "PUT", records, {"title": "no id"}),
        Op("update", "PATCH", records + "/{id}", {"title": "changed"}, existing=True),
        Op("update invalid", "PATCH", records + "/{id}", {"title": ""}, existing=True),
        Op("update missing", "PATCH", records + "/{id}", {"title": "x"}),
        Op("delete", "DELETE", records + "/{id}", None, existing=True),
        Op("delete missing", "DELETE", records + "/{id}"),
        Op("list (not allowed)", "GET", records),
    ]


OTHER_OPS = [
    Op("unknown collection", "POST", "/api/collections/b_nope/records", {"title": "x"}),
    Op("collections route", "POST", "/api/collections", {"name": "x"}),
    Op("health", "GET", "/api/health"),
]


@dataclasses.dataclass(frozen=True)
class BatchCase:
    """One batch request, under batch settings ``settings``."""

    name: str
    request: Request
    settings: str = "on"
    existing: tuple[tuple[str, str], ...] = ()  # (collection, id) records made in setup

    def mask(self, answer: Answer) -> Answer:
        """Nothing to mask."""
        return answer


def build_cases() -> list[BatchCase]:
    """Shapes under each setting, then single ops, ops after a good one, and mixed batches."""
    cases: list[BatchCase] = []
    counter = itertools.count(1)

    def rid() -> str:
        return f"fixbatch{next(counter):07d}"

    for setting, (label, body) in itertools.product(SETTINGS, SHAPES):
        req = Request("POST", "/api/batch", json=body, who="anon") if body is not None else Request("POST", "/api/batch", who="anon")
        cases.append(BatchCase(f"{setting}: {label}", req, setting))
    ops = [(OPEN, op) for op in _ops(OPEN)] + [(GUARDED, op) for op in _ops(GUARDED)] + [("", op) for op in OTHER_OPS]
    for (collection, op), who in itertools.product(ops, CALLERS):
        ids = [rid(), rid()]
        first = Op("create", "POST", f"/api/collections/{OPEN}/records", {"id": "{id}", "title": "first"})
        existing = ((collection, ids[1]),) if op.existing else ()
        alone = {"requests": [op.render(ids[1])]}
        cases.append(BatchCase(f"{collection} {op.name} as {who}", Request("POST", "/api/batch", json=alone, who=who), existing=existing))
        ids2 = [rid(), rid()]
        existing2 = ((collection, ids2[1]),) if op.existing else ()
        after = {"requests": [first.render(ids2[0]), op.render(ids2[1])]}
        cases.append(BatchCase(f"{collection} create then {op.name} as {who}", Request("POST", "/api/batch", json=after, who=who), existing=existing2))
    # A failure in the middle rolls back what came before it (checked by listing afterwards).
    for who in CALLERS:
        ids = [rid() for _ in range(3)]
        body = {"requests": [
            {"method": "POST", "url": f"/api/collections/{OPEN}/records", "body": {"id": ids[0], "title": "kept?"}},
            {"method": "POST", "url": f"/api/collections/{OPEN}/records", "body": {"id": ids[1], "title": ""}},
            {"method": "POST", "url": f"/api/collections/{OPEN}/records", "body": {"id": ids[2], "title": "never"}},
        ]}  # fmt: skip
        cases.append(BatchCase(f"rollback as {who}", Request("POST", "/api/batch", json=body, who=who)))
        cases.append(BatchCase(f"rollback left nothing as {who}", Request("GET", f"/api/collections/{OPEN}/records/{ids[0]}", who="superuser")))
    return cases


def setup(pair: Pair) -> None:
    """The two collections, a user (signed in), and the records the cases update or delete."""
    if not pair.first_time("batch"):
        return
    title = [{"name": "title", "type": "text", "required": True}]
    pair.ok("POST", "/api/collections", {"name": OPEN, **PUBLIC, "fields": title})
    pair.ok("POST", "/api/collections", {"name": GUARDED, **GUARDED_RULES, "fields": title})
    user = {"email": USER_EMAIL, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}
    pair.ok("POST", "/api/collections/users/records", user)
    for target in pair.targets:
        target.login("user", "users", USER_EMAIL, USER_PASSWORD)
    for case in build_cases():
        for collection, record_id in case.existing:
            pair.ok("POST", f"/api/collections/{collection}/records", {"id": record_id, "title": "existing"})


def prepare(pair: Pair, case: BatchCase) -> None:
    """Apply the case's batch settings (when they differ from the last ones applied)."""
    wanted = f"batch settings {case.settings}"
    if wanted in pair.prepared:
        return
    pair.prepared.difference_update({f"batch settings {name}" for name in SETTINGS})
    pair.prepared.add(wanted)
    pair.ok("PATCH", "/api/settings", {"batch": SETTINGS[case.settings]})
