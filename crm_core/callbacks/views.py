"""Read-only callback views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_core.callbacks.models import Callback

_FIELDS = (
    "id", "number", "customer_id", "service_request_id", "source", "assigned_user_id", "queue",
    "status", "accepted_by", "attempts", "max_attempts", "note", "created_by",
)  # fmt: skip
_TIMES = ("scheduled_at", "next_attempt_at", "created_at")


@dataclass(frozen=True, slots=True)
class CallbackView:
    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_json(self) -> dict[str, Any]:
        out = dict(self.data)
        for name in _TIMES:
            out[name] = out[name].isoformat()
        return out


def callback_view(row: Callback) -> CallbackView:
    return CallbackView({name: getattr(row, name) for name in (*_FIELDS, *_TIMES)})
