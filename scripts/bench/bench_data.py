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
NEW_SCENARIOS = ("filtered", "expand2", "authrule")
# Run order: create adds posts, so it always comes last (the others see the seeded data only).
SCENARIOS = ("list", "view", *NEW_SCENARIOS, "create")
ID_CHARS = string.ascii_lowercase + string.digits
USER_PASSWORD = "user-password-123"
VIEWS_INDEX = "CREATE INDEX `idx_posts_views` ON `posts` (`views`)"
FILTER = "(views > 500 && published = true)"
NOTES_RULE = "owner = @request.auth.id || owner.name = @request.auth.name"
TOKEN_USERS = 8  # users that log in for the authrule scenario (wrk picks one token per request)
NAME_GROUPS = 50  # user names repeat every 50 users, so owner.name matches other users' notes too

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


# ---- data set --------------------------------------------------------------------------------


@dataclass
class Dataset:
    posts: list[dict[str, Any]]
    users: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def token_users(self) -> list[dict[str, Any]]:
        if not self.users:
            return []
        step = max(1, len(self.users) // TOKEN_USERS)
        return self.users[::step][:TOKEN_USERS]


def needs(scenarios: list[str]) -> dict[str, bool]:
    """Which collections must be seeded for these scenarios (posts always are)."""
    return {
        "users": "expand2" in scenarios or "authrule" in scenarios,
        "comments": "expand2" in scenarios,
        "notes": "authrule" in scenarios,
    }


def make_dataset(n_posts: int, n_users: int, n_comments: int, n_notes: int, scenarios: list[str],
                 seed: int = 1234) -> Dataset:
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
    return Dataset(posts=posts, users=users, comments=comments, notes=notes)


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


def seed(base: str, collection: str, records: list[dict[str, Any]], workers: int,
         token: str | None = None) -> float:
    """Create ``records`` with concurrent HTTP creates; returns seconds taken."""
    local = threading.local()
    url = f"{base}/api/collections/{collection}/records"
    headers = {"Authorization": token} if token else {}

    def create(rec: dict[str, Any]) -> None:
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.headers.update(headers)
        r = None
        for attempt in range(5):
            try:
                r = s.post(url, json=rec, timeout=60)
            except requests.RequestException:
                if attempt == 4:
                    raise
                time.sleep(0.2)
                continue
            if r.status_code == 200:
                return
            if r.status_code < 500 and r.status_code != 429:
                raise RuntimeError(f"seed {collection} create failed: {r.status_code} {r.text[:300]}")
            time.sleep(0.2)
        raise RuntimeError(f"seed {collection} create kept failing: {r and r.status_code} {r and r.text[:300]}")

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for fut in concurrent.futures.as_completed([pool.submit(create, r) for r in records]):
            fut.result()
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
                            ("comments", data.comments, None), ("notes", data.notes, token)):
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


def scenario_request(name: str, base: str, ids_file: Path, tokens_file: Path) -> tuple[str, list[str]]:
    """(URL, extra wrk args such as ``-s script ... -- args``) of one scenario."""
    posts = f"{base}/api/collections/{COLLECTION}/records"
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
    raise ValueError(name)


def check_scenario(name: str, base: str, data: Dataset, tokens: list[str]) -> str | None:
    """One request of a new scenario, checked against the data set; returns a problem or None."""
    if name not in NEW_SCENARIOS:
        return None
    url, _ = scenario_request(name, base, Path("-"), Path("-"))
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
