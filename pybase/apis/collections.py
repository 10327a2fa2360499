"""``/api/collections``: superuser-only management of collections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import falcon

from pybase.apis.errors import bad_request, from_domain, not_found
from pybase.apis.guards import require_superuser
from pybase.apis.query_form import read_query
from pybase.apis.request_body import read_body, read_json
from pybase.apis.serialize import apply_fields, dumps, parse_fields, record_to_json
from pybase.core.collection_bind import apply_changes, new_collection
from pybase.core.collection_defaults import scaffolds
from pybase.core.collection_query import filter_collections
from pybase.core.collection_save import (
    ImportValidationError,
    SchemaChangeError,
    import_collections,
    truncate_collection,
)
from pybase.core.collection_validate_auth import AUTH_OPTIONS_SHAPE, binds
from pybase.core.collections import Collection
from pybase.core.errors import BadRequestError, PyBaseError, ValidationError, sentenize
from pybase.core.events import (
    CollectionRequestEvent,
    CollectionsImportRequestEvent,
    CollectionsListRequestEvent,
)
from pybase.core.fields import FIELD_TYPES, UnknownFieldType
from pybase.core.record_query import page_offset, parse_paging
from pybase.core.view_schema import ViewQueryError, dry_run_view
from pybase.tools.gonumbers import json_number
from pybase.tools.oauth2 import new_provider, provider_names

if TYPE_CHECKING:
    from pybase.core.app import App

MSG_INVALID_TYPE_DATA = "Failed to load the collection type data due to invalid formatting."
MSG_INVALID_FORMATTING = "Failed to load the submitted data due to invalid formatting."
MSG_TRUNCATE_FAILED = "Failed to truncate collection (most likely due to required cascade delete record references)."


def register(api: falcon.App, app: App) -> None:
    """Mount the collections routes (all superuser-only)."""
    api.add_route("/api/collections", CollectionsResource(app))
    api.add_route("/api/collections/meta/scaffolds", ScaffoldsResource())
    api.add_route("/api/collections/meta/oauth2-providers", OAuth2ProvidersResource())
    api.add_route("/api/collections/meta/dry-run-view", DryRunViewResource(app))
    api.add_route("/api/collections/import", ImportResource(app))
    item = CollectionResource(app)
    api.add_route("/api/collections/{collection}", item)
    api.add_route("/api/collections/{collection}/truncate", item, suffix="truncate")


_RULE_KEYS = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule")


def _bad_shape(data: dict[str, Any]) -> bool:
    """Whether a value has a JSON type Go could not bind into the collection struct."""
    if not isinstance(data.get("fields") or [], list) or not all(isinstance(f, dict) for f in data.get("fields") or []):
        return True
    if not binds(AUTH_OPTIONS_SHAPE, {k: v for k, v in data.items() if k in AUTH_OPTIONS_SHAPE}):
        return True
    for field in data.get("fields") or []:
        cls = FIELD_TYPES.get(field.get("type")) if isinstance(field.get("type"), str) else None
        if cls is not None and not all(cls.accepts_json(key, value) for key, value in field.items()):
            return True
    if not isinstance(data.get("indexes") or [], list) or not all(isinstance(i, str | None) for i in data.get("indexes") or []):
        return True
    if any(not isinstance(data[k], str | None) for k in (*_RULE_KEYS, "viewQuery", "id") if k in data):
        return True
    return "system" in data and not isinstance(data["system"], bool | None)


def _write_json(resp: falcon.Response, data: Any, status: int = 200) -> None:
    resp.status = status
    resp.content_type = "application/json"
    _number_options(data)
    resp.data = dumps(data)


def _number_options(data: Any) -> None:
    """A number field's min/max in ``data`` (a collection, a page or list of them) as Go writes
    them (gonumbers: 1e16 as 10000000000000000, -0)."""
    page = data.get("items") if isinstance(data, dict) and "items" in data else None
    for col in page if isinstance(page, list) else data if isinstance(data, list) else [data]:
        for field in (col.get("fields") if isinstance(col, dict) else None) or []:
            if isinstance(field, dict) and field.get("type") == "number":
                for key in ("min", "max"):
                    if type(field.get(key)) is float:
                        field[key] = json_number(field[key])


@falcon.before(require_superuser)
class CollectionsResource:
    """List and create collections."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List collections with page/perPage/sort/filter over id, created, updated, name, system, type."""
        page, per_page = parse_paging(req.get_param("page"), req.get_param("perPage"))
        collections = self.app.registry.all()
        filter_text, sort = req.get_param("filter"), req.get_param("sort")
        if filter_text or sort:
            try:
                collections = filter_collections(self.app, filter_text, sort)
            except BadRequestError as ex:
                raise bad_request() from ex
        total = len(collections)
        event = CollectionsListRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        offset = page_offset(page, per_page)
        event.collections = collections[offset : offset + per_page]

        def finalize(e: CollectionsListRequestEvent) -> None:
            items = apply_fields([c.to_json() for c in e.collections or []], parse_fields(req.get_param("fields")))
            skip = (req.get_param("skipTotal") or "").lower() in ("1", "true")
            e.result = {
                "items": items,
                "page": page,
                "perPage": per_page,
                "totalItems": -1 if skip else total,
                "totalPages": -1 if skip else (total + per_page - 1) // per_page,
            }
            _write_json(resp, e.result)

        self.app.hooks["onCollectionsListRequest"].trigger(event, finalize)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a collection and its table."""
        data = _read_collection_body(req, MSG_INVALID_TYPE_DATA, xml_message=MSG_INVALID_FORMATTING)
        # NOTE: PocketBase binds type and name first, then the rest; each step has its message.
        if any(not isinstance(data.get(k), str | None) for k in ("type", "name")):
            raise bad_request(MSG_INVALID_TYPE_DATA)
        if _bad_shape(data):
            raise bad_request(MSG_INVALID_FORMATTING)
        try:
            col = new_collection(data, system_fields_first=False)
        except ValidationError as ex:
            raise from_domain(ex, "Failed to create collection.") from ex
        except UnknownFieldType as ex:
            raise bad_request(MSG_INVALID_FORMATTING) from ex
        col.registry = self.app.registry
        event = CollectionRequestEvent(self.app)
        event.request, event.response, event.collection, event.auth = req, resp, col, req.context.auth

        def finalize(e: CollectionRequestEvent) -> None:
            try:
                saved = self.app.save_collection(e.collection)
            except ValidationError as ex:
                raise from_domain(ex, "Failed to create collection.") from ex
            except SchemaChangeError as ex:
                raise bad_request(f"Failed to create collection. Raw error: \n{ex.message}.") from ex
            _write_json(resp, saved.to_json())

        self.app.hooks["onCollectionCreateRequest"].trigger(event, finalize)


@falcon.before(require_superuser)
class CollectionResource:
    """View, update, delete and truncate one collection."""

    def __init__(self, app: App) -> None:
        self.app = app

    def _find(self, name: str) -> Collection:
        col = self.app.registry.find(name)
        if col is None:
            raise not_found()
        return col

    def _event(self, req: falcon.Request, resp: falcon.Response, col: Collection) -> CollectionRequestEvent:
        event = CollectionRequestEvent(self.app)
        event.request, event.response, event.collection, event.auth = req, resp, col, req.context.auth
        return event

    def on_get(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """View one collection."""
        col = self._find(collection)
        self.app.hooks["onCollectionViewRequest"].trigger(
            self._event(req, resp, col),
            lambda e: _write_json(resp, apply_fields(e.collection.to_json(), parse_fields(req.get_param("fields")))),
        )

    def on_patch(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Update a collection (renames keep data; the table is altered in one transaction)."""
        old = self._find(collection)
        # NOTE: a JSON null resets the collection PocketBase binds into: its name goes blank.
        data = _read_collection_body(req, MSG_INVALID_FORMATTING, xml_message=None, null_binds={"name": ""})
        if _bad_shape(data) or any(not isinstance(data.get(k), str | None) for k in ("type", "name")):
            raise bad_request(MSG_INVALID_FORMATTING)
        if isinstance(data.get("id"), str) and data["id"] != old.id:
            # NOTE: PocketBase binds the new id and then finds no collection to update.
            raise not_found()
        col = old.clone()
        try:
            renames = apply_changes(col, {k: v for k, v in data.items() if k not in ("id", "type")})
        except ValidationError as ex:
            raise from_domain(ex, "Failed to update collection.") from ex
        except UnknownFieldType as ex:
            raise bad_request(MSG_INVALID_FORMATTING) from ex
        if data.get("type") is not None and data["type"] != old.type:
            col.type = data["type"] if isinstance(data["type"], str) else ""

        def finalize(e: CollectionRequestEvent) -> None:
            try:
                saved = self.app.save_collection(e.collection, old, renames)
            except ValidationError as ex:
                raise from_domain(ex, "Failed to update collection.") from ex
            except SchemaChangeError as ex:
                raise bad_request(f"Failed to update collection. Raw error: \n{ex.message}.") from ex
            _write_json(resp, saved.to_json())

        self.app.hooks["onCollectionUpdateRequest"].trigger(self._event(req, resp, col), finalize)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Delete a collection (refused when system or referenced)."""
        col = self._find(collection)

        def finalize(e: CollectionRequestEvent) -> None:
            try:
                self.app.delete_collection(e.collection)
            except BadRequestError as ex:
                raise bad_request(ex.message) from ex
            resp.status = 204

        self.app.hooks["onCollectionDeleteRequest"].trigger(self._event(req, resp, col), finalize)

    def on_delete_truncate(self, req: falcon.Request, resp: falcon.Response, collection: str) -> None:
        """Delete every record of a collection."""
        col = self._find(collection)
        if col.is_view:
            raise bad_request("View collections cannot be truncated since they don't store their own records.")
        try:
            truncate_collection(self.app, col)
        except PyBaseError as ex:
            raise bad_request(MSG_TRUNCATE_FAILED) from ex
        resp.status = 204


@falcon.before(require_superuser)
class ImportResource:
    """``PUT /api/collections/import``: replace collections in one transaction."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_put(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Import ``{collections: [...], deleteMissing: bool}``."""
        data = read_json(req, invalid_message="An error occurred while loading the submitted data.")
        items = data.get("collections")
        if not isinstance(items, list) or not items:
            raise bad_request(
                "An error occurred while validating the submitted data.",
                {"collections": {"code": "validation_required", "message": "Cannot be blank."}},
            )
        event = CollectionsImportRequestEvent(self.app)
        event.request, event.response, event.auth = req, resp, req.context.auth
        event.collections_data, event.delete_missing = items, bool(data.get("deleteMissing"))

        def finalize(e: CollectionsImportRequestEvent) -> None:
            try:
                import_collections(self.app, e.collections_data or [], e.delete_missing)
            except ImportValidationError as ex:
                raise bad_request(ex.message, ex.data) from ex
            except PyBaseError as ex:
                raise bad_request(
                    "Failed to import collections.",
                    {
                        "collections": {
                            "code": "validation_collections_import_failure",
                            "message": f"Failed to import the collections configuration. Raw error:\n{ex.message.rstrip('.')}.",
                        }
                    },
                ) from ex
            resp.status = 204

        self.app.hooks["onCollectionsImportRequest"].trigger(event, finalize)


