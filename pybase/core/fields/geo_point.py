"""Geographic points ``{"lon": x, "lat": y}``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import Column

from pybase.core.errors import FieldError, required
from pybase.core.fields.base import Field, json_number
from pybase.store.dialect import GeoPointText

if TYPE_CHECKING:
    from pybase.core.records import Record

ZERO = {"lon": 0, "lat": 0}


class GeoPointField(Field):
    """A longitude/latitude pair."""

    type = "geoPoint"
    options: ClassVar[dict[str, Any]] = {}

    def column(self) -> Column:  # type: ignore[type-arg]
        return Column(
            self.name,
            GeoPointText(),
            nullable=False,
            # NOTE: a plain string, not text(): ":0" would be read as a bind parameter.
            server_default='{"lon":0,"lat":0}',
        )

    def zero(self) -> Any:
        return dict(ZERO)

    def from_db(self, raw: Any) -> Any:
        if isinstance(raw, str) and raw:
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return dict(ZERO)
        return _point(raw)

    def to_db(self, value: Any) -> Any:
        return orjson.dumps(_point(value)).decode()

    def prepare(self, raw: Any, record: Record) -> Any:
        if isinstance(raw, str):
            try:
                raw = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return dict(ZERO)
        return _point(raw)

    def validate_value(self, record: Record) -> None:
        point = record.get(self.name) or ZERO
        if point["lon"] == 0 and point["lat"] == 0:
            if self.required:
                raise required()
            return
        if not -90 <= point["lat"] <= 90:
            raise FieldError("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.")
        if not -180 <= point["lon"] <= 180:
            raise FieldError(
                "validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."
            )


def _point(raw: Any) -> dict[str, Any]:
    # NOTE: as PocketBase (Go's JSON decoding into two float64s): a coordinate that is not a
    # number stays zero; the decoder goes on with the other one.
    if not isinstance(raw, dict):
        return dict(ZERO)
    point = dict(ZERO)
    for key in ("lon", "lat"):
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            point[key] = json_number(float(value))
    return point
