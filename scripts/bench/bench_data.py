"""Data set, collections, seeding and scenario requests of the pybase vs PocketBase benchmark.

Used by ``bench.py`` (servers, wrk, profiling, report). Everything here goes through the public
HTTP API, so PocketBase and pybase get exactly the same collections and records (client-chosen ids,
deterministic values).

Collections (created on both servers):

- ``users`` (built in): listRule/viewRule set to ``""`` so anonymous expands can see authors;
  users are created through the API with password/passwordConfirm.
- ``posts``: title, views, published, body, author -> users; ``CREATE INDEX idx_posts_views``.
- ``comments``: message, post -> posts (rules ``""``).
- ``notes``: title, owner -> users; list/view rule uses ``@request.auth.id`` and ``owner.name``.
- ``tasks``: title, done, owner -> users; createRule ``@request.auth.id != ''``, list/view/update/
  delete rules ``owner = @request.auth.id`` (the rule-checked write scenarios).
"""

from __future__ import annotations

import concurrent.futures
import random
import sqlite3
import string
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
COLLECTION = "posts"
WRITE_SCENARIOS = ("update_owner", "delete_owner", "create_auth")
NEW_SCENARIOS = ("filtered", "expand2", "authrule", "list_owner", "auth_password", *WRITE_SCENARIOS)
# Run order: the creates add records, so they always come last (the others see the seeded data
# only); delete_owner deletes only its own pool.
SCENARIOS = ("health", "list", "view", "filtered", "expand2", "authrule", "list_owner", "auth_password", *WRITE_SCENARIOS,
             "create")
ID_CHARS = string.ascii_lowercase + string.digits
USER_PASSWORD = "user-password-123"
VIEWS_INDEX = "CREATE INDEX `idx_posts_views` ON `posts` (`views`)"
FILTER = "(views > 500 && published = true)"
NOTES_RULE = "owner = @request.auth.id || owner.name = @request.auth.name"
BATCH_SIZE = 50  # records per /api/batch request while seeding
TOKEN_USERS = 8  # users that log in for the authrule scenario (wrk picks one token per request)
NAME_GROUPS = 50  # user names repeat every 50 users, so owner.name matches other users' notes too
OWNER_RULE = "owner = @request.auth.id"
AUTH_CREATE_RULE = "@request.auth.id != ''"
TASKS_PER_TOKEN_USER = 100  # update_owner's records: each token user owns this many tasks

AUTODATES = [
    {"name": "created", "type": "autodate", "onCreate": True},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
]


def posts_body(users_id: str) -> dict[str, Any]:
    return {
        "name": COLLECTION, "type": "base", "listRule": "", "viewRule": "", "createRule": "",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "body", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": users_id, "maxSelect": 1},
            *AUTODATES,
        ],
        "indexes": [VIEWS_INDEX],
    }


def comments_body(posts_id: str) -> dict[str, Any]:
    return {
        "name": "comments", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
        "fields": [
            {"name": "message", "type": "text"},
            {"name": "post", "type": "relation", "collectionId": posts_id, "maxSelect": 1},
            *AUTODATES,
        ],
    }


def notes_body(users_id: str) -> dict[str, Any]:
    # createRule stays null (superusers only): notes are seeded with the superuser token.
    return {
        "name": "notes", "type": "base", "listRule": NOTES_RULE, "viewRule": NOTES_RULE,
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "owner", "type": "relation", "collectionId": users_id, "maxSelect": 1},
            *AUTODATES,
        ],
    }


def tasks_body(users_id: str) -> dict[str, Any]:
    return {
        "name": "tasks", "type": "base", "listRule": OWNER_RULE, "viewRule": OWNER_RULE,
        "createRule": AUTH_CREATE_RULE, "updateRule": OWNER_RULE, "deleteRule": OWNER_RULE,
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "done", "type": "bool"},
            {"name": "owner", "type": "relation", "collectionId": users_id, "maxSelect": 1},
            *AUTODATES,
        ],
    }


# ---- data set --------------------------------------------------------------------------------


