"""The wallboard's picture of every seat and queue, kept from the bus's domain events.

Why its own state and not the console hub's: the console hub is keyed by agent
account and only keeps what an agent's own console needs; a supervisor needs every
seat (also interfaces nobody has an account for yet, and accounts that never logged
in to a queue) and per-queue aggregates. Pure like the trackers: no I/O and no clock,
every time comes with an event, so a test can feed a sequence and read the result.

``apply`` and the other inputs answer a :class:`Change` naming what moved; the hub
renders it (:mod:`agent_ui.wallboard.render`) and sends it to the screens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from agent_ui.wallboard.today import Today, from_event
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
    PbxLinkChanged,
)
from crm_core.kpi import CallFact

TALKING = frozenset({"ringing", "on_call", "on_hold"})
BUSY = TALKING | {"wrap_up"}
MAX_NAMED_CALLS = 5000  # caller names kept for live calls; a call never ended cannot grow it forever


@dataclass(frozen=True, slots=True)
class Agent:
    """An account that answers on a queue interface, as the directory knows it."""

    interface: str
    name: str
    team: str | None = None
    user_id: int | None = None  # the account: supervisor actions name the agent by it
    role: str = "agent"  # a supervisor's own phone is a seat too, but not one a supervisor acts on


@dataclass(slots=True)
class SeatCall:
    """A call ringing on or connected to a seat."""

    key: str  # "<pbx>:<call id>"
    number: str
    caller_name: str
    queue: str | None
    direction: str
    since: float  # offered at, then answered at
    answered: bool = False


@dataclass(slots=True)
class Seat:
    agent: str  # the queue interface
    name: str
    team: str | None = None
    has_account: bool = False
    pbx: str = ""
    state: str = "logged_out"
    reason: str = ""
    since: float | None = None  # None: no state seen since the service started
    queues: tuple[str, ...] = ()
    calls: dict[str, SeatCall] = field(default_factory=dict)
    user_id: int | None = None
    role: str = "agent"

    def current_call(self) -> SeatCall | None:
        """The connected call if any, else the latest one ringing."""
        pool = [c for c in self.calls.values() if c.answered] or list(self.calls.values())
        return max(pool, key=lambda c: c.since) if pool else None


@dataclass(slots=True)
class QueueRow:
    name: str
    waiting: dict[str, float] = field(default_factory=dict)  # call key -> when the caller joined


@dataclass(frozen=True, slots=True)
class CallerInfo:
    """How the caller is shown: the number formatted for people, and the customer's name if known."""

    number: str
    name: str


@dataclass(slots=True)
class Change:
    """What an input moved: seats (by interface), queues (by name), seats gone, PBX links, alerts."""

    seats: set[str] = field(default_factory=set)
    queues: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    links: bool = False
    alerts: bool = False  # the set of alerts moved (the hub keeps them: see alerts.py)

    def __bool__(self) -> bool:
        return bool(self.seats or self.queues or self.gone or self.links or self.alerts)

    def merge(self, other: Change) -> Change:
        self.seats |= other.seats
        self.queues |= other.queues
        self.gone |= other.gone
        self.links = self.links or other.links
        self.alerts = self.alerts or other.alerts
        return self


def call_key(pbx: str, call_id: str) -> str:
    return f"{pbx}:{call_id}"


