"""What every Admin API endpoint of the simulator shares: reading query parameters, and refusing a request.

A ``Refusal`` raised while answering becomes the API's error shape
(``{"type": "error", "error": {"type": ..., "message": ...}, "request_id": ...}``) with its
status and headers; ``server.py`` renders it.
"""

from __future__ import annotations

from datetime import UTC, datetime


class Refusal(Exception):
    """An answer other than 200: the status, the API's error type and message, extra headers."""

    def __init__(self, status: int, error_type: str, message: str, headers: dict | None = None,
                 error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}
        self.error_code = error_code  # details.error_code, which names the cause (analytics-api.md §4)


def bad_request(message: str) -> Refusal:
    """A 400 ``invalid_request_error``."""
    return Refusal(400, "invalid_request_error", message)


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp with an offset, in UTC (``ValueError`` otherwise)."""
    if "T" not in text:
        raise ValueError(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment.astimezone(UTC)


def one(query: dict[str, list[str]], name: str) -> str | None:
    """A scalar parameter's first value, or None."""
    values = query.get(name)
    return values[0] if values else None


def many(query: dict[str, list[str]], name: str) -> list[str]:
    """An array parameter's values, in the bracket form (``name[]``, as the SDK sends it) and plain."""
    return query.get(name + "[]", []) + query.get(name, [])


def int_param(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within ``low``..``high`` (``default`` when absent)."""
    text = one(query, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name}: Input should be a valid integer") from None
    if not low <= value <= high:
        raise bad_request(f"{name}: must be between {low} and {high}, got {value}")
    return value
