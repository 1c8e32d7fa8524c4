"""Read-only callback views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_core.callbacks.models import Callback
from crm_core.data_view import DataView

_FIELDS = (
    "id", "number", "customer_id", "service_request_id", "call_record_id", "source", "assigned_user_id",
    "queue", "status", "accepted_by", "attempts", "max_attempts", "note", "created_by",
)  # fmt: skip
_TIMES = ("scheduled_at", "next_attempt_at", "created_at")


@dataclass(frozen=True, slots=True)
class CallbackView(DataView):
    def to_json(self) -> dict[str, Any]:
        return self.json_with_times(_TIMES)


def callback_view(row: Callback) -> CallbackView:
    return CallbackView({name: getattr(row, name) for name in (*_FIELDS, *_TIMES)})
