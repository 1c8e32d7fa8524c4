"""Progressive dialing: Originate the customer's phone (``Local/<number>@pstn``) into the campaign
context; only when the customer answers does their ;1 run ``Dial(${CAMPAIGN_AGENT})``.

What the customer's phone does is ``pbx.outbound[number]``: "answer" (default), "no_answer" (it rings
until the Originate's Timeout), "busy", "congestion", or "unreachable" (no channel is ever created).
An unanswered call ends like an Asterisk Originate through the dial API: DialEnd with the status, both
Local halves hung up with the cause, then OriginateResponse Failure with the Reason (the last control
frame: 3 ringing, 5 busy, 8 congestion; 0 when nothing was reached). Answered: Reason 4.
"""

from __future__ import annotations

import asyncio

from pbxsim import legs
from pbxsim.control import CallControl
from pbxsim.pbx import CALL, Pbx
from pbxsim.scenarios_direct import Originated, customer_answered
from pbxsim.state import Channel

UNANSWERED = {
    "no_answer": ("NOANSWER", 19, "3"),
    "busy": ("BUSY", 17, "5"),
    "congestion": ("CONGESTION", 34, "8"),
}
AGENT_RING_LIMIT = 20.0  # seconds the dialplan's Dial rings the agent


def failure(pbx: Pbx, spec: Originated, reason: str, at: float) -> None:
    pairs = [("ActionID", spec.action_id)] if spec.action_id else []
    pairs += [("Response", "Failure"), ("Channel", spec.channel), ("Context", spec.context)]
    pairs += [("Exten", spec.exten), ("Reason", reason), ("Uniqueid", "<unknown>")]
    pairs += [("CallerIDNum", "<unknown>"), ("CallerIDName", "<unknown>")]
    pbx.emit("OriginateResponse", CALL, at, pairs)


async def campaign_call(pbx: Pbx, spec: Originated, ring_timeout: float) -> None:
    number = spec.channel.removeprefix("Local/").partition("@")[0]
    behaviour = pbx.outbound.get(number, "answer")
    if behaviour == "unreachable":
        await asyncio.sleep(0)
        return failure(pbx, spec, "0", pbx.now())
    control = CallControl(pbx, pbx.timeline())
    at = control.timeline.now
    cid = spec.caller_id if spec.caller_id[0] else (number, number)
    variables = {k.lstrip("_"): v for k, v in spec.variables.items()}
    one, two = legs.new_pair(pbx, number, "pstn", at, None, cid, variables, spec.ids)
    control.own(one, two)
    pbx.dial_begin(None, one, f"{number}@pstn", at)
    pbx.newstate(one, 5, at)
    if behaviour in UNANSWERED:
        status, cause, reason = UNANSWERED[behaviour]
        await control.wait(ring_timeout if behaviour == "no_answer" else 0.5)
        at = control.timeline.now
        pbx.dial_end(None, one, status, at)
        pbx.hangup(one, at, cause=cause)
        pbx.hangup(two, at, cause=cause)
        return failure(pbx, spec, reason, at)
    await control.wait(spec.customer_answer_after)
    at = control.timeline.now
    customer_answered(pbx, spec, (one, two), at)
    await _connect_agent(pbx, control, spec, (one, two), variables.get("CAMPAIGN_AGENT", ""))


async def _connect_agent(pbx: Pbx, control: CallControl, spec: Originated, customer, agent: str) -> None:  # type: ignore[no-untyped-def]
    """The answered customer's ;1 dials the agent's Local interface, as Dial(${CAMPAIGN_AGENT}) does."""
    one, two = customer
    exten = agent.removeprefix("Local/").partition("@")[0]
    at = control.timeline.now
    phone = legs.new_pair(
        pbx, exten, "agents", at, one.linkedid, (one.caller_num, one.caller_name), one.variables
    )
    control.own(*phone)
    legs.ring(pbx, one, phone[0], f"{exten}@agents/n", at)
    answer_after = pbx.phones.get(agent, 1.0)
    command = await control.wait(AGENT_RING_LIMIT if answer_after is None else answer_after)
    at = control.timeline.now
    if answer_after is None or command is not None:
        legs.fail(pbx, one, *phone, "CANCEL" if command else "NOANSWER", at)
        return _hang_up(pbx, (one, two), at)
    legs.answer(pbx, one, *phone, at)
    bridge = legs.bridge(pbx, phone[0], one, at)
    command = await control.wait(spec.talk_seconds)
    at = control.timeline.now
    if command is not None and command.channel in phone:  # the agent hangs up first
        legs.teardown(pbx, bridge, phone[0], one, at)
        pbx.hangup(two, at)
        return legs.end_agent_pair(pbx, *phone, at)
    pbx.hangup(two, at)  # the customer hangs up
    legs.teardown(pbx, bridge, one, phone[0], at)
    pbx.hangup(one, at)
    legs.end_agent_pair(pbx, *phone, at)


def _hang_up(pbx: Pbx, channels: tuple[Channel, ...], at: float) -> None:
    for channel in channels:
        if channel.name in pbx.state.channels:
            pbx.hangup(channel, at)
