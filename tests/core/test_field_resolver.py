"""The record field resolver and record_access, below the HTTP layer, on the fixture data.

Fixture (tests/testapp.py): posts 1-3 (post1 by user1 with editors user1+user2, post2 by
user2, post3 without author), comment1 on post1, owned1 owned by user1; users' listRule is
``id = @request.auth.id``; ``locked`` is superusers-only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pybase.core import record_access, record_write_checks
from pybase.core.app import App
from pybase.core.errors import BadRequestError, ForbiddenError, NotFoundError
from pybase.core.field_resolver import RecordFieldResolver
from pybase.core.field_resolver_request import go_json, split_modifier, static_field
from pybase.core.field_resolver_sql import json_path
from pybase.core.record_access import RecordQuery
from pybase.core.request_info import RequestInfo
from pybase.tools.filter import FilterError, compile_filter, compile_sort, parse_sort
from tests.testapp import COMMENT1_ID, OWNED1_ID, POST1_ID, POST2_ID, POST3_ID, USER1_ID, USER2_ID


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, fixture_data: Path) -> Iterator[App]:
    """The core app on a private copy of the fixture data (no HTTP server)."""
    data_dir = tmp_path_factory.mktemp("resolver") / "pb_data"
    shutil.copytree(fixture_data, data_dir)
    core = App(str(data_dir))
    core.bootstrap()
    yield core
    core.db.close()


def info(app: App, who: str | None = None, **kwargs: Any) -> RequestInfo:
    """Request info of an anonymous caller, ``user1``/``user2`` or the ``superuser``."""
    auth = None
    if who == "superuser":
        superusers = app.find_collection("_superusers")
        auth = app.records.find_first(superusers)
    elif who is not None:
        auth = app.find_record_by_id("users", USER1_ID if who == "user1" else USER2_ID)
    values: dict[str, Any] = {"method": "GET", "query": {}, "headers": {}}
    values.update(kwargs)
    return RequestInfo(auth=auth, **values)


def matching(app: App, collection: str, text: str, request: RequestInfo | None = None, *, hidden: bool = True) -> set[str]:
    """Ids of ``collection`` matching ``text`` (compiled through the resolver, joins applied)."""
    col = app.find_collection(collection)
    resolver = RecordFieldResolver(col, request, allow_hidden=hidden)
    where = compile_filter(text, resolver)
    stmt = resolver.update_query(select(col.table.c.id).where(where))
    with app.db.read() as conn:
        return {row[0] for row in conn.execute(stmt)}


# ---- identifiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["@request.nope", "@request.auth", "@collection.posts", "@request.body", "@foo", "title-x", "ti tle",
     "@request.auth.id:", "@request.query.", "ünicode"],
)  # fmt: skip
def test_identifiers_outside_the_allowed_shapes_are_refused(app: App, identifier: str) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app))
    with pytest.raises(FilterError):
        resolver.resolve(identifier)


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("nope", "unknown field"),
        ("title.x", "not a valid relation"),
        ("title:nope", "unknown modifier"),
        ("owned_via_owner.title", "invalid collection reference"),
        ("locked_via_nope.x", "missing or invalid back relation"),
        ("comments_via_post.post.comments_via_post.post.comments_via_post.post.comments_via_post.id", "max nested"),
        ("@collection.nope.title", "failed to load collection"),
        ("@request.query.x:each", "invalid modifier sequence"),
        ("@request.body.title:length", "doesn't support multivalue"),
    ],
)
def test_invalid_identifiers_say_why(app: App, identifier: str, message: str) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app, body={"title": "x"}), allow_hidden=True)
    with pytest.raises(FilterError, match=message):
        resolver.resolve(identifier)


def test_missing_request_paths_are_null_not_errors(app: App) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app, "user1"))
    for identifier in ("@request.auth.nope", "@request.auth.nope.x", "@request.query.nope", "@request.body.a.b"):
        assert resolver.resolve(identifier).keyword == "null", identifier


def test_anonymous_auth_fields_are_null(app: App) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app))
    assert resolver.resolve("@request.auth.id").keyword == "null"
    assert resolver.resolve("@request.auth.name").keyword == "null"
    assert RecordFieldResolver(app.find_collection("posts"), None).resolve("@request.method").keyword == "null"


def test_static_request_values(app: App) -> None:
    request = info(app, "user1", query={"views": "12", "q": "x"}, headers={"x_a": "1"}, body={"tags": ["b", "a"], "m": {"z": 1, "a": "<&>"}})
    resolver = RecordFieldResolver(app.find_collection("posts"), request)
    assert resolver.resolve("@request.method").params[0].value == "GET"
    assert resolver.resolve("@request.context").params[0].value == "default"
    assert resolver.resolve("@request.auth.id").params[0].value == USER1_ID
    assert resolver.resolve("@request.auth.collectionName").params[0].value == "users"
    # NOTE: a numeric string becomes a number when the collection has a number field of that name.
    assert resolver.resolve("@request.query.views").params[0].value == 12.0
    assert resolver.resolve("@request.query.q").params[0].value == "x"
    assert resolver.resolve("@request.headers.x_a").params[0].value == "1"
    assert resolver.resolve("@request.query.q:isset").keyword == "true"
    assert resolver.resolve("@request.query.nope:isset").keyword == "false"
    assert resolver.resolve("@request.body.m").params[0].value == '{"a":"\\u003c\\u0026\\u003e","z":1}'
    assert resolver.resolve("@request.body.m.z").params[0].value == 1
    assert resolver.resolve("@request.body.tags:length").expression.value == 2


def test_helpers() -> None:
    assert json_path(["a", "0", "b"]) == "a[0].b"
    assert json_path(["0", "x:y"]) == "[0].xy"
    assert json_path(["+1", "-2"]) == "[1][-2]"
    assert go_json({"b": [1.0, 2.5], "a": "<"}) == '{"a":"\\u003c","b":[1,2.5]}'
    assert split_modifier("title:lower") == ("title", "lower")
    assert split_modifier("a:b:c") == ("a:b:c", "")
    with pytest.raises(FilterError):
        split_modifier("title:upper")


def test_static_field_lower_and_json(app: App) -> None:
    posts = app.find_collection("posts")
    assert static_field({"body": {"a": [1, 2]}}, ["body", "a"], posts).params[0].value == "[1,2]"
    assert static_field({"body": {"a": [1, 2]}}, ["body", "a", "1"], posts).params[0].value == 2
    assert static_field({"body": {"a": None}}, ["body", "a:isset"], posts).keyword == "true"
    assert static_field({"body": {}}, ["body", "a:lower"], posts).keyword == "null"


# ---- joins and multi-match -------------------------------------------------------------------


def test_same_path_reuses_one_join(app: App) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app), allow_hidden=True)
    resolver.resolve("author.name")
    resolver.resolve("author.email")
    resolver.resolve("editors.name")
    joins, conditions = resolver.collect()
    assert [join.target.name for join in joins] == ["posts_author", "__je_posts_editors", "posts_editors"]
    assert conditions == []
    assert resolver.has_joins


def test_multi_valued_operands_carry_a_per_item_subquery(app: App) -> None:
    resolver = RecordFieldResolver(app.find_collection("posts"), info(app), allow_hidden=True)
    assert resolver.resolve("author.name").multi_match is None
    assert resolver.resolve("tags").multi_match is None  # NOTE: a multi select compares its JSON text
    assert resolver.resolve("tags:each").multi_match is not None
    assert resolver.resolve("editors.name").multi_match is not None
    assert resolver.resolve("comments_via_post.message").multi_match is not None
    assert resolver.resolve("@collection.comments.message").multi_match is not None
    assert resolver.resolve("author.id").expression is app.find_collection("posts").table.c.author


def test_relations_and_back_relations_match_rows(app: App) -> None:
    assert matching(app, "posts", 'author.name = "User One"') == {POST1_ID}
    assert matching(app, "posts", 'editors.name ?= "User Two"') == {POST1_ID}
    assert matching(app, "posts", 'editors.name = "User One"') == set()
    assert matching(app, "posts", 'editors.name != "nobody"') == {POST1_ID, POST2_ID, POST3_ID}
    assert matching(app, "posts", 'comments_via_post.message ?= "hello"') == {POST1_ID}
    assert matching(app, "posts", 'comments_via_post.id = ""') == {POST2_ID, POST3_ID}
    assert matching(app, "comments", 'post.author.name = "User One"') == {COMMENT1_ID}
    assert matching(app, "posts", '@collection.comments.post ?= id') == {POST1_ID}


def test_auth_relation_is_joined_by_the_auth_id(app: App) -> None:
    assert matching(app, "owned", 'owner.name = @request.auth.name', info(app, "user1")) == {OWNED1_ID}
    assert matching(app, "owned", 'owner.name = @request.auth.name', info(app, "user2")) == set()
    assert matching(app, "posts", '@request.auth.name = "User Two" && author = @request.auth.id', info(app, "user2")) == {POST2_ID}


def test_hidden_fields_need_allow_hidden(app: App) -> None:
    assert matching(app, "posts", 'secret = "s1"') == {POST1_ID}
    with pytest.raises(FilterError, match="non-filterable"):
        matching(app, "posts", 'secret = "s1"', hidden=False)
    with pytest.raises(FilterError, match="non-filterable"):
        matching(app, "posts", 'author.tokenKey != ""', hidden=False)


def test_joined_collections_apply_their_list_rule_without_allow_hidden(app: App) -> None:
    text = 'author.name != "x"'
    assert matching(app, "posts", text, info(app), hidden=False) == {POST3_ID}
    assert matching(app, "posts", text, info(app, "user1"), hidden=False) == {POST1_ID, POST3_ID}
    assert matching(app, "posts", text, info(app, "user1"), hidden=True) == {POST1_ID, POST2_ID, POST3_ID}
    with pytest.raises(FilterError, match="superusers"):
        matching(app, "posts", '@collection.locked.title = ""', info(app, "user1"), hidden=False)


def test_email_of_related_auth_records_needs_email_visibility(app: App) -> None:
    text = 'author.email ~ "example.com"'
    assert matching(app, "posts", text, info(app, "user1"), hidden=True) == {POST1_ID, POST2_ID}
    assert matching(app, "posts", text, info(app, "user1"), hidden=False) == set()


def test_sort_by_relation(app: App) -> None:
    posts = app.find_collection("posts")
    resolver = RecordFieldResolver(posts, info(app), allow_hidden=True)
    order = compile_sort(parse_sort("-author.name,title"), resolver)
    stmt = resolver.update_query(select(posts.table.c.id).order_by(*order))
    with app.db.read() as conn:
        assert [row[0] for row in conn.execute(stmt)] == [POST2_ID, POST1_ID, POST3_ID]


# ---- record_access and the record store ---------------------------------------------------------


def test_list_query_with_joins_pages_and_counts_distinct_records(app: App) -> None:
    posts = app.find_collection("posts")
    query = record_access.list_query(app, posts, info(app, "superuser"), "", 'editors.name ?!= ""', "-editors.name")
    assert query.distinct
    page = app.records.list_page(posts, query=query, per_page=1)
    assert page.total_items == 1 and page.total_pages == 1
    assert [r.id for r in page.records] == [POST1_ID]


def test_compat_list_arguments_share_the_same_semantics(app: App) -> None:
    posts = app.find_collection("posts")
    request = info(app, "user1")
    where = record_access.list_conditions(app, posts, request, posts.rules["listRule"], 'author.name != "x"')
    order = record_access.sort_terms(app, posts, request, "-author.name,@rowid")
    page = app.records.list_page(posts, where=where, order_by=order)
    assert [r.id for r in page.records] == [POST1_ID, POST3_ID]
    assert page.total_items == 2


def test_non_superusers_cannot_filter_by_request_or_collection(app: App) -> None:
    posts = app.find_collection("posts")
    with pytest.raises(ForbiddenError, match="@request."):
        record_access.list_query(app, posts, info(app, "user1"), "", '@request.auth.id != ""', None)
    with pytest.raises(ForbiddenError, match="@collection."):
        record_access.list_query(app, posts, info(app), "", None, "@collection.posts.title")
    with pytest.raises(BadRequestError):
        record_access.list_query(app, posts, info(app), "", 'secret = ""', None)
    assert record_access.list_query(app, posts, info(app, "superuser"), "", '@request.auth.id != ""', None).where


def test_rule_condition_hides_records_from_find_by_id(app: App) -> None:
    owned = app.find_collection("owned")
    rule = owned.rules["viewRule"]
    assert record_access.rule_condition(app, owned, info(app, "superuser"), rule) is None
    mine = record_access.rule_condition(app, owned, info(app, "user1"), rule)
    assert isinstance(mine, RecordQuery)
    assert app.records.find_by_id(owned, OWNED1_ID, mine).id == OWNED1_ID
    with pytest.raises(NotFoundError):
        app.records.find_by_id(owned, OWNED1_ID, record_access.rule_condition(app, owned, info(app, "user2"), rule))


def test_can_view_uses_the_expand_context(app: App) -> None:
    posts = app.find_collection("posts").clone()
    posts.rules["viewRule"] = '@request.context = "expand" && author != ""'
    ids = [POST1_ID, POST2_ID, POST3_ID]
    assert record_access.can_view(app, posts, info(app), ids) == {POST1_ID, POST2_ID}
    posts.rules["viewRule"] = None
    assert record_access.can_view(app, posts, info(app, "user1"), ids) == set()
    assert record_access.can_view(app, posts, info(app, "superuser"), ids) == set(ids)


def test_create_rule_runs_in_the_write_and_a_refusal_writes_nothing(app: App) -> None:
    owned = app.find_collection("owned")
    request = info(app, "user1", body={"title": "t", "owner": USER2_ID})
    check = record_write_checks.write_check(app, owned, request, owned.rules["createRule"])
    assert check is not None
    before = app.records.count(owned)
    refused = app.new_record("owned", {"title": "t", "owner": USER2_ID})
    with pytest.raises(record_access.RuleFailed):
        app.save_checked(refused, check)
    assert app.records.count(owned) == before
    accepted = app.new_record("owned", {"title": "t", "owner": USER1_ID})
    app.save_checked(accepted, check)
    assert app.records.count(owned) == before + 1
    app.delete(accepted)


def test_create_rule_sees_the_submitted_body(app: App) -> None:
    posts = app.find_collection("posts")
    rule = '@request.body.tags:each ?= "b" && @request.body.author.name = "User One" && title ~ "ok"'
    good = info(app, "user1", body={"tags": ["a", "b"], "author": USER1_ID})
    check = record_write_checks.write_check(app, posts, good, rule)
    assert check is not None
    record = app.new_record("posts", {"title": "is ok", "author": USER1_ID, "tags": ["a", "b"]})
    app.save_checked(record, check)
    app.delete(record)
    bad = info(app, "user1", body={"tags": ["a"], "author": USER1_ID})
    with pytest.raises(record_access.RuleFailed):
        app.save_checked(app.new_record("posts", {"title": "is ok 2"}), record_write_checks.write_check(app, posts, bad, rule))


def test_manage_rule_is_never_empty(app: App) -> None:
    users = app.find_collection("users").clone()
    user1 = app.find_record_by_id("users", USER1_ID)
    users.auth["manageRule"] = ""
    assert not record_write_checks.is_manager(app, users, info(app, "user1"), user1)
    users.auth["manageRule"] = "id = @request.auth.id"
    assert record_write_checks.is_manager(app, users, info(app, "user1"), user1)
    assert record_write_checks.is_manager(app, users, info(app, "superuser"), user1)


def test_find_many_keeps_the_order_asked_and_skips_missing_ids(app: App) -> None:
    posts = app.find_collection("posts")
    found = app.records.find_many(posts, [POST3_ID, "missing", POST1_ID, "it's \"odd\"", POST2_ID, POST1_ID])
    assert [r.id for r in found] == [POST3_ID, POST1_ID, POST2_ID, POST1_ID]
    assert found[1].get("title") == "First post"
    assert app.records.find_many(posts, []) == []
    many = [POST1_ID] + [f"x{i:014d}" for i in range(2000)]  # one bound value, any count
    assert [r.id for r in app.records.find_many(posts, many)] == [POST1_ID]


def test_create_rule_sees_a_temporary_id_and_the_pending_password(app: App) -> None:
    # As PocketBase: the checked copy gets a temporary id, and the password is already set.
    posts = app.find_collection("posts")
    record = app.new_record("posts", {"title": "t"})
    check = record_write_checks.write_check(app, posts, info(app, "user1"), "id != '' && title = 't'")
    assert check is not None
    with app.db.read() as conn:
        check.frozen(record)(conn, record)
    users = app.find_collection("users")
    user = app.new_record("users", {"email": "new@example.com"})
    users.field("password").prepare("12345678", user)
    check = record_write_checks.write_check(app, users, info(app), "password != ''")
    assert check is not None
    with app.db.read() as conn:
        check.frozen(user)(conn, user)


def test_rules_reading_only_the_request_need_no_sql(app: App) -> None:
    posts = app.find_collection("posts")
    record = app.new_record("posts", {"title": "t"})
    rule = "@request.auth.id != '' && @request.body.title = 't'"
    check = record_write_checks.write_check(app, posts, info(app, "user1", body={"title": "t"}), rule)
    assert check is not None
    frozen = check.frozen(record)
    assert isinstance(frozen, record_write_checks.StaticCheck) and frozen.passed
    frozen(None, record)  # no connection needed
    refused = record_write_checks.write_check(app, posts, info(app, body={"title": "t"}), rule)
    assert refused is not None
    with pytest.raises(record_access.RuleFailed):
        refused.frozen(record)(None, record)
    # a rule reading the record needs SQL, and its statement is the same for every request
    check = record_write_checks.write_check(app, posts, info(app, "user1"), "title = 't' && @request.auth.id != ''")
    assert check is not None
    assert not isinstance(check.frozen(record), record_write_checks.StaticCheck)
    other = app.new_record("posts", {"title": "u"})
    dialect = app.db.read_engine.dialect
    assert str(check._statement(record).compile(dialect=dialect)) == str(check._statement(other).compile(dialect=dialect))
    # view/update/delete rules: a static true adds nothing, a static false still finds nothing
    assert record_access.rule_condition(app, posts, info(app, "user1"), "@request.auth.id != ''") is None
    where = record_access.rule_condition(app, posts, info(app), "@request.auth.id != ''")
    with pytest.raises(NotFoundError):
        app.records.find_by_id(posts, POST1_ID, where)


@pytest.mark.parametrize("rule", [
    "author = @request.auth.id",
    "author = @request.auth.id || editors ?= @request.auth.id",
    "editors = @request.auth.id",
    "author.email = @request.auth.email && @request.auth.verified = false",
    "@request.auth.id != '' && views > 5",
    "@request.method = 'PATCH' && author != @request.auth.id",
    "@request.auth.collectionName = 'users' && author.name != ''",
    "author = @request.auth.id && title ~ 'post'",  # LIKE: the general path
    "@request.auth.id = ''",  # reads no row: answered without SQL
    "@request.query.q = 'x' || @request.headers.x_y != '' || author = @request.body.author",
])
def test_rule_lookups_compiled_once_answer_as_the_general_path(app: App, rule: str) -> None:
    from pybase.core.record_access import find_with_rule
    from pybase.core.record_access_prepared import find_allowed

    posts = app.find_collection("posts")
    for who in (None, "user1", "user2"):
        for method in ("GET", "PATCH"):
            request = info(app, who, method=method, query={"q": "x" if method == "GET" else ""},
                           headers={"x_y": who or ""}, body={"author": USER2_ID} if who == "user2" else {})
            for record_id in (POST1_ID, POST2_ID, POST3_ID, "missing"):
                where = record_access.rule_condition(app, posts, request, rule)
                try:
                    want = app.records.find_by_id(posts, record_id, where).id
                except NotFoundError:
                    want = None
                try:
                    got = find_with_rule(app, posts, request, rule, record_id).id
                except NotFoundError:
                    got = None
                assert got == want, (who, method, record_id)
    prepared = "~" not in rule
    try:
        found = find_allowed(app, posts, info(app, "user1"), rule, POST1_ID)
    except NotFoundError:
        found = True
    assert (found is not None) == prepared


@pytest.mark.parametrize("rule", [
    "@request.auth.id != '' && owner = @request.auth.id",
    "owner = @request.body.owner && title != ''",
    "@request.auth.verified = true || title = @request.query.t",
    "owner.name = 'User One' && @request.method = 'POST'",
    "@request.auth.id != ''",
    "owner.email != @request.auth.email",
    "title ~ 't' && owner = @request.auth.id",  # LIKE: the general path
])
def test_create_rules_compiled_once_answer_as_the_general_path(app: App, rule: str) -> None:
    owned = app.find_collection("owned")
    for who in (None, "user1", "user2"):
        for owner in ("", USER1_ID, USER2_ID):
            for title in ("", "t"):
                request = info(app, who, method="POST", body={"owner": owner, "title": title}, query={"t": title})
                record = app.new_record("owned", {"title": title, "owner": owner})
                general = record_write_checks.CreateRuleCheck(owned, request, rule)  # no db: compiled per request
                compiled = record_write_checks.write_check(app, owned, request, rule)
                assert compiled is not None
                answers = []
                for check in (general, compiled):
                    try:
                        record_write_checks.run_check(app, check.frozen(record), record)
                        answers.append(True)
                    except record_access.RuleFailed:
                        answers.append(False)
                assert answers[0] == answers[1], (who, owner, title)
    record = app.new_record("owned", {"title": "t", "owner": USER1_ID})
    frozen = record_write_checks.write_check(app, owned, info(app, "user1"), rule).frozen(record)  # type: ignore[union-attr]
    kind = (record_write_checks.StaticCheck if rule == "@request.auth.id != ''"
            else record_write_checks.PreparedCheck if "~" not in rule else None)
    assert (type(frozen) is kind) if kind else not isinstance(frozen, record_write_checks.StaticCheck | record_write_checks.PreparedCheck)


def test_request_values_read_directly_match_the_resolver(app: App) -> None:
    from pybase.core import record_access_prepared as prepared

    posts = app.find_collection("posts")
    names = ("@request.auth.id",)
    for who in ("user1", "user2", "superuser"):
        request = info(app, who)
        resolved = RecordFieldResolver(posts, request, allow_hidden=True).resolve(names[0])
        assert resolved is not None
        found = prepared.request_values(posts, request, names)
        assert found == ((prepared._shape(resolved),), {names[0]: resolved.params[0].value})
