"""Small request schemas: one description validates a payload and documents it in OpenAPI.

Hand-written rather than a library: the payloads are flat, and one spec must both
check input (naming the bad field) and produce the JSON Schema the document shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.domain_errors import Invalid

INT_MAX = 2**31 - 1  # ids and counters are 32-bit integer columns
_PY = {"string": str, "integer": int, "boolean": bool, "array": list, "number": (int, float), "object": dict}


@dataclass(frozen=True)
class F:
    """One field: its JSON type, whether it is required, allowed values, bounds, nullability."""

    type: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    max_length: int | None = 2000
    format: str | None = None  # "date-time" parsed to datetime

    def check(self, name: str, value: Any) -> Any:
        if value is None:
            if self.nullable:
                return None
            raise Invalid(name, "must not be null")
        expected = _PY[self.type]
        if not isinstance(value, expected) or (
            self.type in ("integer", "number") and isinstance(value, bool)
        ):
            raise Invalid(name, f"must be a {self.type}")
        if self.type == "array" and not all(isinstance(v, str) for v in value):
            raise Invalid(name, "must be a list of strings")
        for text in value if self.type == "array" else [value] if self.type == "string" else []:
            check_text(name, text)
        if self.type == "string" and self.max_length and len(value) > self.max_length:
            raise Invalid(name, f"at most {self.max_length} characters")
        if self.enum is not None and value not in self.enum:
            raise Invalid(name, f"must be one of {', '.join(self.enum)}")
        if self.minimum is not None and value < self.minimum:
            raise Invalid(name, f"must be at least {self.minimum}")
        top = self.maximum if self.maximum is not None else (INT_MAX if self.type == "integer" else None)
        if top is not None and value > top:
            raise Invalid(name, f"must be at most {top}")
        return _datetime(name, value) if self.format == "date-time" else value

    def json_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": [self.type, "null"] if self.nullable else self.type}
        extras = {"enum": self.enum and list(self.enum), "minimum": self.minimum, "maximum": self.maximum}
        extras["format"] = self.format
        if self.type == "array":
            extras["items"] = {"type": "string"}
        return out | {k: v for k, v in extras.items() if v is not None}


def check_text(name: str, value: str) -> str:
    """Text a database can store: no NUL character (PostgreSQL refuses it) and valid Unicode
    (a lone surrogate from a JSON escape cannot be written as UTF-8)."""
    if "\x00" in value:
        raise Invalid(name, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(name, "must be valid Unicode text") from None
    return value


Spec = dict[str, F]


def validate(spec: Spec, body: Any) -> dict[str, Any]:
    """The payload's known fields, checked; unknown fields are refused so typos are not silently lost."""
    if not isinstance(body, dict):
        raise Invalid("body", "must be a JSON object")
    for name in body:
        if name not in spec:
            raise Invalid(name, "unknown field")
    for name, field in spec.items():
        if field.required and name not in body:
            raise Invalid(name, "is required")
    return {name: spec[name].check(name, value) for name, value in body.items()}


def object_schema(spec: Spec) -> dict[str, Any]:
    required = [n for n, f in spec.items() if f.required]
    out: dict[str, Any] = {"type": "object", "additionalProperties": False}
    out["properties"] = {n: f.json_schema() for n, f in spec.items()}
    return out | ({"required": required} if required else {})


def _datetime(name: str, value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(name, "must be an ISO 8601 date-time") from None


def query_int(
    query: Any, name: str, default: int | None, minimum: int = 0, maximum: int = 10**9
) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(name, "must be a whole number") from None
    if not minimum <= value <= maximum:
        raise Invalid(name, f"must be between {minimum} and {maximum}")
    return value
