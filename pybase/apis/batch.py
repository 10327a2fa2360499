"""``POST /api/batch``: record creates, updates, upserts and deletes in one transaction.

As PocketBase: off unless ``settings.batch.enabled``; at most ``maxRequests`` sub-requests, the
whole batch within ``timeout`` seconds and ``maxBodySize`` bytes. Each sub-request runs through
the records API itself (its rules, hooks and validation), with the caller's auth and
``@request.context = "batch"``, inside one write transaction: the first one that fails rolls
everything back and the answer names it. Sub-requests may be ``POST .../records``,
``PUT .../records`` (an upsert by the body's ``id``), ``PATCH`` or ``DELETE .../records/{id}``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import falcon
import orjson

from pybase.apis.errors import MSG_GENERIC, ApiError, bad_request
from pybase.apis.request_body import (
    SUB_REQUEST_FILES_ENV,
    UploadTarget,
    read_body,
)
from pybase.apis.sub_request import call_self, multipart_body
from pybase.core.errors import FieldError, NotFoundError, ValidationError
from pybase.core.events import RequestEvent
from pybase.tools.filesystem.file import File, normalize_name

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_NOT_ALLOWED = "Batch requests are not allowed."
MSG_READ_FAILED = "Failed to read the submitted batch data."
MSG_INVALID = "Invalid batch request data."
MSG_FAILED = "Batch transaction failed."
MSG_MISSING_COLLECTION_ROUTE = "Missing or invalid collection context."
MSG_MISSING_COLLECTION = "Missing collection context."
DEFAULT_TIMEOUT = 3
DEFAULT_MAX_BODY = 128 << 20
MAX_URL_LENGTH = 2000
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_UPSERT = re.compile(r"^PUT /api/collections/(?P<collection>[^/?]+)/records(?P<query>\?.*)?$")
_ACTIONS = (
    _UPSERT,
    re.compile(r"^POST /api/collections/(?P<collection>[^/?]+)/records(?:\?.*)?$"),
    re.compile(r"^PATCH /api/collections/(?P<collection>[^/?]+)/records/(?P<id>[^/?]+)(?:\?.*)?$"),
    re.compile(r"^DELETE /api/collections/(?P<collection>[^/?]+)/records/(?P<id>[^/?]+)(?:\?.*)?$"),
)


class BatchRequestEvent(RequestEvent):
    """``onBatchRequest``: ``batch`` is the list of sub-requests (``method``, ``url``, ``body``, ``headers``)."""

    batch: list[dict[str, Any]] | None = None


def register(api: falcon.App, app: App) -> None:
    """Mount the batch route."""
    api.add_route("/api/batch", BatchResource(app, api))


class _SubRequestFailed(Exception):
    def __init__(self, index: int, status: int, body: Any) -> None:
        super().__init__(f"batch request {index} failed")
        self.index = index
        self.status = status
        self.body = body


class BatchResource:
    """The batch route; sub-requests go through ``wsgi`` (the whole app) on this thread."""

    # NOTE: the batch has its own body limit (settings.batch.maxBodySize).
    body_limit = staticmethod(lambda req, params: 1 << 62)

    def __init__(self, app: App, wsgi: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi = wsgi

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run the batch."""
        settings = self.app.settings().get("batch") or {}
        max_requests = int(settings.get("maxRequests") or 0)
        if not settings.get("enabled") or max_requests <= 0:
            raise ApiError(403, MSG_NOT_ALLOWED)
        timeout = float(settings.get("timeout") or 0) or DEFAULT_TIMEOUT
        max_body = int(settings.get("maxBodySize") or 0) or DEFAULT_MAX_BODY
        if req.content_length and req.content_length > max_body:
            raise ApiError(413)
        requests, files = _read_requests(req, self.app.files.temp_dir)
        _validate(requests, max_requests)
        event = BatchRequestEvent(self.app)
        event.request, event.response, event.auth, event.batch = req, resp, req.context.auth, requests

        def finalize(e: BatchRequestEvent) -> None:
            results = self._run(req, e.batch or [], timeout, files)
            resp.content_type = "application/json"
            resp.data = orjson.dumps(results)

        self.app.hooks["onBatchRequest"].trigger(event, finalize)

    def _run(
        self, req: falcon.Request, batch: list[dict[str, Any]], timeout: float, files: dict[int, dict[str, list[Any]]]
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        results: list[dict[str, Any]] = []
        try:
            with self.app.db.write():
                for index, sub in enumerate(batch):
                    status, body, raw = self._send(req, sub, index, files.get(index))
                    if status >= 400:
                        raise _SubRequestFailed(index, status, body)
                    # NOTE: as PocketBase: the answer as the sub-request wrote it (a view's JSON
                    # keeps its keys' order), "body" first
                    results.append({"body": orjson.Fragment(raw) if isinstance(body, dict | list) else body, "status": status})
                    if time.monotonic() > deadline:
                        raise TimeoutError("batch transaction timeout")
        except _SubRequestFailed as ex:
            response = ex.body if isinstance(ex.body, dict) else {"data": {}, "message": MSG_GENERIC, "status": ex.status}
            failure = {"code": "batch_request_failed", "message": "Batch request failed.", "response": response}
            raise ApiError(400, MSG_FAILED, {"requests": {str(ex.index): failure}}) from None
        except TimeoutError as ex:
            raise ApiError(400, MSG_FAILED) from ex
        return results

    def _send(
        self, req: falcon.Request, sub: dict[str, Any], index: int, files: dict[str, list[Any]] | None = None
    ) -> tuple[int, Any, bytes]:
        """One sub-request through the app, as the caller; its status, JSON body and bytes."""
        method = str(sub.get("method") or "").upper()
        url = str(sub.get("url") or "")
        body = dict(sub.get("body") or {})
        line = f"{method} {url}"
        match = next((m for m in (r.match(line) for r in _ACTIONS) if m is not None), None)
        if match is None:
            # NOTE: PocketBase's "unknown batch request action": a 400 first, a 500 later (it
            # surfaces from inside the previous sub-request's handler there).
            return (400 if index == 0 else 500), None, b""
        if match.re is _UPSERT:
            method, url = self._upsert(match, body)
        headers = {
            str(key).upper(): str(value) for key, value in (sub.get("headers") or {}).items()
            # NOTE: the batch's auth is every sub-request's
            if str(key).lower() != "authorization"
        }  # fmt: skip
        payload, content_type, extra = multipart_body(body)
        if files:
            extra[SUB_REQUEST_FILES_ENV] = files
        status, raw = call_self(
            self.wsgi, req, method, url, payload, content_type, context="batch", headers=headers, environ_extra=extra,
        )  # fmt: skip
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw.decode("utf-8", "replace")
        if status == 404 and isinstance(parsed, dict) and parsed.get("message") == MSG_MISSING_COLLECTION_ROUTE:
            # NOTE: PocketBase's batch calls the record actions directly, whose wording differs
            # from the route's for an unknown collection.
            parsed["message"] = MSG_MISSING_COLLECTION
        return status, parsed, raw

    def _upsert(self, match: re.Match[str], body: dict[str, Any]) -> tuple[str, str]:
        """``PUT`` becomes a PATCH of the body's ``id`` when that record exists, else a POST."""
        collection, query = match["collection"], match["query"] or ""
        record_id = body.get("id")
        if isinstance(record_id, str) and record_id:
            col = self.app.registry.find(unquote(collection))
            if col is not None:
                try:
                    self.app.records.find_by_id(col, record_id)
                except NotFoundError:
                    pass
                else:
                    return "PATCH", f"/api/collections/{collection}/records/{record_id}{query}"
        return "POST", f"/api/collections/{collection}/records{query}"


def _read_requests(req: falcon.Request, temp_dir: str) -> tuple[list[dict[str, Any]], dict[int, dict[str, list[Any]]]]:
    """The ``requests`` list, bound as PocketBase binds it (wrong shapes fail to read), and the
    uploads of each sub-request (multipart parts named ``requests.<index>.<field>``)."""
    try:
        data, uploads = read_body(
            req, invalid_message=MSG_READ_FAILED, require_type=True, infer=False, xml_message=MSG_READ_FAILED,
            uploads=UploadTarget(temp_dir),
        )  # fmt: skip
    except ValidationError as ex:
        raise bad_request(MSG_READ_FAILED) from ex
    files: dict[int, dict[str, list[Any]]] = {}
    for key, items in uploads.items():
        prefix, index, field = (key.split(".", 2) + ["", ""])[:3]
        if prefix == "requests" and index.isdigit() and field:
            files.setdefault(int(index), {})[field] = [_named_again(item) for item in items]
    requests = data.get("requests")
    if requests is None:
        return [], files
    if not isinstance(requests, list):
        raise bad_request(MSG_READ_FAILED)
    for sub in requests:
        if not isinstance(sub, dict):
            raise bad_request(MSG_READ_FAILED)
        for key, kind in (("method", str), ("url", str), ("body", dict), ("headers", dict)):
            if sub.get(key) is not None and not isinstance(sub[key], kind):
                raise bad_request(MSG_READ_FAILED)
        if any(not isinstance(v, str) for v in (sub.get("headers") or {}).values()):
            raise bad_request(MSG_READ_FAILED)
    return requests, files


def _named_again(upload: Any) -> Any:
    """NOTE: PocketBase hands a sub-request its files as a multipart body again, each under the
    name its batch reader gave it, and the record names it once more: ``a.txt`` is stored as
    ``a_<random>_<random>.txt`` and hooks see ``a_<random>.txt`` as its original name."""
    if isinstance(upload, File):
        upload.original_name = upload.name
        upload.name = normalize_name(upload.name, upload.head)
    return upload


def _validate(requests: list[dict[str, Any]], max_requests: int) -> None:
    if not requests:
        raise ValidationError({"requests": FieldError("validation_required", "Cannot be blank.")}, MSG_INVALID)
    if len(requests) > max_requests:
        raise ValidationError(
            {"requests": FieldError(
                "validation_length_too_long", f"The length must be no more than {max_requests}.", {"max": max_requests, "min": 0},
            )},  # fmt: skip
            MSG_INVALID,
        )
    nested: dict[str, ValidationError] = {}
    for index, sub in enumerate(requests):
        errors: dict[str, FieldError] = {}
        method = sub.get("method") or ""
        if not method:
            errors["method"] = FieldError("validation_required", "Cannot be blank.")
        elif method not in METHODS:
            errors["method"] = FieldError("validation_in_invalid", "Must be a valid value.")
        url = sub.get("url") or ""
        if not url:
            errors["url"] = FieldError("validation_required", "Cannot be blank.")
        elif len(url) > MAX_URL_LENGTH:
            errors["url"] = FieldError(
                "validation_length_too_long", f"The length must be no more than {MAX_URL_LENGTH}.", {"max": MAX_URL_LENGTH, "min": 0}
            )
        if errors:
            nested[str(index)] = ValidationError(errors)
    if nested:
        raise ValidationError({"requests": ValidationError(nested)}, MSG_INVALID)
