"""Dials and originations: direct calls to an extension, click-to-dial, callbacks.

A DialBegin from a channel that is already one of an agent's legs (a Local
member's ``;2`` ringing the real phone) only grows that agent's legs. A DialBegin
from anything else to a channel the ``direct_agent`` hook maps to an agent is an
offer ("direct", or "transfer" once the call had been answered). A DialBegin with
no calling channel is Asterisk's Originate: only originations announced with
``expect_origination`` pop a console.
"""

from __future__ import annotations

from crm_core.events import CallAnswered, CallEnded, CallEvent, CallOffered
from cti.calls.model import DIAL_WITHDRAW_REASON, ORIGINATE_REASON_OUTCOME, Call, Offer, Origination, ended
from cti.calls.queue_rules import QueueRules
from cti.headers import Headers

_EXPECTED_MEMORY = 1024
_QUEUE_LEG_SETTLING = frozenset({"BUSY", "CHANUNAVAIL", "CONGESTION"})


class DialRules(QueueRules):
    """DialBegin/DialEnd, expected originations and their OriginateResponse."""

    def expect_origination(self, call_id: str, kind: str, agent: str | None, number: str) -> None:
        """The CRM is about to Originate with ChannelId=call_id (so Linkedid == call_id).

        kind "click_to_dial": the agent's phone rings first (CallOffered to ``agent``,
        reason click_to_dial, caller_number = ``number``), answered when the customer
        answers. kind "callback": the customer is called first, then queued; queue offers
        get reason "callback". kind "campaign" (progressive dialing): the customer is called
        first; once answered their channel dials ``agent`` (CallOffered reason "campaign"), so an
        unanswered customer never rings the agent. kind "spy": a supervisor's ChanSpy leg, never reported.
        """
        self._expected[call_id] = Origination(call_id, kind, agent, number)
        while len(self._expected) > _EXPECTED_MEMORY:
            self._expected.popitem(last=False)

    # -- DialBegin ----------------------------------------------------------------------

    def _on_dial_begin(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at, prefix="Dest")
        dest, src = h.get("DestUniqueid"), h.get("Uniqueid")
        if call is None or call.spy or not dest or not src or dest in call.leg_offer:
            return []
        self._attach(call, src, h.get("Channel"), at)
        orig = call.origination
        if orig is not None and orig.kind == "click_to_dial" and src == call.call_id:
            orig.customer_leg = call.caller_uid = dest  # the originated channel now rings the customer
            return []
        if orig is not None and orig.kind == "campaign" and src == call.call_id and orig.agent:
            return self._campaign_offer(call, h, at, orig.agent)
        owner = call.offer_for(src)
        if owner is not None and owner.pending:
            for leg in (dest, self._peer(dest)):  # the agent's own leg dialling the phone: same offer
                if leg:
                    call.add_leg(owner, leg)
            return []
        return self._direct_offer(call, h, at, owner.agent if owner else None)

    def _direct_offer(self, call: Call, h: Headers, at: float, consulting: str | None) -> list[CallEvent]:
        """An agent's phone rung by a Dial; ``consulting`` is the answered agent who dialled it (Atxfer)."""
        src, dest = h.get("Uniqueid"), h.get("DestUniqueid")
        agent = self._direct_agent(h.get("DestChannel")) if self._direct_agent else None
        if call.caller_uid is None:
            call.caller_uid = src
        if agent is None:
            if src == call.caller_uid and consulting is None:
                return self._moved(call, h.get("DialString") or h.get("DestChannel"), at)
            return []
        events = self._moved(call, agent, at) if src == call.caller_uid and consulting is None else []
        if call.answered_at is None and call.origination is None and self._direct_agent(h.get("Channel")):
            call.direction = "internal"  # one agent's phone calling another's
        reason = "transfer" if consulting else self._offer_reason(call, "direct")
        offer = Offer(
            agent, None, at, reason, "dial", [dest], transferred_by=consulting or call.transfer_from
        )
        peer = self._peer(dest)
        if peer:
            offer.legs.append(peer)
        call.add_offer(offer)
        call.reportable = True
        call.caller_number = h.caller_id("CallerIDNum") or call.caller_number
        call.caller_name = h.caller_id("CallerIDName") or call.caller_name
        offered = CallOffered(
            self.pbx,
            call.call_id,
            agent,
            call.caller_number,
            call.caller_name,
            None,
            at,
            variables=h.variables("ChanVariable"),
            reason=offer.reason,
            transferred_by=offer.transferred_by,
            direction=call.direction,
        )
        return [*events, offered]

    def _campaign_offer(self, call: Call, h: Headers, at: float, agent: str) -> list[CallEvent]:
        """Progressive dialing: the customer answered and their channel now dials the campaign's agent."""
        src, dest = h.get("Uniqueid"), h.get("DestUniqueid")
        call.caller_uid = src
        offer = Offer(agent, None, at, "campaign", "dial", [dest])
        peer = self._peer(dest)
        if peer:
            offer.legs.append(peer)
        call.add_offer(offer)
        offered = CallOffered(
            self.pbx, call.call_id, agent, call.caller_number, call.caller_name, None, at,
            variables=h.variables("ChanVariable"), reason="campaign", direction="outbound",
        )  # fmt: skip
        return [offered]

    # -- DialEnd --------------------------------------------------------------------------

    def _on_dial_end(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._calls.get(h.get("DestLinkedid") or h.get("Linkedid"))
        dest, status = h.get("DestUniqueid"), h.get("DialStatus").upper()
        if call is None or call.spy or not dest:
            return []
        orig = call.origination
        if orig is not None and dest == orig.customer_leg:
            return self._customer_dial_end(call, status, at)
        if orig is not None and orig.kind == "campaign" and dest == call.call_id:
            if status != "ANSWER":  # the customer's phone (the originated channel) was not answered
                call.note_dial_status(status)
            return []
        offer = call.offer_for(dest)
        if offer is None or not offer.pending or offer.legs[0] != dest:
            return []  # a sub-leg, a duplicate DialEnd, or an offer already settled
        if offer.via == "queue":
            return self._queue_dial_end(call, offer, status, at)
        if offer.via == "origination":  # the agent's own phone: it answering is not the call answering
            return [] if status == "ANSWER" else [self._withdraw(call, offer, self._why(call, status), at)]
        if status == "ANSWER":
            return self._dial_answered(call, offer, at)
        call.note_dial_status(status)
        return [self._withdraw(call, offer, self._why(call, status), at)]

    def _queue_dial_end(self, call: Call, offer: Offer, status: str, at: float) -> list[CallEvent]:
        """Answers and ring timeouts come as AgentConnect / AgentRingNoAnswer; busy and cancel settle here.

        app_queue cancels the other legs when one answers (its DialEnd ANSWER comes first) and
        every leg when the caller hangs up (before QueueCallerAbandon).
        """
        if status == "ANSWER":
            offer.dial_answered = True
            return []
        if status == "CANCEL":
            taken = any(o.dial_answered or o.state == "answered" for o in call.offers if o is not offer)
            return [self._withdraw(call, offer, "answered_elsewhere" if taken else "caller_left", at)]
        reason = DIAL_WITHDRAW_REASON[status] if status in _QUEUE_LEG_SETTLING else None
        return [self._withdraw(call, offer, reason, at)] if reason else []

    def _why(self, call: Call, status: str) -> str:
        if status == "CANCEL":
            return "answered_elsewhere" if call.answered_at is not None else "caller_left"
        return DIAL_WITHDRAW_REASON.get(status, "no_answer")

    def _dial_answered(self, call: Call, offer: Offer, at: float) -> list[CallEvent]:
        self._answered_offer(call, offer, at)
        answered = CallAnswered(
            self.pbx, call.call_id, offer.agent, None, call.caller_number, at, 0.0, at - offer.at
        )
        return [answered, *self._withdraw_pending(call, "answered_elsewhere", at)]

    def _customer_dial_end(self, call: Call, status: str, at: float) -> list[CallEvent]:
        """Click-to-dial: the call is answered when the customer answers, not the agent."""
        offer = next((o for o in call.pending() if o.via == "origination"), None)
        if offer is None:
            return []
        if status == "ANSWER":
            return self._dial_answered(call, offer, at)
        call.note_dial_status(status)
        return [self._withdraw(call, offer, DIAL_WITHDRAW_REASON.get(status, "no_answer"), at)]

    # -- OriginateResponse ------------------------------------------------------------

    def _on_originate_response(self, h: Headers, at: float) -> list[CallEvent]:
        """A failed Originate of ours: the outcome of that call, or its whole record if no leg appeared."""
        if h.get("Response").lower() != "failure":
            return []
        orig = self._expected.get(h.get("Uniqueid")) or self._unstarted_origination(h.get("Channel"))
        if orig is None:
            return []
        orig.failure = ORIGINATE_REASON_OUTCOME.get(h.get("Reason"), "failed")
        if orig.call_id in self._calls or orig.call_id in self._ended:
            return []  # its legs exist (the outcome is used when they hang up) or it is over already
        return [self._never_started(orig, at)]

    def _unstarted_origination(self, channel: str) -> Origination | None:
        """Asterisk answers a failed Originate with Uniqueid <unknown>: match the dial string instead."""
        for orig in self._expected.values():
            if orig.call_id in self._calls or orig.call_id in self._ended:
                continue
            if channel and (channel == orig.agent or (orig.number and orig.number in channel)):
                return orig
        return None

    def _never_started(self, orig: Origination, at: float) -> CallEnded:
        call = Call(orig.call_id, reportable=True, direction="outbound", origination=orig)
        call.caller_number = orig.number
        if orig.agent:
            call.agents.append(orig.agent)  # the agent who asked for the call
        self._forget(call)
        return ended(self.pbx, call, at)
