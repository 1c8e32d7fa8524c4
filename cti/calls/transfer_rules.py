"""Transfers: the call stays one conversation (one Linkedid) while its agents change.

BlindTransfer and AttendedTransfer events say so outright; a Redirect says nothing
and is recognised when the answered caller starts a new Dial or Queue (see
QueueRules._moved). Offers made while a transfer is under way carry reason
"transfer" and the transferring agent.
"""

from __future__ import annotations

from crm_core.events import CallAnswered, CallEvent, CallTransferred
from cti.calls.dial_rules import DialRules
from cti.calls.model import Call, Offer
from cti.headers import Headers


class TransferRules(DialRules):
    """BlindTransfer and AttendedTransfer (Asterisk 12+)."""

    def _transferee_call(self, h: Headers) -> Call | None:
        known = self._channel_call.get(h.get("TransfereeUniqueid"))
        call = self._calls.get(known or h.get("TransfereeLinkedid"))
        return None if call is None or call.spy else call

    def _agent_of(self, uid: str, call: Call | None = None) -> tuple[str | None, Call | None]:
        """The agent whose leg ``uid`` is, looked up in ``call`` first, then in every call."""
        for candidate in ([call] if call else []) + list(self._calls.values()):
            offer = candidate.offer_for(uid) if uid else None
            if offer is not None:
                return offer.agent, candidate
        return None, None

    def _on_blind_transfer(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._transferee_call(h)
        if call is None or h.get("Result").lower() != "success":
            return []
        from_agent = self._agent_of(h.get("TransfererUniqueid"), call)[0] or call.agent
        call.transferred, call.transfer_announced = True, True
        call.transfer_from = from_agent
        target = h.get("Extension")
        return [CallTransferred(self.pbx, call.call_id, from_agent, target, "blind", at)]

    def _on_attended_transfer(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._transferee_call(h)
        if call is None or h.get("Result").lower() != "success":
            return []
        from_agent = (
            self._agent_of(h.get("OrigTransfererUniqueid"), call)[0]
            or self._agent_of(h.get("SecondTransfererUniqueid"), call)[0]
            or call.agent
        )
        target_uid = h.get("TransferTargetUniqueid")
        agent, _ = self._agent_of(target_uid, call)
        if agent is None and self._direct_agent is not None and h.get("TransferTargetChannel"):
            agent = self._direct_agent(h.get("TransferTargetChannel"))
        target = agent or (f"app:{h.get('DestApp')}" if h.get("DestApp") else h.get("TransferTargetChannel"))
        call.transferred = True
        events: list[CallEvent] = [
            CallTransferred(self.pbx, call.call_id, from_agent, target, "attended", at)
        ]
        if agent is None:
            call.transfer_from, call.transfer_announced = from_agent, True
            return events
        return events + self._take_over(call, h, agent, from_agent, at)

    def _take_over(
        self, call: Call, h: Headers, agent: str, from_agent: str | None, at: float
    ) -> list[CallEvent]:
        """The target agent now talks with the caller: their leg joins this call, answered."""
        uid = h.get("TransferTargetUniqueid")
        if uid:
            self._attach(call, uid, h.get("TransferTargetChannel"), at)
        offer = call.offer_for(uid)
        if offer is not None and offer.state == "answered":
            call.agent = agent
            call.transfer_from, call.transfer_announced = None, False
            return []
        if offer is None:
            offer = Offer(agent, None, at, "transfer", "dial", [uid], transferred_by=from_agent)
            call.add_offer(offer)
        self._answered_offer(call, offer, at)
        answered = CallAnswered(
            self.pbx, call.call_id, agent, None, call.caller_number, at, 0.0, at - offer.at
        )
        return [answered]