@dataclass
class Dataset:
    posts: list[dict[str, Any]]
    users: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)  # owned by the token users (update_owner)
    pool: list[dict[str, Any]] = field(default_factory=list)  # delete_owner's records (seeded with wrk)

    def token_users(self) -> list[dict[str, Any]]:
        if not self.users:
            return []
        step = max(1, len(self.users) // TOKEN_USERS)
        return self.users[::step][:TOKEN_USERS]


def needs(scenarios: list[str]) -> dict[str, bool]:
    """Which collections must be seeded for these scenarios (posts always are)."""
    return {
        "users": any(s in ("expand2", "authrule", "list_owner", "auth_password", *WRITE_SCENARIOS) for s in scenarios),
        "comments": "expand2" in scenarios,
        "notes": "authrule" in scenarios,
        "tasks": any(s in ("list_owner", "update_owner", "delete_owner") for s in scenarios),
        "pool": "delete_owner" in scenarios,
    }


def make_dataset(n_posts: int, n_users: int, n_comments: int, n_notes: int, scenarios: list[str],
                 seed: int = 1234, n_pool: int = 0) -> Dataset:
    """Deterministic records with client-chosen ids, so both servers hold the same data."""
    need = needs(scenarios)
    rnd = random.Random(seed)
    ids: set[str] = set()
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()

    def new_id() -> str:
        while True:
            rid = "".join(rnd.choice(ID_CHARS) for _ in range(15))
            if rid not in ids:
                ids.add(rid)
                return rid

    def text(n: int) -> str:
        return " ".join(rnd.choice(words) for _ in range(n))

    users = [
        {"id": new_id(), "email": f"user{i}@example.com", "emailVisibility": True, "verified": True,
         "name": f"User {i % NAME_GROUPS}", "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}
        for i in range(n_users if need["users"] else 0)
    ]
    posts = []
    for i in range(n_posts):
        rec = {
            "id": new_id(),
            "title": f"Post {i} " + text(4),
            # Exponential with mean 360: ~25% have views > 500; with 2/3 published, the filtered
            # list matches ~1/6 of the posts.
            "views": int(rnd.expovariate(1 / 360)),
            "published": i % 3 != 0,
            "body": text(30),
        }
        if users:
            rec["author"] = rnd.choice(users)["id"]
        posts.append(rec)
    comments = [
        {"id": new_id(), "message": f"Comment {i} " + text(8), "post": rnd.choice(posts)["id"]}
        for i in range(n_comments if need["comments"] and posts else 0)
    ]
    notes = [
        {"id": new_id(), "title": f"Note {i} " + text(5), "owner": rnd.choice(users)["id"]}
        for i in range(n_notes if need["notes"] and users else 0)
    ]
    data = Dataset(posts=posts, users=users, comments=comments, notes=notes)
    owners = [u["id"] for u in data.token_users()]
    if need["tasks"] and owners:
        data.tasks = [
            {"id": new_id(), "title": f"Task {i} " + text(3), "done": False, "owner": owners[i % len(owners)]}
            for i in range(TASKS_PER_TOKEN_USER * len(owners))
        ]
    if need["pool"] and owners:
        # NOTE: plain numbered ids (15 chars, valid ones) keep generating 100k of them quick.
        data.pool = [{"id": f"pool{i:011d}", "owner": rnd.choice(owners)} for i in range(n_pool)]
    return data


# ---- HTTP setup and seeding ------------------------------------------------------------------


def _check(r: requests.Response, what: str) -> dict[str, Any]:
    if r.status_code != 200:
        raise RuntimeError(f"{what} failed: {r.status_code} {r.text[:500]}")
    return r.json()  # type: ignore[no-any-return]


def auth_with_password(base: str, collection: str, identity: str, password: str) -> str:
    r = requests.post(f"{base}/api/collections/{collection}/auth-with-password",
                      json={"identity": identity, "password": password}, timeout=60)
    return str(_check(r, f"auth-with-password on {collection}")["token"])


def create_collections(base: str, token: str) -> None:
    """users rules opened for reading, then posts (with the views index), comments, notes."""
    h = {"Authorization": token}
    users_id = _check(requests.get(f"{base}/api/collections/users", headers=h, timeout=30), "get users")["id"]
    _check(requests.patch(f"{base}/api/collections/users", json={"listRule": "", "viewRule": ""}, headers=h,
                          timeout=30), "update users rules")
    posts = _check(requests.post(f"{base}/api/collections", json=posts_body(users_id), headers=h, timeout=30),
                   "create posts")
    _check(requests.post(f"{base}/api/collections", json=comments_body(posts["id"]), headers=h, timeout=30),
           "create comments")
    _check(requests.post(f"{base}/api/collections", json=notes_body(users_id), headers=h, timeout=30),
           "create notes")
    _check(requests.post(f"{base}/api/collections", json=tasks_body(users_id), headers=h, timeout=30),
           "create tasks")


def seed(base: str, collection: str, records: list[dict[str, Any]], workers: int,
         token: str | None = None) -> float:
    """Create ``records`` through ``/api/batch`` (BATCH_SIZE per request, concurrently), or with
    single concurrent creates where batch requests are off; returns seconds taken."""
    local = threading.local()
    headers = {"Authorization": token} if token else {}
    chunks = [records[i : i + BATCH_SIZE] for i in range(0, len(records), BATCH_SIZE)]

    def post(path: str, body: Any, what: str, refused_ok: bool = False) -> bool:
        """POST with retries on 5xx/429/network errors; False on a 403 when ``refused_ok``."""
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers.update(headers)
        r = None
        for attempt in range(5):
            try:
                r = s.post(base + path, json=body, timeout=120)
            except requests.RequestException:
                if attempt == 4:
                    raise
                time.sleep(0.2)
                continue
            if r.status_code == 200:
                return True
            if r.status_code == 403 and refused_ok:
                return False
            if r.status_code < 500 and r.status_code != 429:
                raise RuntimeError(f"seed {collection} {what} failed: {r.status_code} {r.text[:300]}")
            time.sleep(0.2)
        raise RuntimeError(f"seed {collection} {what} kept failing: {r and r.status_code} {r and r.text[:300]}")

    def send_batch(chunk: list[dict[str, Any]]) -> bool:
        body = {"requests": [{"method": "POST", "url": path, "body": r} for r in chunk]}
        return post("/api/batch", body, "batch", refused_ok=True)  # 403: batch requests are off

    path = f"/api/collections/{collection}/records"
    t0 = time.monotonic()
    if chunks and send_batch(chunks[0]):
        jobs = [(send_batch, c) for c in chunks[1:]]
    else:
        jobs = [(lambda rec: post(path, rec, "create"), r) for r in records]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(fn, arg) for fn, arg in jobs]):
            if not fut.result():
                raise RuntimeError(f"seed {collection}: batch requests were turned off midway")
    return time.monotonic() - t0


