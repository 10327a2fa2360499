"""Date-time helpers in PocketBase's wire format ("2006-01-02 15:04:05.000Z", UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

DATETIME_LAYOUT = "%Y-%m-%d %H:%M:%S"


def now() -> datetime:
    """Current time in UTC."""
    return datetime.now(UTC)


def format_datetime(value: datetime) -> str:
    """Format as PocketBase does: UTC, space separator, milliseconds, trailing Z."""
    v = value.astimezone(UTC)
    # PERF: formatted by hand; strftime showed in the create profile.
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond // 1000:03d}Z"
    )


def now_string() -> str:
    """The current time in PocketBase's wire format."""
    return format_datetime(now())


_PARSE_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%fZ",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)


def parse_datetime(value: str) -> datetime | None:
    """Parse the date forms PocketBase accepts; ``None`` when it is not a date."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _PARSE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
