"""Inbound queue calls in the event order of the recorded traces (s01 answered, s02a abandoned,
s03a ring-no-answer with auto-pause then the next member), leaving out IVR, AGI and VarSet noise.

A call rings either one named member (``agent_interface``) or, with ``BY_STRATEGY``, the
queue's own members by its strategy (ringall: every free member at once; rrmemory: the
next free member after the last one rung), each phone behaving as ``Pbx.phones`` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pbxsim.blocks import channel_block
from pbxsim.control import CallControl, Command
from pbxsim.pbx import AGENT, CALL, Pbx
from pbxsim.state import IN_USE, RINGING, Bridge, Channel, QueueMember

BY_STRATEGY = "*"


@dataclass(frozen=True)
class QueueCall:
    """One inbound caller queued in ``queue``; with ``agent_interface=None`` nobody is rung.

    ``agent_interface=BY_STRATEGY`` lets the queue choose; ``patience`` is how long the
    caller then waits before giving up. ``hangup_by`` says who ends the talk ("caller" or
    "agent"); ``hold_after``/``hold_seconds`` put the caller on hold during the talk.
    """

    caller_number: str
    caller_name: str
    queue: str
    agent_interface: str | None
    member_name: str = ""
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0
    answer: bool = True
    wait_seconds: float = 2.0
    variables: Mapping[str, str] = field(default_factory=dict)
    hangup_by: str = "caller"
    patience: float = 60.0
    hold_after: float | None = None
    hold_seconds: float = 0.0
    record: bool = False
    uniqueid: str = ""  # the caller channel's Uniqueid (= the call's Linkedid), when chosen beforehand


@dataclass(frozen=True)
class CallResult:
    """Ids and nominal (simulated epoch) times of a played call, to check a call record against."""

    linkedid: str
    caller_uniqueid: str  # the queued caller leg (the inbound ;2), as in AgentCalled's Channel
    caller_channel: str
    agent_uniqueid: str | None
    answered: bool
    joined_at: float
    called_at: float | None
    answered_at: float | None
    ended_at: float
    agent_interface: str | None = None
    end_reason: str = ""  # caller / agent / transfer / abandon


@dataclass(eq=False)
class Leg:
    """One member being rung: its Local pair and when AgentCalled was sent."""

    member: QueueMember
    one: Channel
    two: Channel
    called_at: float


@dataclass(eq=False)
class QueueCallState:
    """Live state of a call while it plays."""

    spec: QueueCall
    control: CallControl
    inbound: tuple[Channel, Channel]
    joined_at: float = 0.0
    position: int = 0
    leg: Leg | None = None
    called_at: float | None = None
    answered_at: float | None = None
    bridge: Bridge | None = None
    inbound_one_up: bool = True
    end_reason: str = ""
    connected_to: str | None = None

    @property
    def now(self) -> float:
        return self.control.timeline.now

    @property
    def caller(self) -> Channel:
        return self.inbound[1]


def local_target(interface: str) -> tuple[str, str]:
    """``Local/1001@agents/n`` -> (``1001``, ``agents``); only Local members are modelled."""
    if not interface.startswith("Local/") or "@" not in interface:
        raise ValueError(f"only Local/exten@context members are simulated, got {interface!r}")
    exten, _, rest = interface.removeprefix("Local/").partition("@")
    return exten, rest.split("/", 1)[0]


def answer_inbound(pbx: Pbx, spec: QueueCall, at: float) -> tuple[Channel, Channel]:
    """The caller's Local pair, dialled and answered as the recorded Originate did."""
    one, two = pbx.new_local_pair(spec.caller_number, "inbound", at, ids=(spec.uniqueid, ""))
    for channel in (one, two):
        channel.caller_num = channel.connected_num = spec.caller_number
        channel.caller_name = channel.connected_name = spec.caller_name
        channel.variables = spec.variables
        pbx.newchannel(channel, at)
    pbx.local_bridge(one, two, at, optimization=True)
    pbx.dial_begin(None, one, f"{spec.caller_number}@inbound", at)
    pbx.newstate(two, 6, at)
    pbx.newstate(one, 6, at)
    pbx.dial_end(None, one, "ANSWER", at)
    one.context, one.exten = "customer", "s"
    one.application, one.app_data = "Wait", "180"
    two.application, two.app_data = "Queue", f"{spec.queue},,,,60"
    return one, two


def join_queue(pbx: Pbx, call: QueueCallState) -> None:
    queue = pbx.queue(call.spec.queue)
    queue.callers.append(call.caller)
    call.joined_at, call.position = call.now, len(queue.callers)
    details = [("Queue", queue.name), ("Position", str(call.position)), ("Count", str(len(queue.callers)))]
    pbx.emit("QueueCallerJoin", AGENT, call.now, pbx.channel_block(call.caller), details)


