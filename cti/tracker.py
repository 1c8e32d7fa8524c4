"""The call tracker: AMI events in, domain events out.

It is a pure state machine so that recorded Asterisk traces can be replayed
through it in tests: no I/O, no logging, no clock reads. The rules live in
``cti/calls/``: channels, hang-ups, hold and ChanSpy (core), queues, dials and
originations, transfers, and the resync after a reconnect with the queries the
adapter's actions use.

Outcomes (CallEnded.outcome): answered; abandoned (the caller left before any
answer: QueueCallerAbandon, hung up while an agent rang, or in the IVR);
no_answer (queue timeout, every dial unanswered, outbound not answered); busy
(the last dial was BUSY); failed (an Originate that could not be placed).
OfferWithdrawn reasons: no_answer, busy, unavailable, answered_elsewhere,
caller_left, supervision. A call whose channels never answered and never
queued, rang an agent or was expected (a failed channel request) is not reported.
"""

from __future__ import annotations

from collections.abc import Callable

from crm_core.events import CallEvent
from cti.calls.devices import DirectAgentHook, agent_hook
from cti.calls.resync import Resync
from cti.headers import AmiEvent, Headers

__all__ = ["CallTracker", "DirectAgentHook", "agent_hook"]

Handler = Callable[[Headers, float], list[CallEvent]]


class CallTracker(Resync):
    """Follows every call of one PBX and says what changed, as domain events."""

    def __init__(self, pbx: str, direct_agent: DirectAgentHook | None = None) -> None:
        super().__init__(pbx, direct_agent)
        self._handlers: dict[str, Handler] = {
            "localbridge": self._on_local_bridge,
            "localoptimizationbegin": self._on_local_optimization,
            "newexten": self._on_newexten,
            "chanspystart": self._on_spy_start,
            "queuecallerjoin": self._on_join,
            "queuecallerleave": self._on_leave,
            "queuecallerabandon": self._on_abandon,
            "agentcalled": self._on_agent_called,
            "agentringnoanswer": self._on_ring_no_answer,
            "agentconnect": self._on_agent_connect,
            "dialbegin": self._on_dial_begin,
            "dialend": self._on_dial_end,
            "originateresponse": self._on_originate_response,
            "blindtransfer": self._on_blind_transfer,
            "attendedtransfer": self._on_attended_transfer,
            "hold": self._on_hold,
            "unhold": self._on_unhold,
            "hangup": self._on_hangup,
        }

    @property
    def active_calls(self) -> int:
        """How many calls are being followed (bounded: ended calls are forgotten)."""
        return len(self._calls)

    def live_call_ids(self) -> tuple[str, ...]:
        """The ids of the calls followed now (after a rebuild: those the PBX still has)."""
        return tuple(self._calls)

    def reset(self) -> None:
        """Forget every call (prefer rebuild(), which ends and adopts calls instead)."""
        self._calls.clear()
        self._channel_call.clear()
        self._local_peer.clear()
        self._replaced.clear()

    def feed(self, event: AmiEvent, received_at: float) -> list[CallEvent]:
        """Apply one AMI event; return the domain events it caused, in order."""
        h = Headers(event)
        name = h.get("Event").lower()
        if name != "originateresponse" and (h.has("ActionID") or h.has("Response")):
            return []  # list items and replies describe state, they are not live changes
        at = h.seconds("Timestamp") if h.has("Timestamp") else None
        when = received_at if at is None else at
        self._side = []
        events = self._handlers.get(name, self._on_channel_event)(h, when)
        side, self._side = self._side, []
        return side + events
