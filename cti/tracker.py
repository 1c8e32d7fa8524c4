"""The call tracker: AMI events in, domain events out.

It is a pure state machine so that recorded Asterisk traces can be replayed
through it in tests: no I/O, no logging, no clock reads. A call is PBX +
Linkedid (every leg of a call, Local halves and transfer legs included, shares
the Linkedid); a channel is its Uniqueid. Queue offers are keyed by the member
leg (AgentCalled's DestUniqueid), which is what keeps a Local ``;1``/``;2``
pair or a following DialBegin from producing a second offer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from crm_core.events import CallAnswered, CallEnded, CallEvent, CallOffered, CallQueued, OfferWithdrawn
from cti.headers import AmiEvent, Headers

DirectAgentHook = Callable[[str], str | None]
"""Maps a DialBegin DestChannel to an agent id when that channel is an agent's device."""

_ENDED_MEMORY = 1024


@dataclass(slots=True)
class _Offer:
    agent: str
    queue: str | None
    at: float
    via_dial: bool = False
    pending: bool = True


@dataclass(slots=True)
class _Call:
    call_id: str
    channels: set[str] = field(default_factory=set)
    caller_uid: str | None = None
    caller_number: str = ""
    caller_name: str = ""
    queue: str | None = None
    queued_at: float | None = None
    answered_at: float | None = None
    agent: str | None = None
    abandon_position: int | None = None
    left_queue: bool = False
    caller_gone: bool = False
    offers: dict[str, _Offer] = field(default_factory=dict)
    member_legs: set[str] = field(default_factory=set)

    def pending(self) -> list[tuple[str, _Offer]]:
        return [(leg, o) for leg, o in self.offers.items() if o.pending]


