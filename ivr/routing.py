"""The routing decision: which queue, how urgent, which agent first, and why.

Read-only queries on the CRM; the decision travels to the dialplan as channel variables
(`__` so Asterisk copies them onto the agent legs, where the pop-up reads them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm_core.contacts.models import CustomerTag
from crm_core.db import Database
from crm_core.models import CallRecord
from crm_core.tickets.lifecycle import OPEN_STATUSES
from crm_core.tickets.models import ServiceRequest


@dataclass(frozen=True)
class Standing:
    """What the CRM knows about a caller that changes their routing."""

    vip: bool = False
    open_complaint: bool = False
    last_agent: str | None = None


async def standing(db: Database, customer_id: int | None) -> Standing:
    if customer_id is None:
        return Standing()
    async with db.read() as s:
        vip = await s.scalar(
            select(CustomerTag.id).where(CustomerTag.customer_id == customer_id, CustomerTag.tag == "vip")
        )
        complaint = await s.scalar(
            select(ServiceRequest.id)
            .where(
                ServiceRequest.customer_id == customer_id,
                ServiceRequest.type == "complaint",
                ServiceRequest.status.in_(OPEN_STATUSES),
                ServiceRequest.deleted_at.is_(None),
            )
            .limit(1)
        )
        last = await s.scalar(
            select(CallRecord.agent_interface)
            .where(CallRecord.customer_id == customer_id, CallRecord.agent_interface.is_not(None))
            .where(CallRecord.answered_at.is_not(None))
            .order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
            .limit(1)
        )
    return Standing(vip is not None, complaint is not None, last)


@dataclass(frozen=True)
class Decision:
    queue: str
    priority: int
    reason: str
    vip: bool
    preferred: str
    preferred_timeout: int

    def variables(self, customer_id: int | None, language: str) -> list[tuple[str, str]]:
        """Channel variables for the dialplan and, inherited, the agent legs."""
        return [
            ("__CRM_QUEUE", self.queue),
            ("__CRM_PRIORITY", str(self.priority)),
            ("__CRM_REASON", self.reason),
            ("__CRM_VIP", "1" if self.vip else "0"),
            ("__CRM_PREFERRED", self.preferred),
            ("CRM_PREFERRED_TIMEOUT", str(self.preferred_timeout)),
            ("__CRM_CUSTOMER_ID", "" if customer_id is None else str(customer_id)),
            ("__CRM_LANG", language),
        ]


def decide(queue: str, menu_reason: str, who: Standing, high: int, normal: int, timeout: int) -> Decision:
    reasons = [menu_reason]
    if who.vip:
        reasons.append("vip")
    if who.open_complaint:
        reasons.append("open-complaint")
    urgent = who.vip or who.open_complaint
    return Decision(
        queue=queue,
        priority=high if urgent else normal,
        reason=",".join(reasons)[:64],
        vip=who.vip,
        preferred=who.last_agent or "",
        preferred_timeout=timeout,
    )
