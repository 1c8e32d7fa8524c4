"""The tracker's memory and its channel-level rules: calls, legs, hang-ups, ChanSpy, hold.

A call is PBX + Linkedid (every leg of a call, Local halves and transfer legs
included, shares the Linkedid; Asterisk moves a channel to the oldest Linkedid
of a bridge it joins, and the tracker follows). A channel is its Uniqueid.
Handlers return the domain events they cause; events caused on the side (a call
emptied by a channel moving away, the pop-up of an expected origination) are
collected in ``_side`` and come out first.
"""

from __future__ import annotations

from collections import OrderedDict

from crm_core.events import CallEvent, CallHoldChanged, CallOffered, OfferWithdrawn
from cti.calls.devices import DirectAgentHook
from cti.calls.model import ANSWERED, WITHDRAWN, Call, Offer, Origination, ended
from cti.headers import Headers

ENDED_MEMORY = 1024
SPY_APPS = frozenset({"chanspy", "extenspy"})


class TrackerCore:
    """State shared by the rule sets; no I/O, no clock: time comes with each event."""

    def __init__(self, pbx: str, direct_agent: DirectAgentHook | None = None) -> None:
        self.pbx = pbx
        self._direct_agent = direct_agent
        self._calls: dict[str, Call] = {}
        self._channel_call: dict[str, str] = {}
        self._local_peer: dict[str, str] = {}
        self._replaced: dict[str, str] = {}  # Local half optimised away -> the channel taking its place
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._expected: OrderedDict[str, Origination] = OrderedDict()
        self._side: list[CallEvent] = []

    def forget(self) -> None:
        """Drop every followed call: off the PBX (fenced), what we knew is stale; the next
        resync rebuilds from what the PBX lists and PbxResynced closes what ended meanwhile."""
        for state in (self._calls, self._channel_call, self._local_peer, self._replaced, self._expected):
            state.clear()
        self._side = []

    # -- calls and channels -------------------------------------------------------

    def _call_for(self, h: Headers, at: float, prefix: str = "") -> Call | None:
        """The call of the channel named by ``<prefix>Uniqueid``, registering channel and call if new."""
        uid, linked = h.get(prefix + "Uniqueid"), h.get(prefix + "Linkedid")
        if not linked:
            known = self._channel_call.get(uid)
            return self._calls.get(known) if known else None
        call = self._calls.get(linked)
        if call is None:
            if linked in self._ended:
                return None  # a straggler after the call ended must not resurrect it
            call = self._open(linked, at)
        if uid:
            self._attach(call, uid, h.get(prefix + "Channel"), at)
        if uid == linked and not call.caller_number and call.origination is None:
            call.caller_number = h.caller_id(prefix + "CallerIDNum")  # the first leg is the caller
            call.caller_name = h.caller_id(prefix + "CallerIDName")
        if h.get(prefix + "ChannelState") == "6":
            call.reportable = True  # a leg answered: a real call, not a failed channel request
        return call

    def _open(self, call_id: str, at: float) -> Call:
        call = self._calls[call_id] = Call(call_id=call_id)
        orig = self._expected.get(call_id)
        if orig is not None:
            self._start_origination(call, orig, at)
        return call

    def _start_origination(self, call: Call, orig: Origination, at: float) -> None:
        """An expected origination's first leg appeared: for click-to-dial the agent's phone rings now."""
        call.origination, call.direction, call.reportable = orig, "outbound", True
        call.caller_number = orig.number
        call.spy = orig.kind == "spy"
        if orig.kind != "click_to_dial" or not orig.agent:
            return
        offer = Offer(orig.agent, None, at, "click_to_dial", "origination", legs=[call.call_id])
        call.add_offer(offer)
        self._side.append(
            CallOffered(
                self.pbx,
                call.call_id,
                orig.agent,
                orig.number,
                "",
                None,
                at,
                reason="click_to_dial",
                direction="outbound",
            )
        )

    def _attach(self, call: Call, uid: str, name: str, at: float) -> None:
        previous = self._channel_call.get(uid)
        if previous and previous != call.call_id:
            old = self._calls.get(previous)
            if old is not None:
                old.channels.pop(uid, None)
                if not old.channels:
                    self._side.extend(self._end(old, at))
        if uid not in call.channels or (name and call.channels[uid] != name):
            call.channels[uid] = name or call.channels.get(uid, "")
        self._channel_call[uid] = call.call_id

    def _on_channel_event(self, h: Headers, at: float) -> list[CallEvent]:
        if h.has("Uniqueid") and h.has("Linkedid"):
            self._call_for(h, at)
        return []

    def _on_newexten(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        if call is not None and h.get("Application").lower() in SPY_APPS:
            return self._mark_spy(call, at)
        return []

    def _on_spy_start(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at, prefix="Spyer")
        return self._mark_spy(call, at) if call is not None else []

    def _mark_spy(self, call: Call, at: float) -> list[CallEvent]:
        """A supervisor's listening leg is not a customer call: silence it, whatever it looked like."""
        call.spy = True
        return self._withdraw_pending(call, "supervision", at)

    # -- Local channels -----------------------------------------------------------

    def _on_local_bridge(self, h: Headers, at: float) -> list[CallEvent]:
        one, two = h.get("LocalOneUniqueid"), h.get("LocalTwoUniqueid")
        if not (one and two):
            return []
        self._local_peer[one], self._local_peer[two] = two, one
        for uid, peer in ((one, two), (two, one)):
            call = self._calls.get(self._channel_call.get(uid, ""))
            offer = call.offer_for(uid) if call else None
            if call is not None and offer is not None:
                call.add_leg(offer, peer)
        return []

    def _on_local_optimization(self, h: Headers, at: float) -> list[CallEvent]:
        """The ;1/;2 pair is about to vanish: the source channel takes the place of the pair's dest half."""
        source, dest = h.get("SourceUniqueid"), h.get("DestUniqueId")
        if source and dest:
            self._replaced[dest] = source
        return []

    def _peer(self, uid: str) -> str | None:
        return self._local_peer.get(uid)

    # -- offers ---------------------------------------------------------------------

    def _withdraw(self, call: Call, offer: Offer, reason: str, at: float) -> OfferWithdrawn:
        offer.state = WITHDRAWN
        if call.answered_at is None and not call.pending():
            call.ring_until = at
        return OfferWithdrawn(self.pbx, call.call_id, offer.agent, reason, at)

    def _withdraw_pending(self, call: Call, reason: str, at: float) -> list[CallEvent]:
        return [self._withdraw(call, offer, reason, at) for offer in call.pending()]

    # -- hold -------------------------------------------------------------------------

    def _on_hold(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, at)
        uid = h.get("Uniqueid")
        if call is None or call.spy or not uid or uid in call.held:
            return []
        call.held.add(uid)
        if len(call.held) > 1:
            return []
        call.hold_since = at
        return [CallHoldChanged(self.pbx, call.call_id, call.agent, True, at)]

    def _on_unhold(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._calls.get(self._channel_call.get(h.get("Uniqueid"), ""))
        if call is None or h.get("Uniqueid") not in call.held:
            return []  # Asterisk sends Unhold on transfers without a Hold before it
        return self._release_hold(call, h.get("Uniqueid"), at)

    def _release_hold(self, call: Call, uid: str, at: float) -> list[CallEvent]:
        call.held.discard(uid)
        if call.held or call.hold_since is None:
            return []
        call.hold_seconds += max(at - call.hold_since, 0.0)
        call.hold_since = None
        return [CallHoldChanged(self.pbx, call.call_id, call.agent, False, at)]

    # -- hang-ups and the end of a call ---------------------------------------------

    def _on_hangup(self, h: Headers, at: float) -> list[CallEvent]:
        uid = h.get("Uniqueid")
        call = self._calls.get(self._channel_call.get(uid, ""))
        if call is None or uid not in call.channels:
            return []  # unknown or already hung up (a duplicate Hangup)
        del call.channels[uid]
        self._channel_call.pop(uid, None)
        if call.origination is not None and uid == call.call_id:
            call.origination.hangup_cause = h.get("Cause")
        events: list[CallEvent] = []
        if uid in call.held and call.channels:
            events += self._release_hold(call, uid, at)
        events += self._caller_hangup(call, uid, at)
        offer = call.offer_for(uid)
        if offer is not None and offer.pending and uid in (offer.legs[0], self._peer(offer.legs[0])):
            events.append(self._withdraw(call, offer, "no_answer", at))
        self._local_peer.pop(uid, None)
        if not call.channels:
            events += self._end(call, at)
        return events

    def _caller_hangup(self, call: Call, uid: str, at: float) -> list[CallEvent]:
        if uid != call.caller_uid:
            return []
        replacement = self._replaced.pop(uid, None)
        if replacement and replacement in call.channels:
            call.caller_uid = replacement  # a Local pair optimised away: the caller lives on
            return []
        if call.answered_at is None and call.pending() and call.origination is None:
            call.miss = "abandoned"
        return self._withdraw_pending(call, "caller_left", at)

    def _end(self, call: Call, at: float) -> list[CallEvent]:
        reason = "no_answer" if call.origination is not None else "caller_left"
        events = [] if call.spy else self._withdraw_pending(call, reason, at)
        if call.reportable and not call.spy:
            events.append(ended(self.pbx, call, at))
        self._forget(call)
        return events

    def _forget(self, call: Call) -> None:
        self._calls.pop(call.call_id, None)
        self._expected.pop(call.call_id, None)
        for uid in [*call.leg_offer, *call.channels, *call.held]:
            self._local_peer.pop(uid, None)
            self._replaced.pop(uid, None)
            if self._channel_call.get(uid) == call.call_id:
                del self._channel_call[uid]
        self._ended[call.call_id] = None
        while len(self._ended) > ENDED_MEMORY:
            self._ended.popitem(last=False)

    def _answered_offer(self, call: Call, offer: Offer, at: float) -> None:
        offer.state = ANSWERED
        if call.answered_at is None:
            call.answered_at = at
        call.agent = offer.agent
        call.transfer_from, call.transfer_announced = None, False
