"""A list compiled once (record_access.list_records) answers as the same list compiled for the
request: every filter of the table is asked twice as is (the first run compiles the plan, the
second uses it) and once with an ``@`` that keeps it off the plans, on both databases.

Superusers add ``@request.method != 'X'`` to the filter; other callers sort by ``@rowid`` (the
order an unsorted list has), which non-superusers may use.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

pytestmark = pytest.mark.both_backends

FILTERS = [
    "published = true", "views > 5 && score = 0", "title ~ 'post'", "title !~ 'First'", "title:lower = 'first post'",
    "meta.k = 1", "meta = null", "tags ?= 'a'", "tags ?!= 'a'", "tags:length > 1", "editors:length = 2",
    "status = 'draft'", "publishedAt = ''", "created > '2000-01-01 00:00:00.000Z'",
    "strftime('%Y', created) = strftime('%Y', 'now')", "geoDistance(location.lon, location.lat, 0, 0) < 1",
    "location.lat = 0", "author = 'user1aaaaaaaaaa'", "editors ?= 'user2aaaaaaaaaa'", "score = views",
    "views + 1 > 10 || title = null", "secret = 's1'", "secret != ''",
]
# NOTE: a view over posts with NULLs (no author), numbers, bools, JSON and a hidden field.
VIEW_QUERY = (
    "SELECT p.id, p.title, p.views, p.published, p.meta, p.tags, p.location, p.publishedAt, p.secret,"
    " u.name AS uname, u.verified AS uverified, (SELECT count(*) FROM comments c WHERE c.post = p.id) AS ncomments"
    " FROM posts p LEFT JOIN users u ON u.id = p.author"
)


def _same(server, collection: str, filter_text: str, headers: dict[str, str], superuser: bool) -> None:
    base = f"/api/collections/{collection}/records?perPage=2"
    planned = [server.request("GET", f"{base}&filter={quote(filter_text)}", headers=headers) for _ in range(2)]
    if superuser:
        fresh = server.request("GET", f"{base}&filter={quote(f'({filter_text}) && @request.method != {chr(39)}X{chr(39)}')}",
                               headers=headers)
    else:
        fresh = server.request("GET", f"{base}&sort=@rowid&filter={quote(filter_text)}", headers=headers)
    for resp in planned:
        assert (resp.status_code, resp.json()) == (fresh.status_code, fresh.json()), (collection, filter_text, headers)


@pytest.mark.parametrize("who", ["superuser", "user1", ""])
def test_a_compiled_list_answers_as_a_fresh_one(server, who: str) -> None:
    headers = {"Authorization": server.token(who)} if who else {}
    for filter_text in FILTERS:
        _same(server, "posts", filter_text, headers, who == "superuser")


def test_a_compiled_view_list_answers_as_a_fresh_one(server) -> None:
    su = {"Authorization": server.token("superuser")}
    resp = server.request("POST", "/api/collections", headers=su,
                          json={"name": "post_view", "type": "view", "listRule": "", "viewQuery": VIEW_QUERY})
    assert resp.status_code == 200, resp.text
    for filter_text in ("id != ''", "uname = ''", "ncomments > 0", "uverified = true", "meta.k = 1", "secret = 's1'"):
        _same(server, "post_view", filter_text, su, True)
    # NOTE: a view has no @rowid: for a guest, the unfiltered list (never compiled) is the reference.
    plain = server.request("GET", "/api/collections/post_view/records").json()
    for _ in range(2):
        planned = server.request("GET", "/api/collections/post_view/records?filter=id!%3D%27%27").json()
        assert sorted(planned["items"], key=_id) == sorted(plain["items"], key=_id)
        assert planned["totalItems"] == plain["totalItems"] == 3


def _id(item: dict) -> str:
    return item["id"]
