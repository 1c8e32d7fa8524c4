"""What happens to a queue call when an action steers it: hangups, blind and attended transfers,
Redirect, and transfer to another queue (s04b for the blind transfer's order).
"""

from __future__ import annotations

import dataclasses

from pbxsim import legs
from pbxsim import scenarios_queue as q
from pbxsim.blocks import bridge_block
from pbxsim.control import Command
from pbxsim.pbx import CALL, Pbx
from pbxsim.scenarios_queue import BY_STRATEGY, QueueCallState

TRANSFER_RING_TIMEOUT = 20.0  # the recorded dialplan's Dial(Local/${EXTEN}@agents/n,20)


async def run_command(pbx: Pbx, call: QueueCallState, command: Command) -> None:
    if command.kind == "hangup":
        if q.is_caller_side(call, command):
            q.complete_by_caller(pbx, call)
        else:
            q.complete_by_agent(pbx, call)
    elif command.kind == "blind":
        _blind_transfer_events(pbx, call, command)
        await _leave_agent_and_go(pbx, call, command.context, command.exten, "transfer")
    elif command.kind == "redirect":
        await _leave_agent_and_go(pbx, call, command.context, command.exten, "agent")
    elif command.kind == "atxfer":
        await _attended_transfer(pbx, call, command)


def _blind_transfer_events(pbx: Pbx, call: QueueCallState, command: Command) -> None:
    assert call.bridge is not None
    at, transferer = call.now, command.channel
    transferee = next((c for c in call.bridge.channels if c is not transferer), call.caller)
    pbx.emit("Unhold", CALL, at, pbx.channel_block(transferer))
    pbx.emit(
        "BlindTransfer",
        CALL,
        at,
        [("Result", "Success")],
        pbx.channel_block(transferer, "Transferer"),
        pbx.channel_block(transferee, "Transferee"),
        bridge_block(call.bridge),
        [("IsExternal", "Yes"), ("Context", command.context), ("Extension", command.exten)],
    )


async def _leave_agent_and_go(pbx: Pbx, call: QueueCallState, context: str, exten: str, reason: str) -> None:
    """The caller leaves the agent's bridge for ``context,exten``; the agent's legs end."""
    assert call.leg is not None and call.bridge is not None
    at, leg = call.now, call.leg
    q.agent_complete(pbx, call, reason)
    call.caller.context, call.caller.exten, call.caller.priority = context, exten, 1
    pbx.bridge_leave(call.bridge, call.caller, at)
    pbx.bridge_leave(call.bridge, leg.one, at)
    pbx.bridge_destroy(call.bridge, at)
    pbx.hangup(leg.one, at)
    pbx.call_completed(leg.member, at)
    pbx.hangup(leg.two, at)
    call.bridge = None
    await go_to(pbx, call, exten)


async def go_to(pbx: Pbx, call: QueueCallState, exten: str) -> None:
    """A queue name re-queues the caller; anything else dials that agent's phone (the transfer context)."""
    if exten in pbx.state.queues:
        call.spec = dataclasses.replace(call.spec, queue=exten, agent_interface=BY_STRATEGY)
        q.join_queue(pbx, call)
        from pbxsim.scenarios import ring_until_answered, talk

        if await ring_until_answered(pbx, call):
            await talk(pbx, call)
        return
    await _dial_agent_directly(pbx, call, exten)


