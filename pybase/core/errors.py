"""Domain exceptions. ``apis/errors.py`` is the one place that turns them into HTTP answers."""

from __future__ import annotations

from typing import Any


class PyBaseError(Exception):
    """Base class of every domain error."""

    default_message = "Something went wrong while processing your request."

    def __init__(self, message: str | None = None, data: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.data = data or {}
        super().__init__(self.message)


class FieldError(Exception):
    """One field's validation failure: a code, a message and optional params."""

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.params = params
        super().__init__(f"{code}: {message}")

    def to_json(self) -> dict[str, Any]:
        """Wire form: ``{"code", "message"}`` plus ``params`` when present."""
        out: dict[str, Any] = {"code": self.code, "message": sentenize(self.message)}
        if self.params:
            out["params"] = self.params
        return out


def sentenize(message: str) -> str:
    """A message as PocketBase words it: trimmed, capitalised, ending in punctuation."""
    message = message.strip()
    if not message:
        return ""
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".?!" else message + "."


class ValidationError(PyBaseError):
    """Submitted data failed validation; ``errors`` maps a field name to its error(s)."""

    default_message = "An error occurred while validating the submitted data."

    def __init__(
        self,
        errors: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        self.errors = errors or {}
        super().__init__(message, _errors_to_json(self.errors))


def _errors_to_json(errors: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in errors.items():
        if isinstance(value, FieldError):
            out[key] = value.to_json()
        elif isinstance(value, ValidationError):
            out[key] = value.data
        elif isinstance(value, dict):
            out[key] = _errors_to_json(value)
        else:
            out[key] = value
    return out


class NotFoundError(PyBaseError):
    """The collection, record or resource does not exist (or may not be seen)."""

    default_message = "The requested resource wasn't found."


class ForbiddenError(PyBaseError):
    """The caller is known but not allowed."""

    default_message = "You are not allowed to perform this request."


class UnauthorizedError(PyBaseError):
    """The caller must authenticate first."""

    default_message = "The request requires valid record authorization token."


class BadRequestError(PyBaseError):
    """The request cannot be processed as sent."""


class TooManyRequestsError(PyBaseError):
    """A rate limit was hit."""

    default_message = "Too Many Requests."


def required() -> FieldError:
    """The standard "Cannot be blank." error."""
    return FieldError("validation_required", "Cannot be blank.")
