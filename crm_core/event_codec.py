"""Domain events as JSON, so several service instances can share them (the cluster's event bus).

Every dataclass of crm_core.events is known by its class name; tuples come back as
tuples (JSON has only lists) so a decoded event compares equal to the one sent.
An unknown type or a field that does not fit is a ValueError: the reader skips it.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from crm_core import events

EVENT_TYPES: dict[str, type] = {
    name: cls
    for name, cls in vars(events).items()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == events.__name__
}
_TUPLE_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(f.name for f in dataclasses.fields(cls) if str(f.type).startswith("tuple"))
    for name, cls in EVENT_TYPES.items()
}


def encode(event: Any) -> str:
    """One event as a compact JSON object: {"type": class name, "data": its fields}."""
    name = type(event).__name__
    if EVENT_TYPES.get(name) is not type(event):
        raise ValueError(f"not a domain event: {name}")
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return json.dumps({"type": name, "data": data}, ensure_ascii=False, separators=(",", ":"))


def decode(text: str | bytes) -> Any:
    """The event encode() wrote; ValueError when the text is not one."""
    try:
        body = json.loads(text)
        name, data = body["type"], dict(body["data"])
    except (TypeError, KeyError, ValueError) as exc:
        raise ValueError(f"not an encoded event: {exc}") from exc
    cls = EVENT_TYPES.get(name)
    if cls is None:
        raise ValueError(f"unknown event type {name!r}")
    for key in _TUPLE_FIELDS[name] & data.keys():
        data[key] = tuple(data[key])
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValueError(f"{name}: {exc}") from exc
