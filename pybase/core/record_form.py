"""Submitted data -> record values: casting, ``field+``/``+field``/``field-`` modifiers, passwords."""

from __future__ import annotations

from typing import Any

from pybase.core.errors import FieldError, ValidationError, required
from pybase.core.records import Record
from pybase.tools.cast import to_string

PASSWORD_CONFIRM = "passwordConfirm"
OLD_PASSWORD = "oldPassword"
MSG_MISMATCH = "Values don't match."


class AuthForm:
    """What a request body asked of a record: the values applied, the errors left to report.

    As PocketBase's record form, the auth checks (``email`` and ``verified`` kept unless the
    caller may manage the record, the password trio) are reported first and, when they fail,
    alone; field errors come after them.
    """

    __slots__ = ("data", "field_errors")

    def __init__(self, data: dict[str, Any], field_errors: dict[str, FieldError]) -> None:
        self.data = data
        self.field_errors = field_errors

    def validate(self, record: Record, *, privileged: bool) -> None:
        """Raise ValidationError for what the caller may not ask or what could not be applied.

        ``privileged`` is a superuser or a caller passing the collection's ``manageRule``.
        """
        if record.collection.is_auth:
            errors = check_managed_fields(record, privileged=privileged)
            errors.update(_check_password_change(record, self.data, privileged))
            if errors:
                raise ValidationError(dict(sorted(errors.items())))
        if self.field_errors:
            raise ValidationError(self.field_errors)


def load_submitted(record: Record, data: dict[str, Any], *, is_superuser: bool = False) -> AuthForm:
    """Apply a request body to ``record``; the returned form reports what cannot be applied.

    Nothing is raised here: call :meth:`AuthForm.validate` once the caller's access is known.
    """
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
        if field is None or not _settable(field, is_superuser):
            continue
        if name == "id" and not record.is_new:
            # NOTE: as PocketBase, a changed primary key is refused by the save's validation
            # (validation_pk_change), inside onRecordUpdate's e.next(), not before the hooks
            if value != record.original_id:
                record.set("id", to_string(value))
            continue
        try:
            record.set(name, field.prepare(value, record))
        except FieldError as ex:
            errors[name] = ex
    for name, modifier, value in modifiers:
        field = collection.field(name)
        # NOTE: a modifier the field has not ("title+", "+n") is a key of no field: ignored
        if field is None or modifier not in field.modifiers or (field.hidden and not is_superuser):
            continue
        try:
            record.set(name, field.apply_modifier(modifier, value, record))
        except FieldError as ex:
            errors[name] = ex
    return AuthForm(data, errors)


def _settable(field: Any, is_superuser: bool) -> bool:
    """Whether a plain submitted value for ``field`` is applied for this caller."""
    if field.type == "autodate":
        return False
    # NOTE: as PocketBase, hidden fields (tokenKey included) are dropped from a non-superuser's
    # body, the auth password excepted.
    return not (field.hidden and not is_superuser and field.type != "password")


def check_managed_fields(record: Record, *, privileged: bool) -> dict[str, FieldError]:
    """PocketBase's manage-only auth fields: ``email`` (on update) and ``verified`` unchanged.

    SECURITY: without it any user could give their account someone else's email or mark it
    verified. Runs again in the request finalizers, so a request hook changing ``e.record``
    meets the same check.
    """
    if privileged or not record.collection.is_auth:
        return {}
    errors: dict[str, FieldError] = {}
    if not record.is_new and record.get("email") != record.original.get("email"):
        errors["email"] = FieldError("validation_values_mismatch", MSG_MISMATCH)
    if bool(record.get("verified")) != bool(record.original.get("verified")):
        errors["verified"] = FieldError("validation_values_mismatch", MSG_MISMATCH)
    return errors


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
        errors[PASSWORD_CONFIRM] = FieldError("validation_values_mismatch", MSG_MISMATCH)
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
