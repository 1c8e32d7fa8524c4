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
class CallEnded:
    """The call is over: every leg hung up. Outcome is "answered" or "abandoned"."""

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


@dataclass(frozen=True, slots=True)
class PbxLinkChanged:
    """The AMI link to a PBX went up or down (the supervisor view and health check show it)."""

    pbx: str
    up: bool
    reason: str
    at: float


CallEvent = CallQueued | CallOffered | OfferWithdrawn | CallAnswered | CallEnded
DomainEvent = CallEvent | PbxLinkChanged
