"""Outbound campaigns wired into the service: the room and the progressive dialer, fed by the bus.

An attempt's call is followed by its (pbx, call id): when the customer answered and the agent is
being rung (CallOffered reason "campaign") the attempt is connected and the agent's console gets a
"campaign_attempt" message (the same body as GET /api/v1/campaigns/attempts/current); when the call
ends its network outcome is recorded and the entry's retry scheduled (unless the agent already gave
a verdict), and the dialer looks for the next number at once. A call the PBX lost while nobody
watched (PbxResynced without it) ends its attempt as failed, so no agent's line stays held.
"""

from __future__ import annotations

from typing import Any

from crm_core.campaigns.dialer import ProgressiveDialer
from crm_core.campaigns.room import CampaignRoom
from crm_core.events import AgentStateChanged, CallAnswered, CallEnded, CallOffered, PbxResynced


def build_room(settings: Any, customers: Any, profiles: Any) -> CampaignRoom:
    minutes = max(float(settings.campaigns.reservation_minutes), 0.1)
    return CampaignRoom.build(customers, profiles, reservation_minutes=minutes)


def build_dialer(settings: Any, room: CampaignRoom, telephony: Any, users: Any) -> ProgressiveDialer:
    ring = min(max(float(settings.campaigns.progressive_ring_seconds), 1.0), 600.0)
    return ProgressiveDialer(room.work, telephony, users.by_interface, ring)


def subscribe(bus: Any, room: CampaignRoom, dialer: ProgressiveDialer, hub: Any, customers: Any) -> None:
    async def on_offered(event: CallOffered) -> None:
        if event.reason != "campaign":
            return
        attempt = await room.work.connected(event.pbx, event.call_id)
        if attempt is None or attempt.agent_id is None:
            return
        body = await room.attempt_body(attempt.id)
        customer_id = body["entry"]["customer_id"]
        card = await customers.card(customer_id, body["entry"]["number"]) if customer_id else None
        body["customer"] = card.to_json() if card is not None else None
        hub.streams.push(attempt.agent_id, {"type": "campaign_attempt", **body})

    async def on_answered(event: CallAnswered) -> None:
        await room.work.connected(event.pbx, event.call_id)

    async def on_ended(event: CallEnded) -> None:
        done = await room.work.network_outcome(
            event.pbx, event.call_id, event.outcome, event.answered_at is not None
        )
        if done is not None:
            await dialer.dial_ready()  # the agent's line is free: the next number now, not at the next tick

    async def on_resynced(event: PbxResynced) -> None:
        if await room.work.resynced(event.pbx, event.live_calls):
            await dialer.dial_ready()

    bus.subscribe("campaign-connects", on_offered, CallOffered)
    bus.subscribe("campaign-answers", on_answered, CallAnswered)
    bus.subscribe("campaign-outcomes", on_ended, CallEnded)
    bus.subscribe("campaign-dialer", dialer.on_seat, AgentStateChanged)
    bus.subscribe("campaign-resyncs", on_resynced, PbxResynced)
