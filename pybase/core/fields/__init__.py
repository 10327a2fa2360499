"""Field types, registered by their PocketBase type name."""

from __future__ import annotations

from typing import Any

from pybase.core.fields.autodate import AutodateField
from pybase.core.fields.base import Field
from pybase.core.fields.bool import BoolField
from pybase.core.fields.date import DateField
from pybase.core.fields.editor import EditorField
from pybase.core.fields.email import EmailField
from pybase.core.fields.file import FileField
from pybase.core.fields.geo_point import GeoPointField
from pybase.core.fields.json_field import JSONField
from pybase.core.fields.number import NumberField
from pybase.core.fields.password import PasswordField
from pybase.core.fields.relation import RelationField
from pybase.core.fields.select import SelectField
from pybase.core.fields.text import TextField
from pybase.core.fields.url import URLField

FIELD_TYPES: dict[str, type[Field]] = {
    cls.type: cls
    for cls in (
        TextField, NumberField, BoolField, EmailField, URLField, EditorField, DateField, AutodateField, SelectField, JSONField, RelationField,
        FileField, PasswordField, GeoPointField,
    )
}


class UnknownFieldType(ValueError):
    """The field ``type`` is not one of FIELD_TYPES."""


def new_field(data: dict[str, Any]) -> Field:
    """Build a field from its JSON definition."""
    cls = FIELD_TYPES.get(str(data.get("type") or ""))
    if cls is None:
        raise UnknownFieldType(data.get("type"))
    return cls(data)


__all__ = ["FIELD_TYPES", "Field", "UnknownFieldType", "new_field"]
