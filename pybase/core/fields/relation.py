"""Relation fields: ids of records of another collection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pybase.core.errors import FieldError, required
from pybase.core.fields.multi import MultiValueField

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


def _no_less_than(threshold: int) -> FieldError:
    return FieldError(
        "validation_min_greater_equal_than_required", f"Must be no less than {threshold}.", {"threshold": threshold}
    )


class RelationField(MultiValueField):
    """One id (or a list when ``maxSelect`` > 1) of records in ``collectionId``."""

    cascadeDelete: bool
    collectionId: str
    minSelect: int

    type = "relation"
    options: ClassVar[dict[str, Any]] = {"cascadeDelete": False, "collectionId": "", "maxSelect": 0, "minSelect": 0}

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = {}
        registry = collection.registry
        if not self.collectionId:
            errors["collectionId"] = required()
        elif registry is not None:
            old = registry.find(collection.id) if collection.id else None
            old_field = next((f for f in old.fields if f.id == self.id), None) if old is not None else None
            target = registry.find(self.collectionId)
            if isinstance(old_field, RelationField) and old_field.collectionId != self.collectionId:
                errors["collectionId"] = FieldError("validation_field_relation_change", "The relation collection cannot be changed.")
            elif target is None or target.id != self.collectionId:
                errors["collectionId"] = FieldError(
                    "validation_field_relation_missing_collection", "The relation collection doesn't exist."
                )
            elif target.type == "view" and collection.type != "view":
                errors["collectionId"] = FieldError(
                    "validation_relation_field_non_view_base_collection",
                    "Only view collections are allowed to have relations to other views.",
                )
        if self.minSelect < 0:
            errors["minSelect"] = _no_less_than(0)
        if self.minSelect > 0 and not self.maxSelect:
            errors["maxSelect"] = required()
        elif self.maxSelect < self.minSelect or self.maxSelect < 0:
            errors["maxSelect"] = _no_less_than(max(self.minSelect, 0))
        return errors

    def validate_value(self, record: Record) -> None:
        values = self.values_of(record)
        if not values:
            if self.required:
                raise required()
            return
        if self.minSelect and len(values) < self.minSelect:
            raise FieldError(
                "validation_not_enough_values",
                f"Select at least {self.minSelect}.",
                {"minSelect": self.minSelect},
            )
        self.check_max_select(values)
        if record.store is None or not record.store.ids_exist(self.collectionId, values):
            raise FieldError(
                "validation_missing_rel_records",
                "Failed to find all relation records with the provided ids.",
            )