def check_count(base: str, collection: str, expected: int, token: str | None = None) -> None:
    headers = {"Authorization": token} if token else {}
    r = requests.get(f"{base}/api/collections/{collection}/records", params={"perPage": 1}, headers=headers,
                     timeout=30)
    total = _check(r, f"count {collection}")["totalItems"]
    if total != expected:
        raise RuntimeError(f"expected {expected} {collection} records, server has {total}")


def seed_all(base: str, data: Dataset, workers: int, token: str, log: Any) -> float:
    """Seed users, posts, comments, notes (in dependency order); returns total seconds."""
    total = 0.0
    # posts and comments go in anonymously (createRule ""), as before; users and notes as superuser.
    for coll, recs, tok in (("users", data.users, token), (COLLECTION, data.posts, None),
                            ("comments", data.comments, None), ("notes", data.notes, token),
                            ("tasks", data.tasks, token)):
        if not recs:
            continue
        took = seed(base, coll, recs, workers, tok)
        check_count(base, coll, len(recs), token)
        log(f"seeded {len(recs)} {coll} in {took:.1f}s ({len(recs) / took:.0f}/s)")
        total += took
    return total


def user_tokens(base: str, data: Dataset) -> list[str]:
    return [auth_with_password(base, "users", u["email"], USER_PASSWORD) for u in data.token_users()]


def index_exists(data_dir: Path, name: str = "idx_posts_views") -> bool | None:
    """Whether the SQLite file has the index (None when the file can't be read)."""
    db = data_dir / "data.db"
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row is not None


# ---- scenarios -------------------------------------------------------------------------------


def owned_file(tokens_file: Path) -> Path:
    """update_owner's "<task id> <owner's token>" lines (beside the token file)."""
    return tokens_file.with_name("owned.txt")


def pool_file(tokens_file: Path) -> Path:
    """delete_owner's "<task id> <owner's token>" lines, the records seeded on that server."""
    return tokens_file.with_name("pool.txt")


def identities_file(tokens_file: Path) -> Path:
    """auth_password's emails (the token users, who all have USER_PASSWORD)."""
    return tokens_file.with_name("identities.txt")


