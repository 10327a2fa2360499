"""Where pybase answers differently from PocketBase on purpose, and why.

Each entry names a case by a substring of its name and says why pybase differs. A listed case
must still differ (so the entry is removed once the two agree); an unlisted one must not.
"""

from __future__ import annotations

from tests.conformance.harness import Answer

# substring of a case name -> why pybase differs
KNOWN: dict[str, str] = {}
# pybase refuses JSON nested deeper than about 1,000 levels (400); PocketBase reads up to 10,000.
# Deeper documents cost stack and CPU on every read of the field: a limit on purpose.
_DEEP_JSON = "JSON nesting is limited to about 1,000 levels"
KNOWN.update({f"{route} body deep nesting as {who}": _DEEP_JSON for route in (
    "POST /api/collections/g_items/records", "PATCH /api/collections/g_items/records/fixgitem0000001",
) for who in ("anon", "superuser")})  # fmt: skip
KNOWN.update({f"{route} body deep nesting as superuser": _DEEP_JSON for route in (
    "POST /api/collections", "PATCH /api/collections/g_items",
)})  # fmt: skip
KNOWN["PATCH body very deep unknown"] = _DEEP_JSON  # settings: even under a key PocketBase skips


# A JSON field's value is held as Python values, which orjson writes: PocketBase keeps JSON text
# as written (form values, JSON strings) and writes a JSON body's numbers as Go does. A number
# past 64 bits sent as text comes back as a double (1.2345678901234568e+29, where PocketBase
# echoes its digits until it reads the value back from SQLite), 2^64 as a form's text in Go's
# spelling of the double (18446744073709552000, PocketBase: the text), and maxSize measures
# that text.
_BIG_JSON_NUMBER = "JSON numbers past 64 bits are held as doubles (PocketBase keeps the text as written)"
_TEXT_WRITES = ("create json as anon", "create json as superuser", "create form as anon", "update json as anon",
                "update form as superuser")  # fmt: skip
_FORM_WRITES = ("create form as anon", "update form as superuser")
KNOWN.update({f"json[{variant}] {write}: {label}": _BIG_JSON_NUMBER for variant in ("", "required=true") for write, label in [
    *((w, "integer text past 64 bits") for w in _TEXT_WRITES), *((w, "object text with an integer past 64 bits") for w in _TEXT_WRITES),
    *((w, "integer past 64 bits") for w in _FORM_WRITES), *((w, "negative integer past 64 bits") for w in _FORM_WRITES),
    *((w, "object with an integer past 64 bits") for w in _FORM_WRITES), *((w, "integer 2^64") for w in _FORM_WRITES),
]})  # fmt: skip
KNOWN.update({f"json[maxSize=20] {write}: integer 2^64": _BIG_JSON_NUMBER for write in _TEXT_WRITES})


def explain(name: str, pb: Answer, py: Answer, diff: str | None) -> None:
    """Fail on an unexplained difference (or on an explained one that no longer differs)."""
    reasons = [why for key, why in KNOWN.items() if key in name]
    if diff is None:
        assert not reasons, f"pybase now answers as PocketBase; drop the KNOWN entry: {reasons}"
        return
    assert reasons, f"differs from PocketBase:{diff}"
# A superuser's subscription filtering by @collection: PocketBase's realtime check fails inside
# PocketBase (the same filter works on its list API) and sends nothing; pybase applies the
# filter as the list API does.
_RT_COLLECTION_FILTER = "PocketBase's realtime filter check fails on @collection joins"
KNOWN.update({f"realtime superuser:{topic}-filter_superuser_only": _RT_COLLECTION_FILTER for topic in (
    "collection", "wildcard", "other_collection",
)})  # fmt: skip

# A view's scalar subquery answering several rows: SQLite's first row is the first one it meets,
# pybase's on Postgres the first in the table's rowid order (or the id's where SQLite reads the
# primary key's index: pybase.store.view_first_row). SQLite meets them in a collection's own
# index's order where its planner reads the table through it (a WHERE ranging over the indexed
# field, or no other field read). Not compared, as Postgres's order there is its own and may
# happen to agree: a subquery reading a view or a subquery in FROM, joins SQLite reorders.
KNOWN.update({f"view first row [postgres] index {label}": "a subquery's first row: SQLite may read a table through a "
              "collection's index (its order); pybase reads it in rowid order" for label in ("range", "covering")})  # fmt: skip

# A view's json field over an integer SQLite computed past 2^53 (CAST(1e20 AS INTEGER) is
# 9223372036854775807): PocketBase reads it through a double (9223372036854776000); pybase keeps
# its digits, on both databases.
KNOWN.update({f"view comparison {label}": "an integer past 2^53 in a view's json field keeps its digits (PocketBase: a double)"
              for label in ("cast number as integer", "cast expression as integer")})  # fmt: skip

# A failed request's log entry: PocketBase logs its Go error's text as the details ("sql: no rows
# in result set", the filter parser's message) and a validation error's raw messages
# ({"email": "must be a valid email address"}); pybase logs the answer's error data (codes and
# messages) or null. Listing, filtering and counting these entries is compared elsewhere.
KNOWN.update({f"logs details ops={ops}": "a failed request's logged details are pybase's own error data, not Go's error text"
              for ops in "eghjm"})  # fmt: skip

# Go's router cleans a ".." path segment (/api/backups/%2E%2E is /api/, then a 404 of its own);
# pybase routes it as a backup key no backup has (400 or 404 of the backups routes).
KNOWN.update({f"{route} %2E%2E": "Go's router cleans a '..' segment; pybase reads it as a key"
              for route in ("GET backup key", "DELETE backup", "POST restore")})  # fmt: skip
# pybase's filter parser refuses parentheses nested past 32 levels (it bounds the recursion);
# PocketBase has no limit.
KNOWN.update({f"logs {kind}lone filter '((((": "filters nested past 32 parentheses are refused (PocketBase: no limit)"
              for kind in ("", "stats ")})  # fmt: skip


# A NUL (U+0000) on Postgres (tests/conformance/test_nul_values.py): text holds it through
# pybase.store.pg_nul's escape, which records, filters, sorts, unique indexes and a view's SQL
# (its functions through pg_nul.NUL_HELPERS) read as SQLite's text. What does not: SQLite reads a
# JSON key up to a NUL ('k\u0000' is 'k' to the path $.k); jsonb finds a key by its whole text,
# and a search of the keys on each miss would cost every lookup of an absent key (~0.9 us a row).
KNOWN.update({f"nul values [postgres] json key {label}": "SQLite reads a JSON key up to a NUL ('k\\u0000' is 'k'); pybase does not"
              for label in ("key = 1", "key with the nul = 1", "key exists")})  # fmt: skip
