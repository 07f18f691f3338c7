"""Manifest-shaped JSON values read back: each malformed one named by its file and key, as a DataError."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from reports.core.months import Month
from reports.errors import DataError


def text_or_none(value: object) -> str | None:
    """An optional amount as the JSON keeps it: its decimal string, or null."""
    return None if value is None else str(value)


def read_json_values(shown: str) -> JsonReader:
    """A reader of manifest-shaped JSON values (the seal keeps the manifest's totals) for file ``shown``."""
    return JsonReader(shown)


class JsonReader:
    """Reads a manifest's JSON values, naming the file and key of anything malformed."""

    def __init__(self, shown: str):
        self.shown = shown

    def fail(self, key: str, message: str) -> DataError:
        return DataError(f"{self.shown}: {key} {message}")

    def mapping(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "is missing or not an object")
        return value

    def list(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            raise self.fail(key, "is missing or not a list")
        return value

    def text(self, value: Any, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not value and not empty):
            raise self.fail(key, f"must be text, got {value!r}")
        return value

    def count(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(key, f"must be a whole number, got {value!r}")
        return value

    def month(self, value: Any, key: str) -> Month:
        try:
            return Month.parse(self.text(value, key))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def amount(self, value: Any, key: str) -> Decimal:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a decimal string, got {value!r}")
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise self.fail(key, f"{value!r} is not a decimal amount") from None
        if not parsed.is_finite():
            raise self.fail(key, f"{value!r} is not a finite amount")
        return parsed

    def optional_amount(self, value: Any, key: str) -> Decimal | None:
        return None if value is None else self.amount(value, key)