def write_owner_files(tokens_file: Path, data: Dataset, tokens: list[str], pool_ids: set[str]) -> None:
    """The files the owner scenarios' lua scripts read (tokens in token_users() order)."""
    identities_file(tokens_file).write_text("".join(u["email"] + "\n" for u in data.token_users()))
    token_of = {u["id"]: t for u, t in zip(data.token_users(), tokens, strict=True)}
    owned_file(tokens_file).write_text("".join(f"{t['id']} {token_of[t['owner']]}\n" for t in data.tasks))
    pool_file(tokens_file).write_text(
        "".join(f"{t['id']} {token_of[t['owner']]}\n" for t in data.pool if t["id"] in pool_ids)
    )


def list_ids(base: str, collection: str, token: str, filter_text: str = "") -> set[str]:
    """Every record id of a collection (superuser token), a page of 1,000 at a time."""
    ids: set[str] = set()
    page = 1
    with requests.Session() as s:
        s.headers["Authorization"] = token
        while True:
            params: dict[str, Any] = {"page": page, "perPage": 1000, "fields": "id", "skipTotal": 1}
            if filter_text:
                params["filter"] = filter_text
            items = _check(s.get(f"{base}/api/collections/{collection}/records", params=params, timeout=60),
                           f"list {collection} ids")["items"]
            ids.update(it["id"] for it in items)
            if len(items) < 1000:
                return ids
            page += 1


def scenario_request(name: str, base: str, ids_file: Path, tokens_file: Path, *, pool_offset: int = 0,
                     threads: int = 2) -> tuple[str, list[str]]:
    """(URL, extra wrk args such as ``-s script ... -- args``) of one scenario."""
    posts = f"{base}/api/collections/{COLLECTION}/records"
    tasks = f"{base}/api/collections/tasks/records"
    if name == "health":
        return f"{base}/api/health", []
    if name == "list":
        return posts, []
    if name == "view":
        return posts, ["-s", str(HERE / "view.lua"), "--", str(ids_file)]
    if name == "create":
        return posts, ["-s", str(HERE / "create.lua")]
    if name == "filtered":
        q = urllib.parse.urlencode({"filter": FILTER, "sort": "-views"}, quote_via=urllib.parse.quote)
        return f"{posts}?{q}", []
    if name == "expand2":
        return f"{base}/api/collections/comments/records?expand=post.author", []
    if name == "authrule":
        return f"{base}/api/collections/notes/records", ["-s", str(HERE / "auth.lua"), "--", str(tokens_file)]
    if name == "list_owner":
        return tasks, ["-s", str(HERE / "auth.lua"), "--", str(tokens_file)]
    if name == "create_auth":
        return tasks, ["-s", str(HERE / "create_auth.lua"), "--", str(tokens_file)]
    if name == "auth_password":
        return (f"{base}/api/collections/users/auth-with-password",
                ["-s", str(HERE / "auth_password.lua"), "--", str(identities_file(tokens_file)), USER_PASSWORD])
    if name == "update_owner":
        return tasks, ["-s", str(HERE / "update_owner.lua"), "--", str(owned_file(tokens_file))]
    if name == "delete_owner":
        return tasks, ["-s", str(HERE / "delete_owner.lua"), "--", str(pool_file(tokens_file)), str(pool_offset),
                       str(threads)]
    raise ValueError(name)


