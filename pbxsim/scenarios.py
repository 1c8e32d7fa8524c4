"""Call scenarios played on a :class:`~pbxsim.pbx.Pbx`, in the event order of the recorded traces.

``queue_call`` follows s01_inbound_answered (answered) and s02a_abandon_agents_paused
(abandoned, no agent rung), leaving out the IVR, AGI and VarSet noise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pbxsim.pbx import AGENT, Bridge, Channel, Pbx, QueueMember, Timeline


@dataclass(frozen=True)
class QueueCall:
    """One inbound caller queued in ``queue``; with ``agent_interface=None`` nobody is rung."""

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


@dataclass
class _Call:
    """Live state of a call while it plays."""

    spec: QueueCall
    timeline: Timeline
    inbound: tuple[Channel, Channel]
    joined_at: float
    position: int
    agent: tuple[Channel, Channel] | None = None
    member: QueueMember | None = None
    called_at: float | None = None


def _local_target(interface: str) -> tuple[str, str]:
    """``Local/1001@agents/n`` -> (``1001``, ``agents``); only Local members are modelled."""
    if not interface.startswith("Local/") or "@" not in interface:
        raise ValueError(f"only Local/exten@context members are simulated, got {interface!r}")
    exten, _, rest = interface.removeprefix("Local/").partition("@")
    return exten, rest.split("/", 1)[0]


async def queue_call(
    pbx: Pbx,
    caller_number: str,
    caller_name: str,
    queue: str,
    agent_interface: str | None,
    member_name: str = "",
    ring_seconds: float = 0.0,
    talk_seconds: float = 0.0,
    answer: bool = True,
    wait_seconds: float = 2.0,
    variables: Mapping[str, str] | None = None,
) -> CallResult:
    """Play one queue call; see :class:`QueueCall` for the parameters."""
    spec = QueueCall(
        caller_number, caller_name, queue, agent_interface, member_name,
        ring_seconds, talk_seconds, answer, wait_seconds, dict(variables or {}),
    )  # fmt: skip
    return await play(pbx, spec)


async def run_concurrently(pbx: Pbx, calls: Iterable[QueueCall]) -> list[CallResult]:
    """Play several calls at once; each gets its own channels, ids and timeline."""
    return list(await asyncio.gather(*(play(pbx, spec) for spec in calls)))


async def play(pbx: Pbx, spec: QueueCall) -> CallResult:
    if spec.agent_interface is not None:
        _local_target(spec.agent_interface)  # fail before any event is sent
    timeline = pbx.timeline()
    inbound = _answer_inbound(pbx, spec, timeline.now)
    call = _Call(spec, timeline, inbound, timeline.now, _join_queue(pbx, spec, inbound[1], timeline.now))
    await timeline.wait(spec.wait_seconds)
    if spec.agent_interface is None:
        return _abandon(pbx, call)
    _ring_agent(pbx, call, spec.agent_interface)
    await timeline.wait(spec.ring_seconds)
    if not spec.answer:
        _cancel_ringing(pbx, call)
        return _abandon(pbx, call)
    answered_at, bridge = _connect(pbx, call)
    await timeline.wait(spec.talk_seconds)
    _complete(pbx, call, answered_at, bridge)
    return _result(call, answered_at)


def _answer_inbound(pbx: Pbx, spec: QueueCall, at: float) -> tuple[Channel, Channel]:
    """The caller's Local pair, dialled and answered as the recorded Originate did."""
    one, two = pbx.new_local_pair(spec.caller_number, "inbound", at)
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
    return one, two


def _join_queue(pbx: Pbx, spec: QueueCall, caller: Channel, at: float) -> int:
    waiting = pbx.queues.setdefault(spec.queue, [])
    waiting.append(caller)
    position = len(waiting)
    details = [("Queue", spec.queue), ("Position", str(position)), ("Count", str(len(waiting)))]
    pbx.emit("QueueCallerJoin", AGENT, at, pbx.channel_block(caller), details)
    return position


def _leave_queue(pbx: Pbx, call: _Call, at: float) -> None:
    caller = call.inbound[1]
    waiting = pbx.queues[call.spec.queue]
    position = waiting.index(caller) + 1
    waiting.remove(caller)
    details = [("Queue", call.spec.queue), ("Position", str(position)), ("Count", str(len(waiting)))]
    pbx.emit("QueueCallerLeave", AGENT, at, pbx.channel_block(caller), details)


def _ring_agent(pbx: Pbx, call: _Call, interface: str) -> None:
    at, caller, spec = call.timeline.now, call.inbound[1], call.spec
    exten, context = _local_target(interface)
    one, two = pbx.new_local_pair(exten, context, at, linkedid=caller.linkedid)
    for channel in (one, two):
        channel.caller_num, channel.caller_name = spec.caller_number, spec.caller_name
        channel.connected_num, channel.connected_name = spec.caller_number, spec.caller_name
        channel.variables = spec.variables
        pbx.newchannel(channel, at)
    one.exten = spec.caller_number  # app_queue copies the caller's exten onto the member's ;1
    pbx.local_bridge(one, two, at, optimization=False)
    call.agent, call.member = (one, two), pbx.member(spec.queue, interface, spec.member_name)
    call.called_at = at
    pbx.emit("AgentCalled", AGENT, at, *_caller_and_agent(pbx, call), _member_pairs(call))
    pbx.dial_begin(caller, one, interface, at)
    pbx.newstate(one, 5, at)
    pbx.queue_member_status(call.member, 6, at)


