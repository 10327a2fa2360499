"""Validation of a collection about to be saved: name, type, fields, indexes and rules."""

from __future__ import annotations

from typing import Any

from pybase.core.collections import (
    AUTH_RULES,
    AUTH_SYSTEM_FIELDS,
    COLLECTION_NAME_RE,
    RULES,
    TYPES,
    Collection,
    index_parses,
)
from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.fields.base import FIELD_NAME_RE
from pybase.core.record_search import reserved_name_error, searchable_error
from pybase.tools import dbutils
from pybase.tools.filter import go_quote

# NOTE: names a field cannot take (filter literals and the record JSON's own keys).
_EXCLUDED_FIELD_NAMES = ("null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand")
_RESERVED_AUTH_KEYS = ("passwordConfirm", "oldPassword")
_VIA = FieldError("validation_found_via", 'The value cannot contain "_via_".')


def validate_collection(col: Collection, old: Collection | None) -> None:
    """Check a collection about to be saved; raise :class:`ValidationError` listing problems."""
    errors = _head_errors(col, old)
    field_errors = _validate_fields(col, old)
    if field_errors:
        errors["fields"] = field_errors
    index_error = _validate_indexes(col, old)
    if index_error:
        errors["indexes"] = index_error
    for key in (*RULES, *AUTH_RULES):
        if key in AUTH_RULES and not col.is_auth:
            continue
        rule_error = _check_rule(col, old, key)
        if rule_error is not None:
            errors[key] = rule_error
    if col.is_auth:
        from pybase.core.collection_validate_auth import validate_auth_options

        for key, problem in validate_auth_options(col, lambda rule: _compile_rule(col, rule)).items():
            errors.setdefault(key, problem)
    if col.view_errors:
        errors.update(col.view_errors)
    elif col.is_view and not col.view_query.strip():
        errors["viewQuery"] = required()
    elif col.is_view and isinstance(field_errors, dict) and field_errors and "code" not in field_errors:
        errors["viewQuery"] = _view_field_error(col, field_errors)
    elif col.view_sample_error is not None:
        errors["viewQuery"] = col.view_sample_error
    if errors:
        raise ValidationError(errors)


def _head_errors(col: Collection, old: Collection | None) -> dict[str, Any]:
    """Errors of the type, name, id and system flag."""
    errors: dict[str, Any] = {}
    if col.type not in TYPES:
        errors["type"] = FieldError("validation_in_invalid", "Must be a valid value.")
    elif old is not None and old.type != col.type:
        errors["type"] = FieldError("validation_collection_type_change", "Collection type cannot be changed.")
    name_error = _check_name(col, old)
    if name_error is not None:
        errors["name"] = name_error
    id_error = _check_id(col, old)
    if id_error is not None:
        errors["id"] = id_error
    if old is not None and col.system != old.system:
        errors["system"] = FieldError("validation_collection_system_flag_change", "System collection state cannot be changed.")
    return errors


def _view_field_error(col: Collection, field_errors: dict[str, Any]) -> FieldError:
    """PocketBase checks the fields a view query yields: the first invalid one fails the query,
    its errors written as ozzo-validation prints them (``name: must be in a valid format``)."""
    index = min(int(key) for key in field_errors)
    problems = field_errors[str(index)]
    printed = "; ".join(
        f"{key}: {_ozzo_text(problem)}" for key, problem in sorted(problems.items()) if isinstance(problem, FieldError)
    )
    name = go_quote(col.fields[index].name)
    return FieldError("validation_invalid_view_query", f"Invalid query - invalid field {name} ({index}): {printed}.")


def _ozzo_text(problem: FieldError) -> str:
    text = problem.message.rstrip(".")
    return text[:1].lower() + text[1:]


def _check_id(col: Collection, old: Collection | None) -> FieldError | None:
    """A new collection's id: 1-100 word characters, not taken (PocketBase's rules)."""
    if old is not None:
        return None
    if not col.id:
        return required()
    if len(col.id) > 100:
        return _length(1, 100)
    if not COLLECTION_NAME_RE.match(col.id):
        return FieldError("validation_match_invalid", "Must be in a valid format.")
    if col.registry is not None and any(other.id == col.id for other in col.registry.all()):
        return FieldError("validation_invalid_or_existing_id", "The model id is invalid or already exists.")
    return None


