"""Calls that are not queue calls: a direct call to a phone, click-to-dial and callback (both
started by Originate), and a supervisor's ChanSpy leg. Click-to-dial follows s05a.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pbxsim import legs
from pbxsim import scenarios_queue as q
from pbxsim.control import CallControl
from pbxsim.pbx import CALL, Pbx
from pbxsim.state import Channel


@dataclass(frozen=True)
class Originated:
    """What an Originate asked for; ``action_id`` is echoed in OriginateResponse."""

    channel: str
    context: str
    exten: str
    caller_id: tuple[str, str] = ("", "")
    ids: tuple[str, str] = ("", "")
    variables: Mapping[str, str] = field(default_factory=dict)
    action_id: str = ""
    talk_seconds: float = 30.0
    customer_answer_after: float = 2.0
    timeout: float = 30.0  # the Originate's Timeout: how long the first leg may ring (seconds)


def originate_response(pbx: Pbx, spec: Originated, channel: Channel | None, at: float) -> None:
    pairs = [("ActionID", spec.action_id)] if spec.action_id else []
    if channel is None:
        pairs += [("Response", "Failure"), ("Channel", spec.channel), ("Context", spec.context)]
        pairs += [("Exten", spec.exten), ("Reason", "0"), ("Uniqueid", "<unknown>")]
        pairs += [("CallerIDNum", "<unknown>"), ("CallerIDName", "<unknown>")]
    else:
        pairs += [("Response", "Success"), ("Channel", channel.name), ("Context", spec.context)]
        pairs += [("Exten", spec.exten), ("Reason", "4"), ("Uniqueid", channel.uniqueid)]
        pairs += [("CallerIDNum", channel.caller_num), ("CallerIDName", channel.caller_name)]
        for var in pbx.server.channelvars:
            pairs.append((f"ChanVariable({channel.name})", f"{var}={channel.variables.get(var, '')}"))
    pbx.emit("OriginateResponse", CALL, at, pairs)


def customer_answered(pbx: Pbx, spec: Originated, pair: tuple[Channel, Channel], at: float) -> None:
    """The dialed customer picks up: both legs up, the dial answered, the Originate answered (Success),
    and the originated leg goes on to the dialplan the Originate named."""
    one, two = pair
    pbx.newstate(two, 6, at)
    pbx.newstate(one, 6, at)
    pbx.dial_end(None, one, "ANSWER", at)
    originate_response(pbx, spec, one, at)
    one.context, one.exten = spec.context, spec.exten


def _variables(spec: Originated) -> dict[str, str]:
    return {k.lstrip("_"): v for k, v in spec.variables.items()}


async def click_to_dial(pbx: Pbx, spec: Originated) -> None:
    """Agent's phone first (Local/<ext>@agentphone -> the agent's Local pair), then the customer."""
    exten, _, context = spec.channel.removeprefix("Local/").partition("@")
    control = CallControl(pbx, pbx.timeline())
    number, name = spec.caller_id if spec.caller_id[0] else (exten, exten)
    variables = _variables(spec)
    a_one, a_two = legs.new_pair(
        pbx, exten, context, control.timeline.now, None, (number, name), variables, spec.ids, optimize=True
    )
    pbx.dial_begin(None, a_one, f"{exten}@{context}", control.timeline.now)
    phone = legs.new_pair(
        pbx, exten, "agents", control.timeline.now, a_one.linkedid, (number, name), variables
    )
    control.own(a_one, a_two, *phone)
    a_two.priority = 2
    legs.ring(pbx, a_two, phone[0], f"{exten}@agents/n", control.timeline.now)
    pbx.newstate(a_one, 5, control.timeline.now)
    if await control.wait(pbx.phones.get(legs.agent_interface(exten), 1.0) or 1.0) is not None:
        return _abort(pbx, control, spec, (a_one, a_two, *phone))
    at = control.timeline.now
    legs.answer(pbx, a_two, *phone, at)
    pbx.newstate(a_two, 6, at)
    phone_bridge = legs.bridge(pbx, phone[0], a_two, at)
    pbx.newstate(a_one, 6, at)
    pbx.dial_end(None, a_one, "ANSWER", at)
    await _dial_customer(pbx, control, spec, (a_one, a_two), phone, phone_bridge)


async def _dial_customer(pbx, control, spec, agent_side, phone, phone_bridge) -> None:  # type: ignore[no-untyped-def]
    a_one, a_two = agent_side
    at = control.timeline.now
    a_one.context, a_one.exten, a_one.priority = spec.context, spec.exten, 4
    a_one.caller_num, a_one.caller_name = "5550100", "ACME Support"
    c_one, c_two = legs.new_pair(pbx, spec.exten, "pstn", at, a_one.linkedid, ("", ""), a_one.variables)
    c_one.caller_num, c_one.caller_name, c_one.connected_num = spec.exten, a_two.caller_name, "5550100"
    c_two.caller_num, c_two.caller_name, c_two.connected_num = "5550100", "ACME Support", spec.exten
    control.own(c_one, c_two)
    legs.ring(pbx, a_one, c_one, f"{spec.exten}@pstn/n", at)
    originate_response(pbx, spec, a_one, at)
    await control.wait(spec.customer_answer_after)
    at = control.timeline.now
    legs.answer(pbx, a_one, c_one, c_two, at)
    outer = legs.bridge(pbx, c_one, a_one, at)
    _optimize_away(pbx, (a_one, a_two), c_one, phone_bridge, outer, at)
    command = await control.wait(spec.talk_seconds)
    at = control.timeline.now
    gone = command.channel if command is not None else c_two
    if gone in phone:
        legs.teardown(pbx, phone_bridge, phone[0], c_one, at)
        pbx.hangup(c_two, at)
        return legs.end_agent_pair(pbx, *phone, at)
    pbx.hangup(c_two, at)  # the customer hangs up (s05a order)
    pbx.bridge_leave(phone_bridge, c_one, at)
    pbx.hangup(c_one, at)
    pbx.bridge_leave(phone_bridge, phone[0], at)
    pbx.bridge_destroy(phone_bridge, at)
    legs.end_agent_pair(pbx, *phone, at)


def _optimize_away(pbx, pair, source, phone_bridge, outer, at) -> None:  # type: ignore[no-untyped-def]
    """The agentphone Local pair drops out: the customer's leg swaps into the phone's bridge (s05a)."""
    one, two = pair
    blocks = (pbx.channel_block(one, "LocalOne"), pbx.channel_block(two, "LocalTwo"))
    begin_tail = [("DestUniqueId", two.uniqueid), ("Id", "0")]
    pbx.emit("LocalOptimizationBegin", CALL, at, *blocks, pbx.channel_block(source, "Source"), begin_tail)
    pbx.bridge_leave(outer, source, at)
    pbx.bridge_leave(phone_bridge, two, at)
    pbx.bridge_enter(phone_bridge, source, at, swap=two)
    pbx.emit("LocalOptimizationEnd", CALL, at, *blocks, [("Success", "No"), ("Id", "0")])
    pbx.bridge_leave(outer, one, at)
    pbx.hangup(one, at)
    pbx.bridge_destroy(outer, at)
    pbx.hangup(two, at)


def _abort(pbx: Pbx, control: CallControl, spec: Originated, channels: tuple[Channel, ...]) -> None:
    at = control.timeline.now
    for channel in channels:
        if channel.name in pbx.state.channels:
            pbx.hangup(channel, at, cause=0)
    originate_response(pbx, spec, None, at)


async def callback(pbx: Pbx, spec: Originated, queue: str) -> q.CallResult:
    """The customer's phone first (Local/<number>@pstn), then its ;1 queues in ``queue``."""
    number = spec.channel.removeprefix("Local/").partition("@")[0]
    control = CallControl(pbx, pbx.timeline())
    at = control.timeline.now
    cid = spec.caller_id if spec.caller_id[0] else (number, number)
    one, two = legs.new_pair(pbx, number, "pstn", at, None, cid, _variables(spec), spec.ids)
    control.own(one, two)
    pbx.dial_begin(None, one, f"{number}@pstn", at)
    pbx.newstate(one, 5, at)
    await control.wait(spec.customer_answer_after)
    at = control.timeline.now
    customer_answered(pbx, spec, (one, two), at)
    qspec = q.QueueCall(cid[0], cid[1], queue, q.BY_STRATEGY, talk_seconds=spec.talk_seconds, record=True)
    call = q.QueueCallState(qspec, control, (two, one))
    q.mixmonitor_start(pbx, one, at)
    q.join_queue(pbx, call)
    from pbxsim.scenarios import ring_until_answered, talk

    if await ring_until_answered(pbx, call):
        await talk(pbx, call)
    return q.result(call)


