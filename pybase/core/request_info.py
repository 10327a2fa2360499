"""What API rules and hooks can read about the current request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestInfo:
    """What API rules and hooks can read about the current request."""

    method: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    auth: Any = None
    context: str = "default"

    @property
    def is_superuser(self) -> bool:
        """Whether the caller is a superuser."""
        return self.auth is not None and self.auth.collection.is_superusers