def _leave_queue(pbx: Pbx, call: QueueCallState) -> None:
    queue = pbx.queue(call.spec.queue)
    position = queue.callers.index(call.caller) + 1
    queue.callers.remove(call.caller)
    details = [("Queue", queue.name), ("Position", str(position)), ("Count", str(len(queue.callers)))]
    pbx.emit("QueueCallerLeave", AGENT, call.now, pbx.channel_block(call.caller), details)


def ring_member(pbx: Pbx, call: QueueCallState, member: QueueMember) -> Leg:
    """AgentCalled (the screen-pop trigger), then the dial to the member's Local pair."""
    at, caller, spec = call.now, call.caller, call.spec
    exten, context = local_target(member.interface)
    one, two = pbx.new_local_pair(exten, context, at, linkedid=caller.linkedid)
    for channel in (one, two):
        channel.caller_num, channel.caller_name = spec.caller_number, spec.caller_name
        channel.connected_num, channel.connected_name = spec.caller_number, spec.caller_name
        channel.variables = spec.variables
        pbx.newchannel(channel, at)
    one.exten = spec.caller_number  # app_queue copies the caller's exten onto the member's ;1
    pbx.local_bridge(one, two, at, optimization=False)
    leg = Leg(member, one, two, at)
    call.control.own(one, two)
    one.application, one.app_data = "AppQueue", "(Outgoing Line)"
    two.application, two.app_data = "Wait", "300"
    call.called_at = call.called_at or at
    pbx.emit("AgentCalled", AGENT, at, *_parties(pbx, call, leg), _member_pairs(leg))
    pbx.dial_begin(caller, one, member.interface, at)
    pbx.newstate(one, 5, at)
    pbx.queue_member_status(member, RINGING, at)
    return leg


def _parties(pbx: Pbx, call: QueueCallState, leg: Leg) -> tuple[list[tuple[str, str]], ...]:
    return pbx.channel_block(call.caller), pbx.channel_block(leg.one, "Dest")


def _member_pairs(leg: Leg) -> list[tuple[str, str]]:
    member = leg.member
    return [("Queue", member.queue), ("Interface", member.interface), ("MemberName", member.name)]


def connect(pbx: Pbx, call: QueueCallState, leg: Leg, others: list[Leg] = ()) -> None:  # type: ignore[assignment]
    """Member answers: in use, dial answered, other rung members cancelled, caller leaves, bridged."""
    at = call.now
    pbx.newstate(leg.two, 6, at)
    pbx.queue_member_status(leg.member, IN_USE, at)
    pbx.newstate(leg.one, 6, at)
    pbx.dial_end(call.caller, leg.one, "ANSWER", at)
    for other in others:
        cancel_leg(pbx, call, other)
    _leave_queue(pbx, call)
    times = [("HoldTime", seconds(call.joined_at, at)), ("RingTime", seconds(leg.called_at, at))]
    pbx.emit("AgentConnect", AGENT, at, *_parties(pbx, call, leg), _member_pairs(leg), times)
    bridge = pbx.new_bridge(at)
    pbx.bridge_enter(bridge, leg.one, at)
    pbx.bridge_enter(bridge, call.caller, at)
    call.leg, call.bridge, call.answered_at = leg, bridge, at
    call.connected_to = leg.member.interface


def agent_complete(pbx: Pbx, call: QueueCallState, reason: str) -> None:
    assert call.leg is not None and call.answered_at is not None
    times = [
        ("HoldTime", seconds(call.joined_at, call.answered_at)),
        ("TalkTime", seconds(call.answered_at, call.now)),
        ("Reason", reason),
    ]
    leg = call.leg
    pbx.emit("AgentComplete", AGENT, call.now, *_parties(pbx, call, leg), _member_pairs(leg), times)
    call.end_reason = reason


def complete_by_caller(pbx: Pbx, call: QueueCallState) -> None:
    """Caller hangs up: AgentComplete, bridge torn down, legs hung up in the s01 order."""
    assert call.leg is not None and call.bridge is not None
    at, leg, (in_one, in_two) = call.now, call.leg, call.inbound
    agent_complete(pbx, call, "caller")
    pbx.bridge_leave(call.bridge, in_two, at)
    pbx.bridge_leave(call.bridge, leg.one, at)
    pbx.hangup(leg.one, at)
    pbx.hangup(in_one, at)
    pbx.hangup(in_two, at)
    pbx.bridge_destroy(call.bridge, at)
    pbx.call_completed(leg.member, at)
    pbx.hangup(leg.two, at)