async def direct_call(
    pbx: Pbx, caller_number: str, device: str, *, ring_seconds: float = 2.0, talk_seconds: float = 5.0,
    outcome: str = "ANSWER", trunk: str = "PJSIP/trunk",
) -> str:  # fmt: skip
    """A caller dials a phone directly (``Dial(PJSIP/1001)``): ANSWER, BUSY or NOANSWER. Returns Linkedid."""
    control = CallControl(pbx, pbx.timeline())
    at = control.timeline.now
    exten = device.rpartition("/")[2]
    caller = pbx.new_device_channel(trunk, "from-trunk", exten, at, "")
    caller.linkedid, caller.state, caller.caller_num = caller.uniqueid, 4, caller_number
    pbx.newchannel(caller, at)
    dest = pbx.new_device_channel(device, "from-trunk", exten, at, caller.linkedid)
    dest.caller_num, dest.connected_num = exten, caller_number
    pbx.newchannel(dest, at)
    control.own(caller, dest)
    pbx.dial_begin(caller, dest, exten, at)
    if outcome == "BUSY":
        pbx.dial_end(caller, dest, "BUSY", at)
        pbx.hangup(dest, at, cause=17)
        pbx.hangup(caller, at, cause=17)
        return caller.linkedid
    pbx.newstate(dest, 5, at)
    command = await control.wait(ring_seconds)
    at = control.timeline.now
    if outcome != "ANSWER" or command is not None:
        pbx.dial_end(caller, dest, "CANCEL" if command else "NOANSWER", at)
        pbx.hangup(dest, at, cause=0 if command else 19)
        pbx.hangup(caller, at)
        return caller.linkedid
    pbx.newstate(dest, 6, at)
    pbx.dial_end(caller, dest, "ANSWER", at)
    pbx.newstate(caller, 6, at)
    bridge = legs.bridge(pbx, dest, caller, at)
    command = await control.wait(talk_seconds)
    gone = command.channel if command is not None else caller
    legs.teardown(pbx, bridge, gone, dest if gone is caller else caller, control.timeline.now)
    pbx.hangup(gone, control.timeline.now)
    return caller.linkedid