def _check_name(col: Collection, old: Collection | None) -> FieldError | None:
    registry = col.registry
    if not col.name:
        return required()
    if len(col.name) > 255:
        return FieldError("validation_length_out_of_range", "The length must be between 1 and 255.", {"min": 1, "max": 255})
    if "_via_" in col.name.lower():
        return _VIA
    if not COLLECTION_NAME_RE.match(col.name):
        return FieldError("validation_match_invalid", "Must be in a valid format.")
    if old is not None and old.system and old.name != col.name:
        return FieldError("validation_collection_system_name_change", "System collection name cannot be changed.")
    if registry is None:
        return None
    other = registry.find(col.name)
    if other is not None and other.id != col.id:
        if other.name.lower() == col.name.lower():
            return FieldError("validation_collection_name_exists", "Collection name must be unique (case insensitive).")
        return FieldError("validation_collection_name_id_duplicate", "The name must not match an existing collection id.")
    reserved = reserved_name_error(col.name)
    if reserved is not None and (old is None or old.name.lower() != col.name.lower()):
        return reserved
    if col.name.lower() in registry.reserved_table_names() and (old is None or old.name.lower() != col.name.lower()):
        return FieldError("validation_collection_name_invalid", "The name shouldn't match with an existing internal table.")
    return None


def _check_rule(col: Collection, old: Collection | None, key: str) -> FieldError | None:
    value = col.rule(key)
    if col.is_view and key in ("createRule", "updateRule", "deleteRule"):
        return None if value is None else FieldError("validation_nil", "Must be blank.")
    if old is not None and old.system and key in RULES and value != old.rule(key):
        return FieldError("validation_collection_system_rule_change", "System collection API rule cannot be changed.")
    # NOTE: every rule is compiled again, as PocketBase does: removing or renaming a field a
    # rule still uses is refused.
    if key == "manageRule" and value == "":
        return FieldError("validation_nil_or_not_empty_required", "Cannot be blank.")
    if not value:
        return None
    return _compile_rule(col, value)


def _compile_rule(col: Collection, value: str) -> FieldError | None:
    from pybase.core.field_resolver import RecordFieldResolver
    from pybase.store.schema import IDENTIFIER_RE
    from pybase.tools.filter import FilterError, compile_filter

    if not IDENTIFIER_RE.match(col.name):
        # NOTE: an invalid name is reported on its own; the rule is checked on a stand-in table.
        col = col.clone()
        col.name = "_rule_check"
        col.invalidate()

    try:
        compile_filter(value, RecordFieldResolver(col, None, allow_hidden=True))
    except FilterError as ex:
        return FieldError("validation_invalid_rule", f"Invalid rule. Raw error: {ex.message}.")
    except Exception as ex:  # noqa: BLE001 - any failure to build the rule makes it invalid
        return FieldError("validation_invalid_rule", f"Invalid rule. Raw error: {ex}.")
    return None


def _validate_fields(col: Collection, old: Collection | None) -> Any:
    """Field list errors in PocketBase's order; the first failing check wins, as in its validator."""
    ids: set[str] = set()
    names: set[str] = set()
    for index, field in enumerate(col.fields):
        if field.id in ids:
            return {str(index): {"id": FieldError("validation_duplicated_field_id", f'Duplicated or invalid field id "{field.id}"')}}
        if field.name.lower() in names:
            return {str(index): {"name": FieldError(
                "validation_duplicated_field_name", f"Duplicated or invalid field name {field.name}", {"fieldName": field.name}
            )}}
        ids.add(field.id)
        names.add(field.name.lower())
    shape_error = _check_min_fields(col)
    if shape_error is not None:
        return shape_error
    if old is not None and not col.is_view:
        new_by_id = {f.id: f for f in col.fields}
        for field in old.fields:
            kept = new_by_id.get(field.id)
            if field.system and (kept is None or kept.name != field.name):
                return FieldError("validation_system_field_change", "System fields cannot be deleted or renamed.")
        old_by_id = {f.id: f for f in old.fields}
        changed = {
            str(index): FieldError("validation_field_type_change", "Field type cannot be changed.")
            for index, field in enumerate(col.fields)
            if field.id in old_by_id and old_by_id[field.id].type != field.type
        }
        if changed:
            return changed
    errors: dict[str, Any] = {}
    for index, field in enumerate(col.fields):
        ferr = _field_errors(col, field)
        if ferr:
            errors[str(index)] = ferr
    return errors


