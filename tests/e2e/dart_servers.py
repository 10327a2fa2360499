"""The servers the Dart SDK wire tests talk to (tests/e2e/test_dart_sdk_wire*.py): PocketBase
0.40.6 and pybase side by side (tests/conformance/harness.py), on either database, with the same
data, a test SMTP server both send to and an OAuth2 provider both use.
"""

from __future__ import annotations

import dataclasses
import io
import re
import time
import zipfile
from collections.abc import Iterator
from typing import Any

from tests.conformance.harness import Pair, Target, running_pair
from tests.data.filter_cases import PASSWORD
from tests.e2e.dart_wire import DartClient
from tests.mailbox import Mailbox, html_of
from tests.oauth2_provider import OAuth2Provider

POSTS = "dart_posts"
RECORDS = f"/api/collections/{POSTS}/records"
USERS = "/api/collections/users"
USER_ID = "fixuser00000001"
USER_EMAIL = "dart@example.com"
POST1, POST2, POST3 = "fixpost00000001", "fixpost00000002", "fixpost00000003"
TO_UPDATE, TO_DELETE, TO_UPLOAD = "fixpost00000010", "fixpost00000011", "fixpost00000012"
#: a title pb.filter() must escape: jsonEncode gives \", \n and \\ inside the quotes
ESCAPED, ESCAPED_TITLE = "fixpost00000004", 'say "hi"\nnow \\ end'
#: the random parts of a stored file name: "_" and 10 characters, and the 10 added to a short name
RANDOM_SUFFIX_RE = re.compile(r"_[a-z0-9]{10}(?=[_.]|$)")
RANDOM_PADDING_RE = re.compile(r"^(\w{1,2}?)[a-z0-9]{10}(?=_<random>)")


def backup_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("note.txt", "a backup uploaded by the Dart SDK")
    return out.getvalue()


@dataclasses.dataclass
class Servers:
    """The pair, a mail box both send to, the OAuth2 provider both use."""

    pair: Pair
    box: Mailbox
    provider: OAuth2Provider

    def client(self, target: Target, who: str) -> DartClient:
        return DartClient(target.base_url, token=target.tokens.get(who, ""))

    def mails_to(self, address: str) -> int:
        """How many mails ``address`` received so far."""
        return sum(1 for message in list(self.box.messages) if address in str(message["To"]))

    def next_mail_to(self, address: str, seen: int) -> str:
        """The HTML of the mail ``address`` receives after the ``seen`` it had (waited for)."""
        deadline = time.monotonic() + 15
        while self.mails_to(address) <= seen:
            assert time.monotonic() < deadline, f"no mail to {address}"
            time.sleep(0.05)
        return html_of([m for m in list(self.box.messages) if address in str(m["To"])][seen])


def _setup(pair: Pair, box: Mailbox, provider: OAuth2Provider) -> None:
    pair.ok("PATCH", "/api/settings", {
        "smtp": {"enabled": True, "host": "127.0.0.1", "port": box.port}, "meta": {"senderAddress": "support@acme.test"},
        "batch": {"enabled": True, "maxRequests": 20, "timeout": 10, "maxBodySize": 0},
    })  # fmt: skip
    pair.ok("PATCH", USERS, {
        "otp": {"enabled": True, "duration": 300, "length": 6},
        "oauth2": {"enabled": True, "providers": [provider.provider_config()]},
    })  # fmt: skip
    pair.ok("POST", f"{USERS}/records", {
        "id": USER_ID, "email": USER_EMAIL, "password": PASSWORD, "passwordConfirm": PASSWORD, "name": "Dart User",
        "verified": True, "emailVisibility": True,
    })  # fmt: skip
    pair.ok("POST", "/api/collections", {
        "name": POSTS, "type": "base", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
        "fields": [
            {"name": "title", "type": "text"}, {"name": "n", "type": "number"}, {"name": "flag", "type": "bool"},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {"name": "docs", "type": "file", "maxSelect": 3, "maxSize": 1_000_000},
            {"name": "private_doc", "type": "file", "maxSelect": 1, "protected": True},
            {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "meta", "type": "json"},
            {"name": "created", "type": "autodate", "onCreate": True},
            {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
        ],
    })  # fmt: skip
    pair.ok("POST", "/api/collections", {"name": "dart_private", "type": "base", "listRule": "@request.auth.id != ''",
                                         "viewRule": "@request.auth.id != ''", "createRule": "", "fields": [
        {"name": "title", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 1, "protected": True},
    ]})  # fmt: skip
    pair.ok("POST", "/api/collections", {"name": "dart_headers", "type": "base", "listRule": '@request.headers.x_dart = "1"',
                                         "createRule": "", "fields": [{"name": "title", "type": "text"}]})  # fmt: skip
    pair.ok("POST", "/api/collections", {"name": "dart_view", "type": "view", "listRule": "", "viewRule": "",
                                         "viewQuery": f"SELECT id, title, n FROM {POSTS}"})  # fmt: skip
    for rid, values in (
        (POST1, {"title": "First one", "n": 1, "flag": True, "tags": ["a", "b"], "owner": USER_ID, "meta": {"k": [1, "x"]}}),
        (POST2, {"title": "second + plus", "n": 2.5}),
        (POST3, {"title": "zürich ü", "n": 3, "tags": ["c"]}),
        (TO_UPDATE, {"title": "to update", "n": 1, "tags": ["a"]}),
        (TO_DELETE, {"title": "to delete"}),
        (TO_UPLOAD, {"title": "to upload"}),
        (ESCAPED, {"title": ESCAPED_TITLE}),
    ):
        pair.ok("POST", RECORDS, {"id": rid, **values})
    for target in pair.targets:
        target.login("user", "users", USER_EMAIL)
    # NOTE: what the calls that update or delete act on is made here, so each call stands alone
    # (pytest-xdist may run them on different pairs)
    pair.ok("POST", "/api/collections", {"name": "dart_made", "type": "base", "fields": [{"name": "t", "type": "text"}]})
    for name in ("dart_one.zip", "dart_two.zip"):
        pair.ok("POST", "/api/backups", {"name": name})


def started(backend: str, databases: Any) -> Iterator[Servers]:
    """Both servers set up (the ``dart_pair`` fixture, tests/e2e/conftest.py)."""
    box = Mailbox()
    provider = OAuth2Provider().start()
    url = databases.new(backend)
    try:
        with running_pair(url) as pair:
            _setup(pair, box, provider)
            yield Servers(pair, box, provider)
    finally:
        provider.stop()
        box.stop()
        databases.drop(url)


def masked(value: Any) -> Any:
    """A stored file name's random part masked."""
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return RANDOM_PADDING_RE.sub(r"\1<random>", RANDOM_SUFFIX_RE.sub("_<random>", value))
    return value