@falcon.before(require_superuser)
class ScaffoldsResource:
    """``GET /api/collections/meta/scaffolds``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Default JSON of a new collection of each type."""
        _write_json(resp, scaffolds())


@falcon.before(require_superuser)
class OAuth2ProvidersResource:
    """``GET /api/collections/meta/oauth2-providers``: the OAuth2 providers pybase implements."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``[{name, displayName, logo}]`` by PocketBase's order, then name.

        NOTE: PocketBase answers each provider's SVG logo; those files are PocketBase's own, so
        pybase answers an empty ``logo`` (the dashboard then shows the name alone).
        """
        providers = [(p.order, name, p.display_name) for name in provider_names() if (p := new_provider(name)) is not None]
        _write_json(resp, [{"name": name, "displayName": display, "logo": ""} for _order, name, display in sorted(providers)])


@falcon.before(require_superuser)
class DryRunViewResource:
    """``POST /api/collections/meta/dry-run-view``: the fields and sample records of a view query."""

    def __init__(self, app: App) -> None:
        self.app = app

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """``{"fields": [...], "sample": [up to 10 records]}`` for ``{"query": "SELECT ..."}``."""
        query = read_query(req)
        try:
            fields, records = dry_run_view(self.app, query)
        except ViewQueryError as ex:
            raise bad_request(sentenize(f"Invalid view query. Raw error: \n{ex}")) from ex
        # NOTE: the sample shows what any caller would see: hidden fields stay hidden.
        _write_json(resp, {"fields": [f.to_json() for f in fields], "sample": [record_to_json(r, None) for r in records]})


def _read_collection_body(
    req: falcon.Request, message: str, *, xml_message: str | None, null_binds: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A collection body: JSON or a form bound to the collection's keys (values kept as text)."""
    data, _files = read_body(
        req,
        invalid_message=message,
        require_type=True,
        infer=False,
        unsupported_message=message,
        xml_message=xml_message,
        null_binds=null_binds,
        numbers_in_range=False,  # NOTE: a struct target: values of unknown keys are skipped
    )
    return data