class Board:
    """Every seat and queue, as the bus has told it."""

    def __init__(self, today: Today | None = None) -> None:
        self.seats: dict[str, Seat] = {}
        self.queues: dict[str, QueueRow] = {}
        self.callers: dict[str, CallerInfo] = {}
        self.links: dict[str, bool] = {}
        self.today = today or Today()

    # -- inputs ---------------------------------------------------------------------

    def apply(self, event: object) -> Change:
        """Fold one domain event in; events of other kinds change nothing."""
        if isinstance(event, AgentStateChanged):
            return self._seat_state(event)
        if isinstance(event, CallQueued):
            return self._queued(event)
        if isinstance(event, CallOffered):
            return self._offered(event)
        if isinstance(event, CallAnswered):
            return self._answered(event)
        if isinstance(event, OfferWithdrawn):
            return self._drop_offer(event.agent, call_key(event.pbx, event.call_id))
        if isinstance(event, CallTransferred):
            return self._drop_call(event.from_agent or "", call_key(event.pbx, event.call_id))
        if isinstance(event, CallEnded):
            return self._ended(call_key(event.pbx, event.call_id)).merge(self._tally(event))
        if isinstance(event, PbxLinkChanged):
            self.links[event.pbx] = event.up
            return Change(links=True)
        return Change()

    def set_directory(self, agents: Iterable[Agent]) -> Change:
        """Names and teams of the accounts; every account's seat shows, even before any event.

        A seat whose account went away stays while it is logged in to a queue or busy
        (the PBX still routes to it), showing its interface; otherwise it leaves the board.
        """
        change = Change()
        listed = {a.interface: a for a in agents}
        for agent in listed.values():
            seat = self.seats.get(agent.interface)
            if seat is None:
                seat = self.seats[agent.interface] = Seat(agent.interface, agent.name)
            elif (seat.name, seat.team, seat.user_id, seat.role, seat.has_account) == (
                agent.name, agent.team, agent.user_id, agent.role, True
            ):  # fmt: skip
                continue
            seat.name, seat.team, seat.user_id, seat.role = agent.name, agent.team, agent.user_id, agent.role
            seat.has_account = True
            change.seats.add(agent.interface)
            change.queues.update(seat.queues)
        for seat in list(self.seats.values()):
            if seat.has_account and seat.agent not in listed:
                change.seats.add(seat.agent)
                seat.name, seat.team, seat.user_id, seat.has_account = seat.agent, None, None, False
                change.queues.update(seat.queues)
            if not seat.has_account and seat.state == "logged_out" and not seat.calls:
                del self.seats[seat.agent]
                change.seats.discard(seat.agent)
                change.gone.add(seat.agent)
        return change

    def name_caller(self, key: str, caller: CallerInfo) -> Change:
        """The CRM found who is calling (looked up outside, this stays pure)."""
        if key not in self.callers and len(self.callers) >= MAX_NAMED_CALLS:
            self.callers.pop(next(iter(self.callers)))
        self.callers[key] = caller
        return Change(seats={s.agent for s in self.seats.values() if key in s.calls})

    def seed_today(self, calls: Iterable[CallFact], now: float) -> Change:
        """Today's ended calls from the call records (start-up); later ends come as events."""
        change = Change(queues=self.today.roll(now))
        for call in calls:
            if self.today.add(call) and call.queue:
                self._queue(call.queue)
                change.queues.add(call.queue)
        return change

    def new_day(self, now: float) -> Change:
        """At midnight (in the configured zone) today's figures start again from zero."""
        return Change(queues=self.today.roll(now) & set(self.queues))

    # -- queries --------------------------------------------------------------------

    def queue_counts(self, name: str) -> dict[str, int]:
        """Agents of the queue by what they can do now: ready, busy (ringing, talking, wrap-up), paused."""
        counts = {"ready": 0, "busy": 0, "paused": 0}
        for seat in self.seats.values():
            if name not in seat.queues:
                continue
            if seat.state in BUSY:
                counts["busy"] += 1
            elif seat.state in ("ready", "paused"):
                counts[seat.state] += 1
        return counts

    # -- internals ------------------------------------------------------------------

    def _seat(self, agent: str) -> Seat:
        seat = self.seats.get(agent)
        if seat is None:
            seat = self.seats[agent] = Seat(agent, agent)
        return seat

    def _queue(self, name: str) -> QueueRow:
        row = self.queues.get(name)
        if row is None:
            row = self.queues[name] = QueueRow(name)
        return row

    def _seat_state(self, event: AgentStateChanged) -> Change:
        seat = self._seat(event.agent)
        before = set(seat.queues)
        seat.pbx, seat.state, seat.reason = event.pbx, event.state, event.reason
        seat.since, seat.queues = event.at, tuple(event.queues)
        if event.state not in TALKING:
            seat.calls.clear()  # the seat tracker already saw the call leave: never show a stale one
        for name in seat.queues:
            self._queue(name)
        return Change(seats={seat.agent}, queues=before | set(seat.queues))

    def _queued(self, event: CallQueued) -> Change:
        key = call_key(event.pbx, event.call_id)
        change = self._leave_queues(key)
        self._queue(event.queue).waiting[key] = event.at
        change.queues.add(event.queue)
        return change

    def _offered(self, event: CallOffered) -> Change:
        seat = self._seat(event.agent)
        key = call_key(event.pbx, event.call_id)
        number = event.caller_number
        seat.calls[key] = SeatCall(key, number, event.caller_name, event.queue, event.direction, event.at)
        return Change(seats={seat.agent})

    def _answered(self, event: CallAnswered) -> Change:
        key = call_key(event.pbx, event.call_id)
        change = self._leave_queues(key)
        seat = self._seat(event.agent)
        call = seat.calls.get(key)
        if call is None:
            call = SeatCall(key, event.caller_number, "", event.queue, "inbound", event.at)
            seat.calls[key] = call
        call.answered, call.since = True, event.at
        change.seats.add(seat.agent)
        return change

    def _drop_offer(self, agent: str, key: str) -> Change:
        seat = self.seats.get(agent)
        call = seat.calls.get(key) if seat else None
        if seat is None or call is None or call.answered:
            return Change()
        del seat.calls[key]
        return Change(seats={seat.agent})

    def _drop_call(self, agent: str, key: str) -> Change:
        seat = self.seats.get(agent)
        if seat is None or seat.calls.pop(key, None) is None:
            return Change()
        return Change(seats={seat.agent})

    def _ended(self, key: str) -> Change:
        change = self._leave_queues(key)
        for seat in self.seats.values():
            if seat.calls.pop(key, None) is not None:
                change.seats.add(seat.agent)
        self.callers.pop(key, None)
        return change

    def _tally(self, event: CallEnded) -> Change:
        key, call = from_event(event)
        change = Change(queues=self.today.roll(call.started_at.timestamp()))  # the first call after midnight
        if self.today.add(call, key) and call.queue:
            self._queue(call.queue)
            change.queues.add(call.queue)
        return change

    def _leave_queues(self, key: str) -> Change:
        change = Change()
        for row in self.queues.values():
            if row.waiting.pop(key, None) is not None:
                change.queues.add(row.name)
        return change