async def _dial_agent_directly(pbx: Pbx, call: QueueCallState, exten: str) -> None:
    caller, spec = call.caller, call.spec
    one, two = legs.new_pair(
        pbx,
        exten,
        "agents",
        call.now,
        caller.linkedid,
        (spec.caller_number, spec.caller_name),
        spec.variables,
    )
    call.control.own(one, two)
    legs.ring(pbx, caller, one, f"{exten}@agents/n", call.now)
    delay = pbx.phones.get(legs.agent_interface(exten), 1.0)
    answers = delay is not None and delay < TRANSFER_RING_TIMEOUT
    command = await call.control.wait(delay if answers else TRANSFER_RING_TIMEOUT)  # type: ignore[arg-type]
    if command is not None or not answers:
        legs.fail(pbx, caller, one, two, "CANCEL" if command else "NOANSWER", call.now)
        _caller_hangs_up_alone(pbx, call)
        return
    legs.answer(pbx, caller, one, two, call.now)
    call.connected_to, call.answered_at = legs.agent_interface(exten), call.answered_at or call.now
    bridge = legs.bridge(pbx, one, caller, call.now)
    command = await call.control.wait(spec.talk_seconds)
    at = call.now
    if command is not None and command.channel in (one, two):
        legs.teardown(pbx, bridge, one, caller, at)
        pbx.hangup(call.inbound[0], at)
        legs.end_agent_pair(pbx, one, two, at)
        return
    pbx.hangup(call.inbound[0], at)  # the caller hangs up (s04b order)
    legs.teardown(pbx, bridge, caller, one, at)
    pbx.hangup(caller, at)
    legs.end_agent_pair(pbx, one, two, at)


def _caller_hangs_up_alone(pbx: Pbx, call: QueueCallState) -> None:
    for channel in call.inbound:
        pbx.hangup(channel, call.now)


async def _attended_transfer(pbx: Pbx, call: QueueCallState, command: Command) -> None:
    """Atxfer: the agent consults the target (a leg of the same call), then hangs up to complete."""
    assert call.leg is not None and call.bridge is not None
    spec, transferer, orig_bridge = call.spec, command.channel, call.bridge
    consult_one, consult_two = legs.new_pair(
        pbx, command.exten, "agents", call.now, transferer.linkedid,
        (spec.caller_number, spec.caller_name), spec.variables,
    )  # fmt: skip
    call.control.own(consult_one, consult_two)
    legs.ring(pbx, transferer, consult_one, f"{command.exten}@agents/n", call.now)
    await call.control.wait(pbx.phones.get(legs.agent_interface(command.exten)) or 1.0)
    legs.answer(pbx, transferer, consult_one, consult_two, call.now)
    pbx.bridge_leave(orig_bridge, transferer, call.now)
    consult = legs.bridge(pbx, consult_one, transferer, call.now)
    await call.control.wait(spec.hold_seconds or 2.0)
    at = call.now
    pbx.emit(
        "AttendedTransfer", CALL, at, [("Result", "Success")],
        pbx.channel_block(transferer, "OrigTransferer"), _prefixed(bridge_block(orig_bridge), "Orig"),
        pbx.channel_block(transferer, "SecondTransferer"), _prefixed(bridge_block(consult), "Second"),
        [("DestType", "Bridge"), ("DestBridgeUniqueid", consult.uniqueid)],
        pbx.channel_block(call.caller, "Transferee"), pbx.channel_block(consult_one, "TransferTarget"),
        [("IsExternal", "Yes")],
    )  # fmt: skip
    q.agent_complete(pbx, call, "transfer")
    pbx.bridge_leave(orig_bridge, call.caller, at)
    pbx.bridge_destroy(orig_bridge, at)
    pbx.bridge_enter(consult, call.caller, at, swap=transferer)
    pbx.bridge_leave(consult, transferer, at)
    pbx.hangup(transferer, at)
    pbx.call_completed(call.leg.member, at)
    pbx.hangup(call.leg.two, at)
    call.connected_to = legs.agent_interface(command.exten)
    await call.control.wait(spec.talk_seconds)
    at = call.now
    pbx.hangup(call.inbound[0], at)
    legs.teardown(pbx, consult, call.caller, consult_one, at)
    pbx.hangup(call.caller, at)
    legs.end_agent_pair(pbx, consult_one, consult_two, at)


def _prefixed(block: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}{key}", value) for key, value in block]
