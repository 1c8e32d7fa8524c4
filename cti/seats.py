"""Seat state: what every agent's seat is doing, for consoles, wallboards and KPIs.

A seat's state comes from two sources that must be merged: queue membership
(logged in to which queues, paused and why, phone reachable) from Asterisk's
QueueMember* events, and call activity (ringing, talking, on hold) from the call
tracker's domain events. Call activity wins over membership: an agent who pauses
while talking shows ``on_call`` and returns to ``paused`` with the reason after
the call and its wrap-up. Wrap-up is the CRM's own after-call time.

Pure like the call tracker (no I/O, no clock reads): time comes with each input,
and wrap-up expiry is driven by ``tick(now)`` from the adapter's timer.

Seat state, in precedence order: on_call / on_hold (talking), ringing (offered),
wrap_up, then from membership: logged_out (in no queue; reason "unavailable" when
logged in but the phone is unreachable), paused (paused in every queue it is in),
ready.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallHoldChanged,
    CallOffered,
    CallTransferred,
    OfferWithdrawn,
)
from cti.headers import AmiEvent, Headers

# Asterisk device states in QueueMember* Status: 4 invalid, 5 unavailable.
_UNREACHABLE = {4, 5}


@dataclass(slots=True)
class _Member:
    paused: bool = False
    reason: str = ""
    order: int = 0  # when this queue's pause state was last set (for the shown reason)


@dataclass(slots=True)
class _Seat:
    agent: str
    queues: dict[str, _Member] = field(default_factory=dict)
    unreachable: bool = False
    offers: set[str] = field(default_factory=set)
    talking: str | None = None  # the call the agent is connected to
    on_hold: bool = False
    wrap_until: float | None = None
    shown: tuple[str, str, tuple[str, ...]] | None = None  # (state, reason, queues) last published
    since: float = 0.0

    def view(self) -> tuple[str, str, tuple[str, ...]]:
        """(state, reason, queues) as it follows from what is known now."""
        queues = tuple(sorted(self.queues))
        if self.talking is not None:
            return ("on_hold" if self.on_hold else "on_call", "", queues)
        if self.offers:
            return ("ringing", "", queues)
        if self.wrap_until is not None:
            return ("wrap_up", "", queues)
        if not self.queues:
            return ("logged_out", "", queues)
        if self.unreachable:
            return ("logged_out", "unavailable", queues)
        if all(m.paused for m in self.queues.values()):
            latest = max(self.queues.values(), key=lambda m: m.order)
            return ("paused", latest.reason, queues)
        return ("ready", "", queues)


class SeatTracker:
    """Follows every seat of one PBX; says what changed as AgentStateChanged."""

    def __init__(self, pbx: str, wrapup_seconds: float) -> None:
        self.pbx = pbx
        self.wrapup_seconds = wrapup_seconds
        self._seats: dict[str, _Seat] = {}
        self._order = 0

    # -- inputs ---------------------------------------------------------------------

    def feed_ami(self, event: AmiEvent, at: float) -> list[AgentStateChanged]:
        """Apply a live queue-membership event (list items with an ActionID go to rebuild)."""
        h = Headers(event)
        name = h.get("Event").lower()
        if not name.startswith("queuemember") or h.has("ActionID") or h.has("Response"):
            return []
        agent, in_queue = h.get("Interface") or h.get("Location"), h.get("Queue")
        if not agent or not in_queue:
            return []
        seat = self._seat(agent)
        if name == "queuememberremoved":
            seat.queues.pop(in_queue, None)
            seat.unreachable = seat.unreachable and bool(seat.queues)
        else:
            self._apply_member(seat, in_queue, h)
        return self._changed([seat], at)

    def feed_call(self, event: CallEvent) -> list[AgentStateChanged]:
        """Apply a call domain event from the call tracker."""
        touched = self._apply_call(event)
        return self._changed(touched, event.at)

    def tick(self, now: float) -> list[AgentStateChanged]:
        """End every wrap-up whose time is over; each change is dated when its wrap-up ended."""
        out: list[AgentStateChanged] = []
        for seat in list(self._seats.values()):
            if seat.wrap_until is not None and seat.wrap_until <= now:
                ended_at = seat.wrap_until
                seat.wrap_until = None
                out.extend(self._changed([seat], ended_at))
        return out

    def end_wrap_up(self, agent: str, now: float) -> list[AgentStateChanged]:
        """The agent finished after-call work early (chose a disposition)."""
        seat = self._seats.get(agent)
        if seat is None or seat.wrap_until is None:
            return []
        seat.wrap_until = None
        return self._changed([seat], now)

    def rebuild(
        self, members: Iterable[AmiEvent], at: float, calls: Iterable[CallEvent] = ()
    ) -> list[AgentStateChanged]:
        """Replace what is known with a QueueStatus snapshot (after a reconnect).

        Call activity is forgotten too (the link was down: calls may have ended unseen);
        ``calls`` are the call tracker's rebuild events that re-establish the live ones.
        Only seats whose state differs from what was last published are reported.
        """
        for seat in self._seats.values():
            seat.queues.clear()
            seat.unreachable = False
            seat.offers.clear()
            seat.talking, seat.on_hold = None, False
        for item in members:
            h = Headers(item)
            agent, in_queue = h.get("Location") or h.get("Interface"), h.get("Queue")
            if h.get("Event").lower() == "queuemember" and agent and in_queue:
                self._apply_member(self._seat(agent), in_queue, h)
        for event in calls:
            self._apply_call(event)
        return self._changed(list(self._seats.values()), at)

    # -- queries --------------------------------------------------------------------

    def snapshot(self) -> list[AgentStateChanged]:
        """The current state of every known seat, each dated when that state began."""
        return [
            AgentStateChanged(self.pbx, s.agent, *s.shown, s.since)
            for s in sorted(self._seats.values(), key=lambda s: s.agent)
            if s.shown is not None
        ]

    def agents_on_call(self, call_id: str) -> list[str]:
        """Agents connected to this call right now (a transfer needs the agent's leg)."""
        return sorted(s.agent for s in self._seats.values() if s.talking == call_id)

    def state_of(self, agent: str) -> str:
        seat = self._seats.get(agent)
        return seat.shown[0] if seat is not None and seat.shown is not None else "logged_out"

    # -- internals ------------------------------------------------------------------

    def _seat(self, agent: str) -> _Seat:
        seat = self._seats.get(agent)
        if seat is None:
            seat = self._seats[agent] = _Seat(agent)
        return seat

    def _apply_member(self, seat: _Seat, in_queue: str, h: Headers) -> None:
        member = seat.queues.setdefault(in_queue, _Member())
        if h.has("Paused"):
            paused = h.get("Paused").strip().lower() in ("1", "true", "yes")
            # Asterisk names it PausedReason (older versions: Reason); an unpause may carry
            # the unpause reason, which is not a pause reason.
            reason = (h.get("PausedReason") or h.get("Reason")) if paused else ""
            if paused != member.paused or reason != member.reason:
                self._order += 1
                member.paused, member.reason, member.order = paused, reason, self._order
        status = h.number("Status")
        if status is not None:
            seat.unreachable = status in _UNREACHABLE

    def _apply_call(self, event: CallEvent) -> list[_Seat]:
        if isinstance(event, CallOffered):
            seat = self._seat(event.agent)
            seat.offers.add(event.call_id)
            return [seat]
        if isinstance(event, OfferWithdrawn):
            seat = self._seat(event.agent)
            seat.offers.discard(event.call_id)
            return [seat]
        if isinstance(event, CallAnswered):
            seat = self._seat(event.agent)
            seat.offers.discard(event.call_id)
            seat.talking, seat.on_hold, seat.wrap_until = event.call_id, False, None
            return [seat]
        if isinstance(event, CallHoldChanged):
            return self._hold(event)
        if isinstance(event, CallTransferred):
            seat = self._seats.get(event.from_agent or "")
            return self._hang_up([seat], event.call_id, event.at) if seat else []
        if isinstance(event, CallEnded):
            return self._hang_up(list(self._seats.values()), event.call_id, event.at)
        return []

    def _hold(self, event: CallHoldChanged) -> list[_Seat]:
        seats = [s for s in self._seats.values() if s.talking == event.call_id]
        if event.agent is not None:
            seats = [s for s in seats if s.agent == event.agent]
        for seat in seats:
            seat.on_hold = event.on_hold
        return seats

    def _hang_up(self, seats: list[_Seat], call_id: str, at: float) -> list[_Seat]:
        """The call left these seats: talkers go to wrap-up, ringing ones stop ringing."""
        touched = []
        for seat in seats:
            if seat.talking == call_id:
                seat.talking, seat.on_hold = None, False
                if self.wrapup_seconds > 0:
                    seat.wrap_until = at + self.wrapup_seconds
                touched.append(seat)
            if call_id in seat.offers:
                seat.offers.discard(call_id)
                touched.append(seat)
        return touched

    def _changed(self, seats: Iterable[_Seat], at: float) -> list[AgentStateChanged]:
        out = []
        for seat in {id(s): s for s in seats}.values():
            view = seat.view()
            if view != seat.shown:
                seat.shown, seat.since = view, at
                out.append(AgentStateChanged(self.pbx, seat.agent, *view, at))
        return out
