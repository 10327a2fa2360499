"""``/api/collections/{collection}/records``: list, view, create, update, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import MSG_SUPERUSERS_ONLY, ApiError, bad_request, from_domain, not_found
from pybase.apis.middleware import DEFAULT_BODY_LIMIT
from pybase.apis.ratelimit import check_collection
from pybase.apis.request_body import SUB_REQUEST_FILES_ENV, UploadTarget, read_body, request_info
from pybase.apis.serialize import (
    apply_fields,
    dumps,
    parse_fields,
    record_to_json,
    rows_to_json,
    unhide_for_superuser,
)
from pybase.core import record_access, record_write_checks
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError, NotFoundError, PyBaseError, ValidationError
from pybase.core.events import RecordEnrichEvent, RecordRequestEvent, RecordsListRequestEvent
from pybase.core.fields.password import can_hash
from pybase.core.record_expand import expand_records
from pybase.core.record_form import check_managed_fields, load_submitted, rule_body
from pybase.core.record_query import parse_paging
from pybase.core.record_search import parse_search
from pybase.core.records import Record
from pybase.core.request_info import RequestInfo

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_MISSING_COLLECTION = "Missing collection context."
MSG_MISSING_COLLECTION_CREATE = "Missing or invalid collection context."
MSG_UNSUPPORTED_TYPE = "Unsupported collection type."
MSG_DELETE_REFERENCED = (
    "Failed to delete record. Make sure that the record is not part of a required relation reference."
)


def register(api: falcon.App, app: App) -> None:
    """Mount the records routes."""
    resource = RecordsResource(app)
    api.add_route("/api/collections/{collection}/records", resource)
    # NOTE: path parameter names are PocketBase's, since hooks read them (e.request.pathValue("id")).
    api.add_route("/api/collections/{collection}/records/{id}", resource, suffix="item")


def parse_bool_param(value: str | None) -> bool:
    """``skipTotal``-style flags as Go's ``strconv.ParseBool`` reads them (400 for anything else)."""
    if value in (None, ""):
        return False
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise bad_request()


def record_body_limit(collection: Collection) -> int:
    """PocketBase's limit for record writes: 32 MiB plus each file/json/editor allowance."""
    extra = 0
    if collection.is_view:
        return DEFAULT_BODY_LIMIT
    for field in collection.fields:
        if field.type == "file":
            extra += (getattr(field, "maxSize", 0) or 5 << 20) * max(getattr(field, "maxSelect", 0) or 1, 1)
        elif field.type == "json":
            extra += getattr(field, "maxSize", 0) or 1 << 20
        elif field.type == "editor":
            extra += getattr(field, "maxSize", 0) or 5 << 20
    return DEFAULT_BODY_LIMIT + extra


