"""Read-only views of requests and their steps, as the adapters hand them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.data_view import DataView
from crm_core.tickets.lifecycle import OPEN_STATUSES
from crm_core.tickets.models import ServiceRequest, TicketStep

_FIELDS = (
    "id", "number", "type", "subject", "description", "priority", "product", "category", "customer_id",
    "contact_id", "call_record_id", "team", "owner_id", "status", "satisfaction", "follow_up_comment",
    "severity", "demand", "resolution", "compensation", "escalated_to", "created_by",
)  # fmt: skip
_TIMES = ("due_at", "created_at", "resolved_at", "closed_at", "escalated_at")


@dataclass(frozen=True, slots=True)
class TicketView(DataView):
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {**self.json_with_times(_TIMES), "overdue": self.overdue}


def ticket_view(req: ServiceRequest, now: datetime) -> TicketView:
    data = {name: getattr(req, name) for name in (*_FIELDS, *_TIMES)}
    return TicketView(data, req.status in OPEN_STATUSES and req.due_at < now)


@dataclass(frozen=True, slots=True)
class StepView:
    at: datetime
    user_id: int | None
    action: str
    from_status: str | None
    to_status: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {**{k: getattr(self, k) for k in self.__slots__}, "at": self.at.isoformat()}


def step_view(row: TicketStep) -> StepView:
    return StepView(row.at, row.user_id, row.action, row.from_status, row.to_status, row.note)