def complete_by_agent(pbx: Pbx, call: QueueCallState) -> None:
    """Agent hangs up: the s03a order (member idle and AgentComplete first, the agent's ;2 gone)."""
    assert call.leg is not None and call.bridge is not None
    at, leg, (in_one, in_two) = call.now, call.leg, call.inbound
    leg.member.calls_taken += 1
    for each in pbx.state.members_for(leg.member.interface):
        each.last_call = int(at)
    pbx.queue_member_status(leg.member, 1, at)
    agent_complete(pbx, call, "agent")
    pbx.hangup(leg.two, at, cause=0)
    pbx.bridge_leave(call.bridge, leg.one, at)
    pbx.bridge_leave(call.bridge, in_two, at)
    pbx.hangup(leg.one, at)
    pbx.bridge_destroy(call.bridge, at)
    pbx.hangup(in_two, at)
    pbx.hangup(in_one, at)


def cancel_leg(pbx: Pbx, call: QueueCallState, leg: Leg) -> None:
    """The dial to a rung member is cancelled and its legs go (s01/s03a order)."""
    at = call.now
    pbx.dial_end(call.caller, leg.one, "CANCEL", at)
    pbx.hangup(leg.one, at, cause=0)
    pbx.queue_member_status(leg.member, 1, at)
    pbx.hangup(leg.two, at, cause=0)


def ring_no_answer(pbx: Pbx, call: QueueCallState, leg: Leg) -> None:
    """Member's ring timeout: AgentRingNoAnswer (ms), auto-pause, NOANSWER then CANCEL (s03a)."""
    at = call.now
    ring_ms = [("RingTime", str(round((at - leg.called_at) * 1000)))]
    pbx.emit("AgentRingNoAnswer", AGENT, at, *_parties(pbx, call, leg), _member_pairs(leg), ring_ms)
    if pbx.queue(call.spec.queue).autopause:
        leg.member.paused, leg.member.paused_reason, leg.member.last_pause = True, "Auto-Pause", int(at)
        pbx.member_event("QueueMemberPause", leg.member, at)
    pbx.dial_end(call.caller, leg.one, "NOANSWER", at)
    cancel_leg(pbx, call, leg)


def abandon(pbx: Pbx, call: QueueCallState) -> None:
    """Caller gives up in the queue: order as in s02a (Abandon before Leave, ;2 hung up last)."""
    at, (in_one, in_two) = call.now, call.inbound
    if call.inbound_one_up:
        pbx.hangup(in_one, at)
        call.inbound_one_up = False
    queue = pbx.queue(call.spec.queue)
    details = [
        ("Queue", queue.name),
        ("Position", str(queue.callers.index(in_two) + 1)),
        ("OriginalPosition", str(call.position)),
        ("HoldTime", seconds(call.joined_at, at)),
    ]
    pbx.emit("QueueCallerAbandon", AGENT, at, pbx.channel_block(in_two), details)
    queue.abandoned += 1
    _leave_queue(pbx, call)
    pbx.hangup(in_two, at)
    call.end_reason = "abandon"


def caller_gone(pbx: Pbx, call: QueueCallState, ringing: list[Leg]) -> None:
    """Caller hangs up while members ring: ;1 goes, each dial cancelled, then the abandon."""
    pbx.hangup(call.inbound[0], call.now)
    call.inbound_one_up = False
    for leg in ringing:
        cancel_leg(pbx, call, leg)
    abandon(pbx, call)


def hold(pbx: Pbx, channel: Channel, at: float, on: bool) -> None:
    """Hold/Unhold as a phone's re-INVITE raises them on its channel (Unhold as in s04b)."""
    if on:
        pbx.emit("Hold", CALL, at, pbx.channel_block(channel), [("MusicClass", "default")])
    else:
        pbx.emit("Unhold", CALL, at, pbx.channel_block(channel))


def mixmonitor_start(pbx: Pbx, channel: Channel, at: float) -> None:
    channel.mixmonitor = True
    pbx.emit("MixMonitorStart", CALL, at, channel_block(channel, pbx.server.channelvars))


def is_caller_side(call: QueueCallState, command: Command) -> bool:
    return command.channel in call.inbound


def seconds(start: float, end: float) -> str:
    """Whole seconds the way app_queue computes them: a difference of time_t values."""
    return str(int(end) - int(start))


def result(call: QueueCallState) -> CallResult:
    in_one, in_two = call.inbound
    return CallResult(
        linkedid=in_one.linkedid,
        caller_uniqueid=in_two.uniqueid,
        caller_channel=in_two.name,
        agent_uniqueid=call.leg.one.uniqueid if call.leg else None,
        answered=call.answered_at is not None,
        joined_at=call.joined_at,
        called_at=call.called_at,
        answered_at=call.answered_at,
        ended_at=call.now,
        agent_interface=call.connected_to,
        end_reason=call.end_reason,
    )
