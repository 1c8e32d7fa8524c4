"""Domain events carried by the bus.

They are the only language the adapters share: cti publishes what the PBX did,
agent_ui and the services react. Every event names the PBX it came from and the
call it belongs to (PBX + Asterisk Linkedid), and carries the time it happened
as a POSIX timestamp in seconds (taken from the AMI event, never read from a
clock inside the tracker).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CallQueued:
    """A caller entered a queue and is waiting for an agent."""

    pbx: str
    call_id: str
    caller_number: str
    caller_name: str
    queue: str
    position: int
    at: float


@dataclass(frozen=True, slots=True)
class CallOffered:
    """An agent's phone is ringing with this call: the screen-pop trigger."""

    pbx: str
    call_id: str
    agent: str  # the agent's queue interface / device, e.g. "Local/1001@agents/n"
    caller_number: str
    caller_name: str
    queue: str | None
    at: float
    variables: dict[str, str] = field(default_factory=dict)
    # Why the call came: "queue", "direct", "transfer", "callback", "click_to_dial", "campaign"
    # (progressive dialing: the customer already answered).
    reason: str = "queue"
    transferred_by: str | None = None  # the agent who transferred it to this one
    direction: str = "inbound"  # "inbound" | "outbound" | "internal"


@dataclass(frozen=True, slots=True)
class OfferWithdrawn:
    """An agent stopped ringing without taking the call (no answer, taken by another, caller left)."""

    pbx: str
    call_id: str
    agent: str
    reason: str  # "no_answer" | "answered_elsewhere" | "caller_left"
    at: float


@dataclass(frozen=True, slots=True)
class CallAnswered:
    """An agent answered; wait_seconds is the caller's time in queue before it."""

    pbx: str
    call_id: str
    agent: str
    queue: str | None
    caller_number: str
    at: float
    wait_seconds: float
    ring_seconds: float


@dataclass(frozen=True, slots=True)
class CallTransferred:
    """An agent passed the call on: to another agent, a queue or an extension."""

    pbx: str
    call_id: str
    from_agent: str | None
    target: str  # agent interface, "queue:<name>" or the dialled extension
    kind: str  # "blind" | "attended" | "redirect"
    at: float


@dataclass(frozen=True, slots=True)
class CallHoldChanged:
    """The caller was put on hold by the agent, or taken off hold."""

    pbx: str
    call_id: str
    agent: str | None
    on_hold: bool
    at: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    """The call is over: every leg hung up.

    outcome, what happened to the caller: "answered" (an agent talked with them;
    `transferred` tells whether it was passed on), "abandoned" (the caller hung up
    before any answer: in the queue or while an agent rang), "no_answer" (offered or
    dialled, never answered, ended by the PBX: queue timeout, outbound no answer),
    "busy" (the dialled party was busy) or "failed" (an outbound attempt that could
    not be placed).
    """

    pbx: str
    call_id: str
    outcome: str
    caller_number: str
    caller_name: str
    queue: str | None
    agent: str | None
    at: float
    queued_at: float | None
    answered_at: float | None
    wait_seconds: float
    talk_seconds: float
    abandon_position: int | None = None
    direction: str = "inbound"
    offered_at: float | None = None
    ring_seconds: float = 0.0
    hold_seconds: float = 0.0
    agents: tuple[str, ...] = ()  # every agent interface offered the call, in order
    transferred: bool = False


@dataclass(frozen=True, slots=True)
class AgentStateChanged:
    """An agent's seat changed state.

    state: "logged_out", "ready", "paused", "ringing", "on_call", "on_hold", "wrap_up".
    reason: the pause reason when paused. queues: the queues the agent is logged in to.
    """

    pbx: str
    agent: str  # queue interface
    state: str
    reason: str
    queues: tuple[str, ...]
    at: float  # when this state began


@dataclass(frozen=True, slots=True)
class PbxLinkChanged:
    """The AMI link to a PBX went up or down (the supervisor view and health check show it)."""

    pbx: str
    up: bool
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class PbxResynced:
    """The PBX's state was rebuilt from its own lists (after a (re)connect or a takeover).

    live_calls are the call ids the PBX still has; a call record of this PBX left open
    and not among them ended while nobody watched, and is closed at `at`.
    """

    pbx: str
    live_calls: tuple[str, ...]
    at: float


@dataclass(frozen=True, slots=True)
class SystemAlarm:
    """Something supervisors must see now (a recording that could not be stored, a full disk…)."""

    source: str  # "recordings", "ivr", …
    kind: str  # short machine name, e.g. "ingest_failed", "disk_full"
    detail: str  # one line for people; no personal data
    at: float
    pbx: str | None = None
    call_id: str | None = None


CallEvent = (
    CallQueued | CallOffered | OfferWithdrawn | CallAnswered | CallTransferred | CallHoldChanged | CallEnded
)
DomainEvent = CallEvent | AgentStateChanged | PbxLinkChanged | PbxResynced | SystemAlarm
