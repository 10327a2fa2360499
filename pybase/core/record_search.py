"""Full-text search of a collection's records: ``?search=`` on the list API (a pybase feature;
PocketBase has none, see its issues #193 and #5225).

A field declares ``"searchable": true`` (text, editor, email and url fields of base and auth
collections); the collection's searchable fields then have one full-text index, made and kept by
the storage layer (pybase.store.dialect.fulltext). A search matches the records holding every
word of the text, each as the start of a word, ignoring case and (Latin) accents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import false, literal

from pybase.core.errors import BadRequestError, FieldError
from pybase.store.dialect.fulltext import (
    SEARCH_PREFIX,
    SearchSpec,
    SearchSQL,
    search_sql,
    search_words,
)

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.fields.base import Field

#: as PocketBase's cap on a list filter
MAX_SEARCH_LENGTH = 3500
#: the most words a search may look for (repeated ones, and one that starts another, count once)
MAX_SEARCH_WORDS = 16
SEARCHABLE_TYPES = "text, editor, email and url"


class SearchError(BadRequestError):
    """A ``search`` the collection cannot answer (no searchable field, too long)."""


@dataclass(frozen=True)
class Search:
    """A parsed ``search`` parameter: the collection's index and the words looked for."""

    spec: SearchSpec
    words: list[str]

    def sql(self, table: Any, dialect_name: str) -> SearchSQL:
        """The search as SQL over the collection's table, for the database ``dialect_name``."""
        if not self.words:
            # NOTE: a text of no letter or digit ("!!", "*") matches nothing
            return SearchSQL(literal(0), condition=false())
        return search_sql(dialect_name, table, self.spec, self.words)


def search_spec(col: Collection) -> SearchSpec | None:
    """The full-text index ``col`` needs (None: no searchable field, or a view)."""
    if col.is_view:
        return None
    # NOTE: a hidden field is never indexed, even one saved without validation (a migration,
    # the framework's save_collection): a search would tell its words to anyone who may list
    fields = [field for field in col.fields if field.searchable and field.full_text and not field.hidden]
    if not fields:
        return None
    return SearchSpec(col.id, col.name, tuple(field.name for field in fields), tuple(field.id for field in fields))


def parse_search(col: Collection, text: str | None) -> Search | None:
    """The ``search`` parameter of a list request; None when blank (ignored).

    A search on a collection without searchable fields, or longer than
    :data:`MAX_SEARCH_LENGTH`, raises :class:`SearchError` (a 400).
    """
    if text is None or not text.strip():
        return None
    spec = search_spec(col)
    if spec is None:
        raise SearchError(
            f'The collection "{col.name}" has no searchable fields (set "searchable": true on one of its '
            f"{SEARCHABLE_TYPES} fields)."
        )
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchError(f"The search text must be no longer than {MAX_SEARCH_LENGTH} characters.")
    words = search_words(text)
    if len(words) > MAX_SEARCH_WORDS:
        # NOTE: each word scans the index's words it starts (pybase.store.dialect.fulltext)
        raise SearchError(f"The search text must hold no more than {MAX_SEARCH_WORDS} different words.")
    return Search(spec, words)


def searchable_error(col: Collection, field: Field) -> FieldError | None:
    """Why ``field`` cannot be searchable in ``col`` (None: it can, or does not ask)."""
    if not field.searchable:
        return None
    if not field.full_text:
        return FieldError(
            "validation_searchable_not_supported", f"Only {SEARCHABLE_TYPES} fields can be searchable."
        )
    if col.is_view:
        return FieldError("validation_searchable_not_supported", "View collections cannot have searchable fields.")
    if field.hidden:
        # SECURITY: a search would tell who may not read the field what it holds.
        return FieldError("validation_searchable_hidden", "A hidden field cannot be searchable.")
    if col.is_auth and field.name == "email":
        # SECURITY: an email is shown only where its owner made it visible (emailVisibility).
        return FieldError("validation_searchable_not_supported", "The auth email field cannot be searchable.")
    return None


def reserved_name_error(name: str) -> FieldError | None:
    """A collection may not take a full-text index's name."""
    if name.lower().startswith(SEARCH_PREFIX):
        return FieldError("validation_collection_name_invalid", "The name shouldn't match with an existing internal table.")
    return None