def check_scenario(name: str, base: str, data: Dataset, tokens: list[str]) -> str | None:
    """One request of a new scenario, checked against the data set; returns a problem or None."""
    if name not in NEW_SCENARIOS:
        return None
    if name in WRITE_SCENARIOS:
        return check_write_scenario(name, base, data, tokens)
    url, _ = scenario_request(name, base, Path("-"), Path("-"))
    if name == "auth_password":
        user = data.token_users()[0]
        ok = requests.post(url, json={"identity": user["email"], "password": USER_PASSWORD}, timeout=30)
        wrong = requests.post(url, json={"identity": user["email"], "password": "wrong-password"}, timeout=30)
        if ok.status_code != 200 or ok.json().get("record", {}).get("id") != user["id"] or wrong.status_code != 400:
            return f"sign-in answered {ok.status_code}, wrong password {wrong.status_code}"
        return None
    if name == "filtered":
        body = requests.get(url, timeout=30).json()
        match = sorted((p["views"] for p in data.posts if p["views"] > 500 and p["published"]), reverse=True)
        got = [it.get("views") for it in body.get("items", [])]
        if body.get("totalItems") != len(match) or got != match[:30]:
            return f"totalItems {body.get('totalItems')} (want {len(match)}), views {got[:5]}... (want {match[:5]}...)"
        return None
    if name == "expand2":
        body = requests.get(url, timeout=30).json()
        post_author = {p["id"]: p.get("author") for p in data.posts}
        comment_post = {c["id"]: c["post"] for c in data.comments}
        items = body.get("items", [])
        bad = 0
        for it in items:
            post = (it.get("expand") or {}).get("post") or {}
            author = (post.get("expand") or {}).get("author") or {}
            if post.get("id") != comment_post.get(it.get("id")) or author.get("id") != post_author.get(post.get("id")):
                bad += 1
        if body.get("totalItems") != len(data.comments) or not items or bad:
            return f"totalItems {body.get('totalItems')} (want {len(data.comments)}), {bad}/{len(items)} items without post.author"
        return None
    if name == "list_owner":
        return check_list_owner(url, data, tokens)
    # authrule: each token user sees its own notes and those of users with the same name.
    problems = []
    by_id = {u["id"]: u for u in data.users}
    for user, token in zip(data.token_users(), tokens, strict=True):
        want = sum(1 for n in data.notes if n["owner"] == user["id"] or by_id[n["owner"]]["name"] == user["name"])
        body = requests.get(url, headers={"Authorization": token}, timeout=30).json()
        if body.get("totalItems") != want:
            problems.append(f"{user['email']}: totalItems {body.get('totalItems')} (want {want})")
    anon = requests.get(url, timeout=30).json().get("totalItems")
    if anon != 0:
        problems.append(f"anonymous sees {anon} notes (want 0)")
    return "; ".join(problems) or None


def check_list_owner(url: str, data: Dataset, tokens: list[str]) -> str | None:
    """Each token user sees only its own tasks (update_owner's, and delete_owner's pool when seeded)."""
    problems = []
    for user, token in zip(data.token_users(), tokens, strict=True):
        body = requests.get(f"{url}?perPage=1000", headers={"Authorization": token}, timeout=30).json()
        owners = {it.get("owner") for it in body.get("items", [])}
        if owners != {user["id"]} or body.get("totalItems", 0) < TASKS_PER_TOKEN_USER:
            problems.append(f"{user['email']}: totalItems {body.get('totalItems')}, owners {sorted(owners)[:3]}")
    return "; ".join(problems) or None


def check_write_scenario(name: str, base: str, data: Dataset, tokens: list[str]) -> str | None:
    """The rule-checked writes: the rule lets the owner (or any user) in and keeps others out.

    Runs before the measurements; changes one task's title and adds one task (create_auth).
    """
    url = f"{base}/api/collections/tasks/records"
    users = data.token_users()
    if len(users) < 2:
        return "needs at least 2 token users"
    problems = []

    def expect(what: str, r: requests.Response, status: int) -> dict[str, Any]:
        if r.status_code != status:
            problems.append(f"{what}: {r.status_code} (want {status}) {r.text[:120]}")
            return {}
        return r.json() if r.content else {}

    if name == "create_auth":
        expect("anonymous create", requests.post(url, json={"title": "anon"}, timeout=30), 400)
        body = expect("user create", requests.post(url, json={"title": "check"}, headers={"Authorization": tokens[0]},
                                                   timeout=30), 200)
        if body and (body.get("title") != "check" or body.get("owner") != ""):
            problems.append(f"user create answered {body}")
        return "; ".join(problems) or None
    task = data.tasks[0]
    owner = next(i for i, u in enumerate(users) if u["id"] == task["owner"])
    other = tokens[(owner + 1) % len(tokens)]
    item = f"{url}/{task['id']}"
    if name == "update_owner":
        expect("anonymous update", requests.patch(item, json={"title": "x"}, timeout=30), 404)
        expect("other user's update", requests.patch(item, json={"title": "x"}, headers={"Authorization": other},
                                                     timeout=30), 404)
        body = expect("owner's update", requests.patch(item, json={"title": "checked"},
                                                       headers={"Authorization": tokens[owner]}, timeout=30), 200)
        if body and (body.get("title") != "checked" or body.get("owner") != task["owner"]):
            problems.append(f"owner's update answered {body}")
        return "; ".join(problems) or None
    # delete_owner: refused (404) for others; the owner's deletes are the measurement itself.
    expect("anonymous delete", requests.delete(item, timeout=30), 404)
    expect("other user's delete", requests.delete(item, headers={"Authorization": other}, timeout=30), 404)
    expect("task still there", requests.get(item, headers={"Authorization": tokens[owner]}, timeout=30), 200)
    return "; ".join(problems) or None
