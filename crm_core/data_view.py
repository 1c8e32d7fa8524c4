"""Read-only views over a row's values, shared by the services that hand rows to the API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DataView:
    """The row's values by attribute (view.status), detached from the session that loaded them."""

    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None

    def json_with_times(self, times: Iterable[str]) -> dict[str, Any]:
        """The values for JSON: the named datetimes as ISO 8601 (None stays None)."""
        out = dict(self.data)
        for name in times:
            out[name] = out[name].isoformat() if out[name] is not None else None
        return out
