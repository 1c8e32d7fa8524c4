"""Queue calls: a caller waits in a queue, app_queue rings members, one answers.

Offers are keyed by the member leg (AgentCalled's DestUniqueid), which keeps a
Local ``;1``/``;2`` pair, ring-all's parallel legs and a following DialBegin from
producing a second offer. AgentConnect and AgentRingNoAnswer settle queue offers;
a DialEnd only does for BUSY / CHANUNAVAIL (see dial_rules).
"""

from __future__ import annotations

from crm_core.events import CallAnswered, CallEvent, CallOffered, CallQueued, CallTransferred
from cti.calls.core import TrackerCore
from cti.calls.model import ANSWERED, Call, Offer
from cti.headers import Headers


class QueueRules(TrackerCore):
    """QueueCallerJoin/Leave/Abandon, AgentCalled/RingNoAnswer/Connect."""

    def _offer_reason(self, call: Call, default: str) -> str:
        if call.transfer_from is not None or (call.transferred and call.answered_at is not None):
            return "transfer"
        if call.origination is not None and call.origination.kind == "callback":
            return "callback"
        return default

    def _moved(self, call: Call, target: str, at: float) -> list[CallEvent]:
        """The answered caller started a new Dial/Queue with no transfer event: a Redirect."""
        if call.transfer_announced or call.answered_at is None:
            return []
        call.transferred, call.transfer_announced = True, True
        call.transfer_from = call.agent
        return [CallTransferred(self.pbx, call.call_id, call.agent, target, "redirect", at)]

    def _on_join(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        queue = h.get("Queue")
        if call is None or call.spy or call.in_queue == queue:
            return []
        call.in_queue = queue
        events = self._moved(call, f"queue:{queue}", at)
        call.reportable = True
        call.caller_uid = h.get("Uniqueid")
        call.caller_number = h.caller_id("CallerIDNum") or call.caller_number
        call.caller_name = h.caller_id("CallerIDName") or call.caller_name
        call.queue = call.queue or queue or None
        call.joined_at = at
        if call.queued_at is None:
            call.queued_at = at
        position = h.number("Position") or 0
        queued = CallQueued(self.pbx, call.call_id, call.caller_number, call.caller_name, queue, position, at)
        return [*events, queued]

    def _on_leave(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        if call is not None:
            call.in_queue = None
        if call is not None and call.abandon_position is None:
            call.miss = (
                "no_answer"  # left without abandoning: timeout or queue exit (also right before an answer)
            )
        return []

    def _on_abandon(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        if call is None:
            return []
        call.abandon_position = h.number("Position") or 0
        call.in_queue = None
        call.miss = "abandoned"
        return self._withdraw_pending(call, "caller_left", at)

    def _on_agent_called(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        leg = h.get("DestUniqueid")
        if call is None or call.spy or not leg or leg in call.leg_offer:
            return []  # duplicate, or already offered through this leg
        if not call.caller_number:
            call.caller_number = h.caller_id("CallerIDNum")
            call.caller_name = h.caller_id("CallerIDName")
        self._attach(call, leg, h.get("DestChannel"), at)
        agent = h.get("Interface") or h.get("MemberName")
        reason = self._offer_reason(call, "queue")
        offer = Offer(
            agent, h.get("Queue") or None, at, reason, "queue", [leg], transferred_by=call.transfer_from
        )
        peer = self._peer(leg)
        if peer:
            offer.legs.append(peer)
        call.add_offer(offer)
        call.reportable = True
        return [
            CallOffered(
                self.pbx,
                call.call_id,
                agent,
                h.caller_id("CallerIDNum") or call.caller_number,
                h.caller_id("CallerIDName") or call.caller_name,
                offer.queue,
                at,
                variables=h.variables("ChanVariable"),
                reason=reason,
                transferred_by=offer.transferred_by,
                direction=call.direction,
            )
        ]

    def _find_offer(self, call: Call, h: Headers) -> Offer | None:
        offer = call.offer_for(h.get("DestUniqueid"))
        if offer is not None:
            return offer
        agent = h.get("Interface")
        return next((o for o in call.pending() if o.agent == agent), None)

    def _on_ring_no_answer(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        offer = self._find_offer(call, h) if call else None
        if call is None or offer is None or not offer.pending:
            return []
        return [self._withdraw(call, offer, "no_answer", at)]

    def _on_agent_connect(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        if call is None or call.spy:
            return []
        offer = self._find_offer(call, h)
        if offer is not None and offer.state == ANSWERED:
            return []  # a duplicated AgentConnect
        if offer is None:  # started mid-call: remember the leg so a late AgentCalled is no new offer
            ring = h.seconds("RingTime") or 0.0
            agent = h.get("Interface") or h.get("MemberName")
            offer = Offer(agent, h.get("Queue") or None, at - ring, "queue", "queue", [h.get("DestUniqueid")])
            call.add_offer(offer)
        joined = call.joined_at if call.joined_at is not None else call.queued_at
        wait = at - joined if joined is not None else h.seconds("HoldTime") or 0.0
        if call.queued_at is None:
            call.queued_at = call.joined_at = at - wait
        call.reportable = True
        self._answered_offer(call, offer, at)
        answered = CallAnswered(
            self.pbx,
            call.call_id,
            offer.agent,
            h.get("Queue") or call.queue,
            call.caller_number,
            at,
            wait,
            at - offer.at,
        )
        return [answered, *self._withdraw_pending(call, "answered_elsewhere", at)]