class RecordsResource:
    """The records CRUD endpoints of one collection."""

    def __init__(self, app: App) -> None:
        self.app = app

    def body_limit(self, req: falcon.Request, params: dict[str, Any]) -> int:
        """Per-collection body limit (used by the body limit middleware)."""
        col = self.app.registry.find(params.get("collection", ""))
        return record_body_limit(col) if col is not None else DEFAULT_BODY_LIMIT

    # ---- helpers -----------------------------------------------------------------------

    def _collection(self, name: str, message: str = MSG_MISSING_COLLECTION) -> Collection:
        col = self.app.registry.find(name)
        if col is None:
            raise not_found(message)
        return col

    def _find_allowed(self, col: Collection, info: RequestInfo, rule_key: str, record_id: str) -> Record:
        """The record if the rule lets the caller reach it: 403 for a null rule, else 404."""
        rule = col.rules[rule_key]
        if rule is None and not info.is_superuser:
            raise ApiError(403, MSG_SUPERUSERS_ONLY)
        try:
            return record_access.find_with_rule(self.app, col, info, rule, record_id)
        except BadRequestError as ex:
            raise not_found() from ex

    def _write_request(
        self, req: falcon.Request, collection: str, rule_key: str
    ) -> tuple[Collection, dict[str, Any], dict[str, list[Any]], RequestInfo, str | None]:
        """Collection, body, files, request info and rule of a create/update (403 for a null rule)."""
        col = self._collection(collection, MSG_MISSING_COLLECTION_CREATE)
        check_collection(req, col, "create" if rule_key == "createRule" else "update")
        if col.is_view:
            raise bad_request(MSG_UNSUPPORTED_TYPE)
        try:
            data, files = read_body(req, require_type=True, uploads=_upload_target(self.app, col))
            files = req.env.get(SUB_REQUEST_FILES_ENV) or files
        except ValidationError as ex:
            verb = "create" if rule_key == "createRule" else "update"
            raise from_domain(ex, f"Failed to {verb} record.") from ex
        info = request_info(req, data)
        rule = col.rules[rule_key]
        if rule is None and not info.is_superuser:
            raise ApiError(403, MSG_SUPERUSERS_ONLY)
        return col, data, files, info, rule

    def _event(self, req: falcon.Request, resp: falcon.Response, col: Collection, record: Record, info: RequestInfo) -> RecordRequestEvent:
        event = RecordRequestEvent(self.app)
        event.request, event.response, event.collection, event.record, event.auth = req, resp, col, record, info.auth
        return event

    def _respond(self, req: falcon.Request, resp: falcon.Response, records: list[Record], info: RequestInfo, status: int = 200) -> list[dict[str, Any]]:
        expand = req.get_param("expand") or ""
        if expand:
            expand_records(self.app, records, expand, info)
        enrich = self.app.hooks["onRecordEnrich"]
        enriching = enrich.length() > 0
        managed: set[str] = set()
        if records and not info.is_superuser and records[0].collection.is_auth:
            managed = record_write_checks.managed_ids(self.app, records[0].collection, info, [r.id for r in records])
        out = []
        for record in records:
            if enriching:
                event = RecordEnrichEvent(self.app, record)
                event.request_info = info
                enrich.trigger(event, unhide_for_superuser if info.is_superuser else None)
            out.append(record_to_json(record, info, show_email=bool(managed) and record.id in managed))
        return out

    def _write_one(self, req: falcon.Request, resp: falcon.Response, record: Record, info: RequestInfo, status: int = 200) -> None:
        data = self._respond(req, resp, [record], info)[0]
        resp.status = status
        resp.content_type = "application/json"
        resp.data = dumps(apply_fields(data, parse_fields(req.get_param("fields"))))

    # ---- list / view -------------------------------------------------------------------

    def on_get(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """List records (listRule, filter, sort, paging)."""
        col = self._collection(collection)
        check_collection(req, col, "list")
        info = request_info(req)
        rule = col.rules["listRule"]
        if rule is None and not info.is_superuser:
            raise ApiError(403, MSG_SUPERUSERS_ONLY)
        page, per_page = parse_paging(req.get_param("page"), req.get_param("perPage"))
        skip_total = parse_bool_param(req.get_param("skipTotal"))
        search = parse_search(col, req.get_param("search"))  # NOTE: pybase's full-text search
        try:
            result = record_access.list_records(
                self.app, col, info, rule, req.get_param("filter"), req.get_param("sort"),
                page=page, per_page=per_page, skip_total=skip_total, search=search,
            )
        except BadRequestError as ex:
            raise bad_request() from ex
        hooks = self.app.hooks
        if not (col.is_auth or req.get_param("expand") or hooks["onRecordsListRequest"].length() or hooks["onRecordEnrich"].length()):
            # PERF: nothing would see the records: their rows are exported straight.
            items = rows_to_json(col, result.rows, info)
            resp.content_type = "application/json"
            resp.data = dumps({
                "page": result.page, "perPage": result.per_page, "totalItems": result.total_items,
                "totalPages": result.total_pages, "items": apply_fields(items, parse_fields(req.get_param("fields"))),
            })  # fmt: skip
            return
        event = RecordsListRequestEvent(self.app)
        event.request, event.response, event.collection, event.auth = req, resp, col, info.auth
        # NOTE: as PocketBase, the page is fetched before the hooks: they see (and may change)
        # e.records and e.result; the default behaviour enriches and writes them.
        event.records = result.records
        event.result = {
            "page": result.page,
            "perPage": result.per_page,
            "totalItems": result.total_items,
            "totalPages": result.total_pages,
            "items": result.records,
        }

        def finalize(e: RecordsListRequestEvent) -> None:
            records = list(e.records or ())
            exported = {id(r): item for r, item in zip(records, self._respond(req, resp, records, info), strict=True)}
            fields = parse_fields(req.get_param("fields"))
            shown = dict(e.result) if isinstance(e.result, dict) else {}
            items = shown.get("items", records)
            if isinstance(items, list) and all(isinstance(item, Record) for item in items):
                # NOTE: the records the result holds, enriched (e.records); a hook that put other
                # values in e.result.items has them written as they are, as PocketBase
                shown["items"] = apply_fields([exported.get(id(r)) or record_to_json(r, info) for r in items], fields)
            e.result = shown
            resp.content_type = "application/json"
            resp.data = dumps(e.result)

        self.app.hooks["onRecordsListRequest"].trigger(event, finalize)

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, collection: str, id: str) -> None:  # noqa: A002
        """View one record (viewRule)."""
        col = self._collection(collection)
        check_collection(req, col, "view")
        info = request_info(req)
        record = self._find_allowed(col, info, "viewRule", id)
        event = self._event(req, resp, col, record, info)
        self.app.hooks["onRecordViewRequest"].trigger(
            event, lambda e: self._write_one(req, resp, e.record, info)
        )

    # ---- create / update / delete ------------------------------------------------------

    def on_post(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Create a record (createRule checked before the request hooks, as PocketBase)."""
        col, data, files, info, rule = self._write_request(req, collection, "createRule")
        record = self.app.new_record(col)
        if rule and not info.is_superuser:
            info.body = rule_body(record, data)
        elif _has_modifiers(data):
            # NOTE: as PocketBase, requestInfo's body holds the modifiers resolved (hooks see it)
            info.body = rule_body(record, data, is_superuser=True)
        form = load_submitted(record, _with_file_names(data, files), is_superuser=info.is_superuser)
        privileged = record_write_checks.is_manager_of_new(self.app, col, info, record)
        try:
            form.validate(record, privileged=privileged)
        except ValidationError as ex:
            raise from_domain(ex, "Failed to create record.") from ex
        if not info.is_superuser and not all(can_hash(p) for p in record.pending_passwords().values()):
            # NOTE: as PocketBase, whose createRule copy of the record fails to hash it.
            raise bad_request("Failed to create record.")
        rule_check = record_write_checks.write_check(self.app, col, info, rule)
        check = None if rule_check is None else rule_check.frozen(record)
        if check is not None:
            try:
                record_write_checks.run_check(self.app, check, record)
            except record_access.RuleFailed as ex:
                raise bad_request("Failed to create record.") from ex
        event = self._event(req, resp, col, record, info)

        def finalize(e: RecordRequestEvent) -> None:
            try:
                _check_managed(e.record, privileged)
                # NOTE: the same check again inside the write, against concurrent writes.
                self.app.save_checked(e.record, check)
            except ValidationError as ex:
                raise from_domain(ex, "Failed to create record.") from ex
            except record_access.RuleFailed as ex:
                raise bad_request("Failed to create record.") from ex
            self._write_one(req, resp, e.record, info)

        self.app.hooks["onRecordCreateRequest"].trigger(event, finalize)

    def on_patch_item(self, req: falcon.Request, resp: falcon.Response, collection: str, id: str) -> None:  # noqa: A002
        """Update a record (updateRule)."""
        col, data, files, info, rule = self._write_request(req, collection, "updateRule")
        if rule and not info.is_superuser:
            # NOTE: the updateRule sees @request.body with modifiers resolved (as PocketBase)
            # against the stored record; PERF: a rule that never reads the body is checked
            # first and its record resolves them (one read fewer: a round trip on Postgres).
            reads_body = "@request.body" in rule
            if reads_body:
                info.body = rule_body(self.app.records.find_by_id(col, id), data)
            try:
                record = record_access.find_with_rule(self.app, col, info, rule, id)
            except BadRequestError as ex:
                raise not_found() from ex
            if not reads_body:
                info.body = rule_body(record, data)
        else:
            record = self.app.records.find_by_id(col, id)
            if _has_modifiers(data):
                # NOTE: as PocketBase, requestInfo's body holds the modifiers resolved (hooks see it)
                info.body = rule_body(record, data, is_superuser=True)
        form = load_submitted(record, _with_file_names(data, files), is_superuser=info.is_superuser)
        privileged = record_write_checks.is_manager(self.app, col, info, record)
        try:
            form.validate(record, privileged=privileged)
        except ValidationError as ex:
            raise from_domain(ex, "Failed to update record.") from ex
        event = self._event(req, resp, col, record, info)

        def finalize(e: RecordRequestEvent) -> None:
            try:
                _check_managed(e.record, privileged)
                self.app.save(e.record)
            except ValidationError as ex:
                raise from_domain(ex, "Failed to update record.") from ex
            self._write_one(req, resp, e.record, info)

        self.app.hooks["onRecordUpdateRequest"].trigger(event, finalize)

    def on_delete_item(self, req: falcon.Request, resp: falcon.Response, collection: str, id: str) -> None:  # noqa: A002
        """Delete a record (deleteRule), cascading or refusing on relations."""
        col = self._collection(collection)
        check_collection(req, col, "delete")
        if col.is_view:
            raise bad_request(MSG_UNSUPPORTED_TYPE)
        info = request_info(req)
        record = self._find_allowed(col, info, "deleteRule", id)
        event = self._event(req, resp, col, record, info)

        def finalize(e: RecordRequestEvent) -> None:
            try:
                self.app.delete(e.record)
            except NotFoundError:
                raise
            except PyBaseError as ex:
                raise bad_request(MSG_DELETE_REFERENCED) from ex
            resp.status = 204

        self.app.hooks["onRecordDeleteRequest"].trigger(event, finalize)


def _check_managed(record: Record, privileged: bool) -> None:
    """The manage-only auth fields again, after the request hooks (which may change them)."""
    errors = check_managed_fields(record, privileged=privileged)
    if errors:
        raise ValidationError(errors)


def _upload_target(app: App, col: Collection) -> UploadTarget:
    """Where a record write's uploads are streamed, with each file field's size limit."""
    limits = {f.name: f.max_size() for f in col.fields if f.type == "file"}
    return UploadTarget(app.files.temp_dir, limits)


def _with_file_names(data: dict[str, Any], files: dict[str, list[Any]]) -> dict[str, Any]:
    """The submitted values with the uploads added (PocketBase binds both into one map).

    A file part under ``field``, ``field+``, ``+field`` or ``field-`` joins the plain values
    given under the same key; an upload under an unknown key is ignored as an unknown field.
    """
    if not files:
        return data
    merged = dict(data)
    for key, uploads in files.items():
        current = merged.get(key)
        given = [] if current in (None, "") else (list(current) if isinstance(current, list) else [current])
        merged[key] = given + list(uploads)
    return merged


def _has_modifiers(data: dict[str, Any]) -> bool:
    """Whether a submitted body holds a ``field+``/``+field``/``field-`` key."""
    return any(key[:1] == "+" or key[-1:] in ("+", "-") for key in data)