async def supervisor_spy(
    pbx: Pbx, spyee: str, supervisor: str = "PJSIP/2001", listen_seconds: float = 5.0, action_id: str = "",
    uniqueid: str = "", options: str = "q",
) -> None:  # fmt: skip
    """A supervisor's phone channel runs ChanSpy on ``spyee`` (a live channel name) for a while.

    ``uniqueid`` is the Originate's ChannelId: Asterisk gives it to the originated channel
    whether it then runs an extension or an application. ``options`` are ChanSpy's as the
    Originate's Data gave them (q, qw, qB): CoreShowChannels shows them as ApplicationData.
    """
    control = CallControl(pbx, pbx.timeline())
    at = control.timeline.now
    spyer = pbx.new_device_channel(supervisor, "supervisors", "s", at, "")
    spyer.uniqueid = uniqueid or spyer.uniqueid
    spyer.linkedid, spyer.caller_num = spyer.uniqueid, supervisor.rpartition("/")[2]
    spyer.application, spyer.app_data = "ChanSpy", f"{spyee},{options}" if options else spyee
    pbx.newchannel(spyer, at)
    control.own(spyer)
    pbx.newstate(spyer, 6, at)
    if action_id:
        originate_response(pbx, Originated(supervisor, "", "", action_id=action_id), spyer, at)
    target = _spied(pbx, spyee, spyer.name)
    if target is not None:
        pair = (pbx.channel_block(spyer, "Spyer"), pbx.channel_block(target, "Spyee"))
        pbx.emit("ChanSpyStart", CALL, at, *pair)
        await control.wait(listen_seconds)
        pbx.emit("ChanSpyStop", CALL, control.timeline.now, *pair)
    pbx.hangup(spyer, control.timeline.now)


def _spied(pbx: Pbx, prefix: str, spyer: str) -> Channel | None:
    """ChanSpy's first argument is a channel-name prefix (case-insensitive), never the spy's own channel.

    The CRM gives the agent's live channel (an exact name) or their interface's stem (``PJSIP/1001-``).
    """
    exact = pbx.state.find_channel(prefix)
    if exact is not None:
        return exact
    wanted = prefix.lower()
    return next(
        (c for n, c in pbx.state.channels.items() if n.lower().startswith(wanted) and n != spyer), None
    )