def _field_errors(col: Collection, field: Any) -> dict[str, Any]:
    """One field's settings errors, keyed by setting (the first failing rule of each)."""
    ferr: dict[str, Any] = {}
    if not field.id:
        ferr["id"] = required()
    elif len(field.id) > 100:
        ferr["id"] = _length(1, 100)
    name_error = _check_field_name(field.name)
    if name_error is not None:
        ferr["name"] = name_error
    elif col.is_auth and field.name in _RESERVED_AUTH_KEYS:
        ferr["name"] = FieldError("validation_reserved_field_name", "The field name is reserved and cannot be used.")
    if len(field.help) > 300:
        ferr["help"] = _length(1, 300)
    for key, problem in field.validate_settings(col).items():
        ferr.setdefault(key, problem)
    searchable = searchable_error(col, field)
    if searchable is not None:
        ferr.setdefault("searchable", searchable)
    return ferr


def _length(low: int, high: int) -> FieldError:
    return FieldError("validation_length_out_of_range", f"The length must be between {low} and {high}.", {"min": low, "max": high})


def _check_field_name(name: str) -> FieldError | None:
    if not name:
        return required()
    if len(name) > 100:
        return FieldError("validation_length_out_of_range", "The length must be between 1 and 100.", {"min": 1, "max": 100})
    if not FIELD_NAME_RE.match(name):
        return FieldError("validation_match_invalid", "Must be in a valid format.")
    if name in _EXCLUDED_FIELD_NAMES:
        return FieldError("validation_not_in_invalid", "Must not be in list.")
    if "_via_" in name.lower():
        return _VIA
    return None


def _check_min_fields(col: Collection) -> FieldError | None:
    if not col.fields:
        return required()
    pk = col.field("id")
    if pk is None or pk.type != "text" or not getattr(pk, "primaryKey", False):
        return FieldError("validation_missing_primary_key", 'Missing or invalid "id" PK field.')
    if col.is_auth:
        for name, ftype in AUTH_SYSTEM_FIELDS.items():
            field = col.field(name)
            if field is None or field.type != ftype:
                return FieldError(f"validation_missing_{name}_field", f'System "{name}" field is required.')
    return None


def _validate_indexes(col: Collection, old: Collection | None) -> Any:
    """The first index problem, shaped as PocketBase reports it (``{"<index>": error}``)."""
    if col.is_view and col.indexes:
        return FieldError("validation_indexes_not_supported", "View collections don't support indexes.")
    names: set[str] = set()
    definitions: set[str] = set()
    used = _index_names_of_other_collections(col, old)
    for index, sql in enumerate(col.indexes):
        try:
            parsed = dbutils.parse_index(sql)
        except dbutils.IndexParseError:
            return {str(index): FieldError("validation_invalid_index_expression", "Invalid CREATE INDEX expression.")}
        if parsed.name.lower() in names:
            return {str(index): FieldError("validation_duplicated_index_name", "The index name already exists.")}
        names.add(parsed.name.lower())
        if parsed.name.lower() in used:
            table = used[parsed.name.lower()]
            return {str(index): FieldError(
                "validation_existing_index_name", f"The index name is already used in {table} collection.", {"usedTableName": table}
            )}
        definition = parsed.definition()
        if definition in definitions:
            return {str(index): FieldError("validation_duplicated_index_definition", "The index definition already exists.")}
        definitions.add(definition)
        # NOTE: what SQLite refuses (unknown columns, functions...) is reported when the index
        # is created, worded as SQLite words it (collection_save._create_indexes), as PocketBase.
    return None


def _index_names_of_other_collections(col: Collection, old: Collection | None) -> dict[str, str]:
    if col.registry is None:
        return {}
    own = {col.id, *(c.id for c in [old] if c is not None)}
    out: dict[str, str] = {}
    for other in col.registry.all():
        if other.id in own:
            continue
        for sql in other.indexes:
            if index_parses(sql):
                out[dbutils.parse_index(sql).name.lower()] = other.name
    return out


