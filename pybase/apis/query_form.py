"""The ``{"query": "..."}`` body of the superusers' SQL endpoints (``/api/sql``, dry-run view)."""

from __future__ import annotations

import falcon

from pybase.apis.errors import bad_request
from pybase.apis.request_body import read_body
from pybase.core.errors import FieldError, required

MSG_LOAD_FAILED = "An error occurred while loading the submitted data."
MSG_VALIDATION_FAILED = "An error occurred while validating the submitted data."
MAX_QUERY_LENGTH = 5000


def read_query(req: falcon.Request) -> str:
    """The submitted query: JSON or form, required, at most 5000 characters."""
    data, _files = read_body(req, invalid_message=MSG_LOAD_FAILED, require_type=True, infer=False, xml_message=None)
    query = data.get("query")
    is_form = not (req.get_header("Content-Type") or "").startswith("application/json")
    if is_form and isinstance(query, list):  # NOTE: a repeated form value binds its first one
        query = query[0] if query else ""
    if query is None:
        query = ""
    if not isinstance(query, str):
        raise bad_request(MSG_LOAD_FAILED)
    if not query:
        raise bad_request(MSG_VALIDATION_FAILED, {"query": required().to_json()})
    if len(query) > MAX_QUERY_LENGTH:
        error = FieldError(
            "validation_length_too_long", f"The length must be no more than {MAX_QUERY_LENGTH}.", {"max": MAX_QUERY_LENGTH, "min": 0}
        )
        raise bad_request(MSG_VALIDATION_FAILED, {"query": error.to_json()})
    return query
