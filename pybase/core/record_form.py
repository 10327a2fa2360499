"""Submitted data -> record values: casting, ``field+``/``+field``/``field-`` modifiers, passwords."""

from __future__ import annotations

from typing import Any

from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.records import Record
from pybase.tools.cast import to_string

PASSWORD_CONFIRM = "passwordConfirm"
OLD_PASSWORD = "oldPassword"
# Fields only a superuser (or a manager, via manageRule) may set on auth records.
_MANAGED_AUTH_FIELDS = ("verified",)


def load_submitted(
    record: Record,
    data: dict[str, Any],
    *,
    is_superuser: bool = False,
    is_manager: bool = False,
) -> None:
    """Apply a request body to ``record``; raise ValidationError for what cannot be applied."""
    collection = record.collection
    errors: dict[str, FieldError] = {}
    plain: dict[str, Any] = {}
    modifiers: list[tuple[str, str, Any]] = []
    for key, value in data.items():
        if key.endswith("+") or key.endswith("-"):
            modifiers.append((key[:-1], key[-1], value))
        elif key.startswith("+"):
            modifiers.append((key[1:], "^", value))
        else:
            plain[key] = value
    for name, value in plain.items():
        field = collection.field(name)
        if field is None or not _settable(record, field, is_superuser, is_manager):
            continue
        if name == "id" and not record.is_new:
            if value != record.original_id:
                errors["id"] = FieldError("validation_pk_change", "The record primary key cannot be changed.")
            continue
        try:
            record.set(name, field.prepare(value, record))
        except FieldError as ex:
            errors[name] = ex
    for name, modifier, value in modifiers:
        field = collection.field(name)
        if field is None or (field.hidden and not is_superuser):
            continue
        try:
            record.set(name, field.apply_modifier(modifier, value, record))
        except FieldError as ex:
            errors[name] = ex
    if collection.is_auth:
        # NOTE: as PocketBase's record form: its own checks (the password trio) come first and,
        # when they fail, are the only errors reported.
        form_errors = _check_password_change(record, data, is_superuser or is_manager)
        if form_errors:
            raise ValidationError(form_errors)
    if errors:
        raise ValidationError(errors)


def _settable(record: Record, field: Any, is_superuser: bool, is_manager: bool) -> bool:
    """Whether a plain submitted value for ``field`` is applied for this caller."""
    if field.type == "autodate":
        return False
    if field.hidden and not is_superuser and field.type != "password":
        return False
    if record.collection.is_auth and field.name in _MANAGED_AUTH_FIELDS and not (is_superuser or is_manager):
        return False
    return not (field.name == "tokenKey" and not is_superuser)


def _check_password_change(record: Record, data: dict[str, Any], privileged: bool) -> dict[str, FieldError]:
    """PocketBase's password, passwordConfirm and oldPassword rules for an auth record form."""
    password = to_string(data.get("password"))
    confirm = to_string(data.get(PASSWORD_CONFIRM))
    old = to_string(data.get(OLD_PASSWORD))
    plain = record.password_plain("password") or ""
    if plain and plain != password:
        return {}  # NOTE: a password set by code, not by the form: nothing to confirm
    errors: dict[str, FieldError] = {}
    if not password and (record.is_new or confirm or old):
        errors["password"] = required()
    if not confirm and (record.is_new or password or old):
        errors[PASSWORD_CONFIRM] = required()
    elif confirm != password:
        errors[PASSWORD_CONFIRM] = FieldError("validation_values_mismatch", "Values don't match.")
    if not record.is_new and not privileged and (password or confirm):
        if not old:
            errors[OLD_PASSWORD] = required()
        elif not record.validate_password(old):
            errors[OLD_PASSWORD] = FieldError("validation_invalid_old_password", "Missing or invalid old password.")
    return errors


def rule_body(record: Record, data: dict[str, Any], *, is_superuser: bool = False) -> dict[str, Any]:
    """``@request.body`` as API rules see it (as PocketBase): ``field+``/``+field``/``field-``
    resolved against ``record``'s current values into the new value under the plain name, and
    hidden fields dropped for non-superusers. ``record`` is not changed."""
    collection = record.collection
    scratch = Record(collection, store=record.store)
    scratch.data = dict(record.data)
    body: dict[str, Any] = {}
    modifiers: list[tuple[str, str, Any]] = []
    for key, value in data.items():
        if key.startswith("+"):
            modifiers.append((key[1:], "^", value))
        elif key.endswith(("+", "-")) and collection.field(key[:-1]) is not None:
            modifiers.append((key[:-1], key[-1], value))
        else:
            field = collection.field(key)
            if field is not None and field.hidden and not is_superuser and field.type != "password":
                continue
            body[key] = value
            if field is not None and field.type != "password":
                try:
                    scratch.set(key, field.prepare(value, scratch))
                except FieldError:
                    pass
    for name, modifier, value in modifiers:
        field = collection.field(name)
        if field is None or (field.hidden and not is_superuser):
            continue
        try:
            scratch.set(name, field.apply_modifier(modifier, value, scratch))
        except FieldError:
            continue
        body[name] = field.export(scratch.get(name))
    return body