def _caller_and_agent(pbx: Pbx, call: _Call) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    assert call.agent is not None
    return pbx.channel_block(call.inbound[1]), pbx.channel_block(call.agent[0], "Dest")


def _member_pairs(call: _Call) -> list[tuple[str, str]]:
    assert call.member is not None
    return [
        ("Queue", call.spec.queue),
        ("Interface", call.member.interface),
        ("MemberName", call.member.name),
    ]


def _connect(pbx: Pbx, call: _Call) -> tuple[float, Bridge]:
    """Agent answers: member in use, dial answered, caller leaves the queue, both legs bridged."""
    assert call.agent is not None and call.member is not None and call.called_at is not None
    at, (one, two), caller = call.timeline.now, call.agent, call.inbound[1]
    pbx.newstate(two, 6, at)
    pbx.queue_member_status(call.member, 2, at)
    pbx.newstate(one, 6, at)
    pbx.dial_end(caller, one, "ANSWER", at)
    _leave_queue(pbx, call, at)
    times = [("HoldTime", _seconds(call.joined_at, at)), ("RingTime", _seconds(call.called_at, at))]
    pbx.emit("AgentConnect", AGENT, at, *_caller_and_agent(pbx, call), _member_pairs(call), times)
    bridge = pbx.new_bridge(at)
    pbx.bridge_enter(bridge, one, at)
    pbx.bridge_enter(bridge, caller, at)
    return at, bridge


def _complete(pbx: Pbx, call: _Call, answered_at: float, bridge: Bridge) -> None:
    """Caller hangs up: AgentComplete, bridge torn down, legs hung up in the recorded order."""
    assert call.agent is not None and call.member is not None
    at, (agent_one, agent_two), (in_one, in_two) = call.timeline.now, call.agent, call.inbound
    times = [
        ("HoldTime", _seconds(call.joined_at, answered_at)),
        ("TalkTime", _seconds(answered_at, at)),
        ("Reason", "caller"),
    ]
    pbx.emit("AgentComplete", AGENT, at, *_caller_and_agent(pbx, call), _member_pairs(call), times)
    pbx.bridge_leave(bridge, in_two, at)
    pbx.bridge_leave(bridge, agent_one, at)
    pbx.hangup(agent_one, at)
    pbx.hangup(in_one, at)
    pbx.hangup(in_two, at)
    pbx.bridge_destroy(bridge, at)
    call.member.calls_taken += 1
    call.member.last_call = int(at)
    pbx.queue_member_status(call.member, 1, at)
    pbx.hangup(agent_two, at)


def _cancel_ringing(pbx: Pbx, call: _Call) -> None:
    """Caller hangs up while the member rings: the dial is cancelled and the member legs go."""
    assert call.agent is not None and call.member is not None
    at, (agent_one, agent_two), caller = call.timeline.now, call.agent, call.inbound[1]
    pbx.hangup(call.inbound[0], at)
    pbx.dial_end(caller, agent_one, "CANCEL", at)
    pbx.hangup(agent_one, at, cause=0)
    pbx.queue_member_status(call.member, 1, at)
    pbx.hangup(agent_two, at, cause=0)


def _abandon(pbx: Pbx, call: _Call) -> CallResult:
    """Caller gives up in the queue: order as in s02a (Abandon before Leave, ;2 hung up last)."""
    at, (in_one, in_two) = call.timeline.now, call.inbound
    if call.agent is None:
        pbx.hangup(in_one, at)
    waiting = pbx.queues[call.spec.queue]
    details = [
        ("Queue", call.spec.queue),
        ("Position", str(waiting.index(in_two) + 1)),
        ("OriginalPosition", str(call.position)),
        ("HoldTime", _seconds(call.joined_at, at)),
    ]
    pbx.emit("QueueCallerAbandon", AGENT, at, pbx.channel_block(in_two), details)
    _leave_queue(pbx, call, at)
    pbx.hangup(in_two, at)
    return _result(call, None)


def _seconds(start: float, end: float) -> str:
    """Whole seconds the way app_queue computes them: a difference of time_t values."""
    return str(int(end) - int(start))


def _result(call: _Call, answered_at: float | None) -> CallResult:
    in_one, in_two = call.inbound
    return CallResult(
        linkedid=in_one.linkedid,
        caller_uniqueid=in_two.uniqueid,
        caller_channel=in_two.name,
        agent_uniqueid=call.agent[0].uniqueid if call.agent else None,
        answered=answered_at is not None,
        joined_at=call.joined_at,
        called_at=call.called_at,
        answered_at=answered_at,
        ended_at=call.timeline.now,
    )
