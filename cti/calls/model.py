"""What the tracker remembers about one call, and how a finished call is summed up.

Kept apart from the event handlers so the rules for outcome and durations (what a
call record and the KPIs will say) can be read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_core.events import CallEnded

RINGING, ANSWERED, WITHDRAWN = "ringing", "answered", "withdrawn"

# DialStatus (DialEnd) -> why an offer stopped ringing. The reason strings of
# OfferWithdrawn are: no_answer, busy, unavailable, answered_elsewhere, caller_left,
# supervision (the "call" turned out to be a ChanSpy leg).
DIAL_WITHDRAW_REASON = {
    "BUSY": "busy",
    "CHANUNAVAIL": "unavailable",
    "CONGESTION": "unavailable",
    "NOANSWER": "no_answer",
}

# DialStatus of the last unanswered dial -> CallEnded.outcome
_DIAL_OUTCOME = {"BUSY": "busy", "NOANSWER": "no_answer", "CANCEL": "abandoned"}
_OUTBOUND_DIAL_OUTCOME = {"BUSY": "busy", "CHANUNAVAIL": "failed", "CONGESTION": "failed"}
# OriginateResponse Reason (Asterisk's AST_CONTROL_* numbers) -> outcome
ORIGINATE_REASON_OUTCOME = {"1": "no_answer", "3": "no_answer", "5": "busy", "8": "failed"}


@dataclass(slots=True)
class Origination:
    """A call the CRM asked the PBX to place (expect_origination), matched by Linkedid."""

    call_id: str
    kind: str  # "click_to_dial" | "callback" | "campaign" | "spy"
    agent: str | None
    number: str
    failure: str | None = None  # outcome told by a failed OriginateResponse
    customer_leg: str | None = None  # click-to-dial: the customer's dialled channel
    hangup_cause: str = ""  # of the originated channel, for busy / no answer


@dataclass(slots=True)
class Offer:
    """One agent's phone ringing with the call; legs are that agent's channels, member leg first."""

    agent: str
    queue: str | None
    at: float
    reason: str
    via: str  # "queue" | "dial" | "origination"
    legs: list[str] = field(default_factory=list)
    state: str = RINGING
    transferred_by: str | None = None
    dial_answered: bool = False  # a queue leg's DialEnd ANSWER, before app_queue's AgentConnect

    @property
    def pending(self) -> bool:
        return self.state == RINGING


@dataclass(slots=True)
class Call:
    """One conversation: every channel sharing a Linkedid, however many agents it meets."""

    call_id: str
    channels: dict[str, str] = field(default_factory=dict)  # live Uniqueid -> channel name
    reportable: bool = False  # became a real call: a leg answered, queued, offered or expected
    spy: bool = False  # a supervisor's ChanSpy leg: never reported
    caller_uid: str | None = None
    caller_number: str = ""
    caller_name: str = ""
    direction: str = "inbound"
    origination: Origination | None = None
    queue: str | None = None
    queued_at: float | None = None  # first time in a queue
    in_queue: str | None = None  # the queue the caller waits in now (a duplicated join is no news)
    joined_at: float | None = None  # the latest queue join (a transfer to a queue starts a new wait)
    answered_at: float | None = None
    agent: str | None = None  # the last agent who answered
    offers: list[Offer] = field(default_factory=list)
    leg_offer: dict[str, Offer] = field(default_factory=dict)
    agents: list[str] = field(default_factory=list)
    offered_at: float | None = None
    ring_until: float | None = None  # when the ringing before the first answer stopped
    abandon_position: int | None = None
    miss: str = "abandoned"  # outcome if it ends unanswered (updated as things happen)
    transferred: bool = False
    transfer_from: str | None = None  # agent who passed the call on, until the next answer
    transfer_announced: bool = False  # a CallTransferred was already sent for that transfer
    held: set[str] = field(default_factory=set)
    hold_since: float | None = None
    hold_seconds: float = 0.0

    def pending(self) -> list[Offer]:
        return [o for o in self.offers if o.pending]

    def offer_for(self, uid: str) -> Offer | None:
        return self.leg_offer.get(uid)

    def add_offer(self, offer: Offer) -> None:
        self.offers.append(offer)
        for leg in offer.legs:
            self.leg_offer[leg] = offer
        if offer.agent not in self.agents:
            self.agents.append(offer.agent)
        if self.offered_at is None:
            self.offered_at = offer.at

    def add_leg(self, offer: Offer, uid: str) -> None:
        if uid and uid not in offer.legs:
            offer.legs.append(uid)
        self.leg_offer[uid] = offer

    def hold_total(self, at: float) -> float:
        running = at - self.hold_since if self.hold_since is not None else 0.0
        return self.hold_seconds + max(running, 0.0)

    def outcome(self) -> str:
        if self.answered_at is not None:
            return "answered"
        orig = self.origination
        if orig is None:
            return self.miss
        if orig.failure:
            return orig.failure
        if self.abandon_position is not None:
            return "abandoned"
        if self.miss in _OUTBOUND_DIAL_OUTCOME.values():
            return self.miss
        return "busy" if orig.hangup_cause == "17" else "no_answer"

    def note_dial_status(self, status: str) -> None:
        """Remember why the last dial did not answer, for the outcome if none ever does."""
        table = _OUTBOUND_DIAL_OUTCOME if self.origination else _DIAL_OUTCOME
        outcome = table.get(status)
        if outcome:
            self.miss = outcome
        elif self.origination is None and status in ("CHANUNAVAIL", "CONGESTION"):
            self.miss = "no_answer"


def ended(pbx: str, call: Call, at: float) -> CallEnded:
    """The call record's summary; wait stops at the first answer, ring covers every agent rung before it."""
    answered = call.answered_at
    wait_end = answered if answered is not None else at
    wait = wait_end - call.queued_at if call.queued_at is not None else 0.0
    ring_end = answered if answered is not None else (call.ring_until or at)
    ring = ring_end - call.offered_at if call.offered_at is not None else 0.0
    return CallEnded(
        pbx,
        call.call_id,
        call.outcome(),
        call.caller_number,
        call.caller_name,
        call.queue,
        call.agent,
        at,
        call.queued_at,
        answered,
        max(wait, 0.0),
        max(at - answered, 0.0) if answered is not None else 0.0,
        call.abandon_position,
        direction=call.direction,
        offered_at=call.offered_at,
        ring_seconds=max(ring, 0.0),
        hold_seconds=call.hold_total(at),
        agents=tuple(call.agents),
        transferred=call.transferred,
    )