class CallTracker:
    """Follows every call of one PBX and says what changed, as domain events."""

    def __init__(self, pbx: str, direct_agent: DirectAgentHook | None = None) -> None:
        self.pbx = pbx
        self._direct_agent = direct_agent
        self._calls: dict[str, _Call] = {}
        self._channel_call: dict[str, str] = {}
        self._local_peer: dict[str, str] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._handlers: dict[str, Callable[[Headers, float], list[CallEvent]]] = {
            "newchannel": self._on_channel_event,
            "localbridge": self._on_local_bridge,
            "queuecallerjoin": self._on_join,
            "queuecallerleave": self._on_leave,
            "queuecallerabandon": self._on_abandon,
            "agentcalled": self._on_agent_called,
            "agentringnoanswer": self._on_ring_no_answer,
            "agentconnect": self._on_agent_connect,
            "dialbegin": self._on_dial_begin,
            "dialend": self._on_dial_end,
            "hangup": self._on_hangup,
        }

    @property
    def active_calls(self) -> int:
        """How many calls are being followed (bounded: ended calls are forgotten)."""
        return len(self._calls)

    def reset(self) -> None:
        """Forget every call, e.g. before a resync after the link was down."""
        self._calls.clear()
        self._channel_call.clear()
        self._local_peer.clear()

    def feed(self, event: AmiEvent, received_at: float) -> list[CallEvent]:
        """Apply one AMI event; return the domain events it caused, in order."""
        h = Headers(event)
        if h.has("ActionID") or h.has("Response"):
            return []  # list items and replies describe state, they are not live changes
        at = h.seconds("Timestamp") if h.has("Timestamp") else None
        when = received_at if at is None else at
        handler = self._handlers.get(h.get("Event").lower(), self._on_channel_event)
        return handler(h, when)

    # -- channels and calls ---------------------------------------------------------

    def _call_for(self, h: Headers, uid_key: str = "Uniqueid", link_key: str = "Linkedid") -> _Call | None:
        """The call this event's channel belongs to, registering the channel if new."""
        uid, linked = h.get(uid_key), h.get(link_key)
        if not linked:
            known = self._channel_call.get(uid)
            return self._calls.get(known) if known else None
        call = self._calls.get(linked)
        if call is None:
            if linked in self._ended:
                return None  # a straggler after the call ended must not resurrect it
            call = self._calls[linked] = _Call(call_id=linked)
        if uid and uid not in call.channels:
            call.channels.add(uid)
            self._channel_call[uid] = linked
        return call

    def _on_channel_event(self, h: Headers, at: float) -> list[CallEvent]:
        if h.has("Uniqueid") and h.has("Linkedid"):
            self._call_for(h)
        return []

    def _on_local_bridge(self, h: Headers, at: float) -> list[CallEvent]:
        one, two = h.get("LocalOneUniqueid"), h.get("LocalTwoUniqueid")
        if not (one and two):
            return []
        self._local_peer[one] = two
        self._local_peer[two] = one
        for uid in (one, two):
            call = self._calls.get(self._channel_call.get(uid, ""))
            if call is not None and (one in call.member_legs or two in call.member_legs):
                call.member_legs.update((one, two))
        return []

    def _leg_with_peer(self, uid: str) -> set[str]:
        peer = self._local_peer.get(uid)
        return {uid, peer} if peer else {uid}

    # -- queue ------------------------------------------------------------------------

    def _on_join(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        if call is None:
            return []
        call.caller_uid = h.get("Uniqueid")
        call.caller_number = h.caller_id("CallerIDNum")
        call.caller_name = h.caller_id("CallerIDName")
        call.queue = h.get("Queue") or None
        call.left_queue = False
        if call.queued_at is None:
            call.queued_at = at
        position = h.number("Position") or 0
        return [
            CallQueued(
                self.pbx, call.call_id, call.caller_number, call.caller_name, h.get("Queue"), position, at
            )
        ]

    def _on_leave(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        if call is not None:
            call.left_queue = True  # comes just before AgentConnect too: not by itself a hang-up
        return []

    def _on_abandon(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        if call is None:
            return []
        call.abandon_position = h.number("Position")
        call.left_queue = True
        call.caller_gone = True
        return self._withdraw_pending(call, "caller_left", at)

    def _on_agent_called(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        leg = h.get("DestUniqueid")
        if call is None or not leg:
            return []
        if not call.caller_number:
            call.caller_number = h.caller_id("CallerIDNum")
            call.caller_name = h.caller_id("CallerIDName")
        call.member_legs.update(self._leg_with_peer(leg))
        agent = h.get("Interface") or h.get("MemberName")
        if leg in call.offers:
            return []  # already offered through this leg (e.g. by a DialBegin seen first)
        queue = h.get("Queue") or None
        call.offers[leg] = _Offer(agent=agent, queue=queue, at=at)
        return [
            CallOffered(
                self.pbx,
                call.call_id,
                agent,
                h.caller_id("CallerIDNum") or call.caller_number,
                h.caller_id("CallerIDName") or call.caller_name,
                queue,
                at,
                variables=h.variables("ChanVariable"),
            )
        ]

    def _find_offer(self, call: _Call, h: Headers) -> tuple[str, _Offer] | None:
        leg = h.get("DestUniqueid")
        if leg in call.offers:
            return leg, call.offers[leg]
        agent = h.get("Interface")
        for key, offer in call.offers.items():
            if offer.pending and offer.agent == agent:
                return key, offer
        return None

    def _on_ring_no_answer(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        found = self._find_offer(call, h) if call else None
        if call is None or found is None or not found[1].pending:
            return []
        found[1].pending = False
        return [OfferWithdrawn(self.pbx, call.call_id, found[1].agent, "no_answer", at)]

    def _on_agent_connect(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h)
        if call is None:
            return []
        found = self._find_offer(call, h)
        agent = found[1].agent if found else (h.get("Interface") or h.get("MemberName"))
        offered_at = found[1].at if found else None
        if found:
            found[1].pending = False
        wait = at - call.queued_at if call.queued_at is not None else h.seconds("HoldTime") or 0.0
        ring = at - offered_at if offered_at is not None else h.seconds("RingTime") or 0.0
        if call.queued_at is None:
            call.queued_at = at - wait
        events: list[CallEvent] = [self._answered(call, agent, h.get("Queue") or call.queue, at, wait, ring)]
        return events + self._withdraw_pending(call, "answered_elsewhere", at)

    def _answered(
        self, call: _Call, agent: str, queue: str | None, at: float, wait: float, ring: float
    ) -> CallAnswered:
        if call.answered_at is None:
            call.answered_at = at
        call.agent = agent
        return CallAnswered(self.pbx, call.call_id, agent, queue, call.caller_number, at, wait, ring)

    def _withdraw_pending(self, call: _Call, reason: str, at: float) -> list[CallEvent]:
        events: list[CallEvent] = []
        for _leg, offer in call.pending():
            offer.pending = False
            events.append(OfferWithdrawn(self.pbx, call.call_id, offer.agent, reason, at))
        return events

    # -- direct (non-queue) dials ----------------------------------------------------

    def _on_dial_begin(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._call_for(h, "DestUniqueid", "DestLinkedid")
        dest = h.get("DestUniqueid")
        if call is None or self._direct_agent is None or not dest:
            return []
        if dest in call.member_legs or h.get("Uniqueid") in call.member_legs or dest in call.offers:
            return []  # the queue already offered this member leg; its own dial is not a new offer
        agent = self._direct_agent(h.get("DestChannel"))
        if agent is None:
            return []
        number = h.caller_id("CallerIDNum") or call.caller_number
        name = h.caller_id("CallerIDName") or call.caller_name
        call.caller_number, call.caller_name = number, name
        call.offers[dest] = _Offer(agent=agent, queue=None, at=at, via_dial=True)
        return [
            CallOffered(
                self.pbx, call.call_id, agent, number, name, None, at, variables=h.variables("ChanVariable")
            )
        ]

    def _on_dial_end(self, h: Headers, at: float) -> list[CallEvent]:
        call = self._calls.get(h.get("DestLinkedid") or h.get("Linkedid"))
        offer = call.offers.get(h.get("DestUniqueid")) if call else None
        if call is None or offer is None or not offer.via_dial or not offer.pending:
            return []  # queue legs are settled by AgentConnect / AgentRingNoAnswer
        offer.pending = False
        if h.get("DialStatus").upper() == "ANSWER":
            return [self._answered(call, offer.agent, None, at, 0.0, at - offer.at)]
        return [OfferWithdrawn(self.pbx, call.call_id, offer.agent, "no_answer", at)]

    # -- hang-ups and the end of a call ----------------------------------------------

    def _on_hangup(self, h: Headers, at: float) -> list[CallEvent]:
        uid = h.get("Uniqueid")
        call = self._calls.get(self._channel_call.get(uid, "") or h.get("Linkedid"))
        if call is None:
            return []
        legs = self._leg_with_peer(uid)
        call.channels.discard(uid)
        self._channel_call.pop(uid, None)
        self._local_peer.pop(uid, None)
        if uid == call.caller_uid:
            call.caller_gone = True
        events: list[CallEvent] = []
        if call.caller_gone:
            events += self._withdraw_pending(call, "caller_left", at)
        for leg in legs:
            offer = call.offers.get(leg)
            if offer is not None and offer.pending:
                offer.pending = False
                reason = "caller_left" if call.caller_gone or call.left_queue else "no_answer"
                events.append(OfferWithdrawn(self.pbx, call.call_id, offer.agent, reason, at))
        if not call.channels:
            events += self._end(call, at)
        return events

    def _end(self, call: _Call, at: float) -> list[CallEvent]:
        events = self._withdraw_pending(call, "caller_left", at)
        answered = call.answered_at is not None
        stop_waiting = call.answered_at if answered else at
        wait = stop_waiting - call.queued_at if call.queued_at is not None else 0.0
        talk = at - call.answered_at if call.answered_at is not None else 0.0
        events.append(
            CallEnded(
                self.pbx,
                call.call_id,
                "answered" if answered else "abandoned",
                call.caller_number,
                call.caller_name,
                call.queue,
                call.agent,
                at,
                call.queued_at,
                call.answered_at,
                max(wait, 0.0),
                max(talk, 0.0),
                call.abandon_position,
            )
        )
        self._forget(call)
        return events

    def _forget(self, call: _Call) -> None:
        del self._calls[call.call_id]
        for uid in call.member_legs | call.channels:
            self._local_peer.pop(uid, None)
            self._channel_call.pop(uid, None)
        self._ended[call.call_id] = None
        while len(self._ended) > _ENDED_MEMORY:
            self._ended.popitem(last=False)
