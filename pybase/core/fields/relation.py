"""Relation fields: ids of records of another collection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pybase.core.errors import FieldError, required
from pybase.core.fields.multi import MultiValueField

if TYPE_CHECKING:
    from pybase.core.collections import Collection
    from pybase.core.records import Record


class RelationField(MultiValueField):
    """One id (or a list when ``maxSelect`` > 1) of records in ``collectionId``."""

    type = "relation"
    options = {"cascadeDelete": False, "collectionId": "", "maxSelect": 0, "minSelect": 0}

    def validate_settings(self, collection: Collection) -> dict[str, FieldError]:
        errors: dict[str, FieldError] = {}
        if not self.collectionId:
            errors["collectionId"] = required()
        elif collection.registry is not None:
            target = collection.registry.find(self.collectionId)
            if target is None:
                errors["collectionId"] = FieldError("validation_missing_collection", "The related collection doesn't exist.")
            elif target.type == "view" and collection.type != "view":
                errors["collectionId"] = FieldError(
                    "validation_invalid_view_collection_reference",
                    "Non view collections are not allowed to have a view relation.",
                )
        if self.minSelect and self.maxSelect and self.minSelect > self.maxSelect:
            errors["maxSelect"] = FieldError(
                "validation_min_greater_equal_than_required",
                f"Must be no less than {self.minSelect}.",
                {"threshold": self.minSelect},
            )
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
        if not record.store.ids_exist(self.collectionId, values):
            raise FieldError(
                "validation_missing_rel_records",
                "Failed to find all relation records with the provided ids.",
            )
