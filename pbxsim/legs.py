"""Building blocks shared by non-queue scenarios: a Local pair dialled, answered, bridged, torn down.

Orders follow s04b (a transfer dialling the next agent) and s05a (click-to-dial).
"""

from __future__ import annotations

from collections.abc import Mapping

from pbxsim.pbx import Pbx
from pbxsim.state import IDLE, IN_USE, RINGING, Bridge, Channel


def new_pair(
    pbx: Pbx,
    exten: str,
    context: str,
    at: float,
    linkedid: str | None,
    caller: tuple[str, str],
    variables: Mapping[str, str],
    ids: tuple[str, str] = ("", ""),
    optimize: bool = False,
) -> tuple[Channel, Channel]:
    """Newchannel for both halves (caller id still unknown), then LocalBridge with it set."""
    one, two = pbx.new_local_pair(exten, context, at, linkedid=linkedid, ids=ids)
    for channel in (one, two):
        pbx.newchannel(channel, at)
    for channel in (one, two):
        channel.caller_num = channel.connected_num = caller[0]
        channel.caller_name = channel.connected_name = caller[1]
        channel.variables = variables
    pbx.local_bridge(one, two, at, optimization=optimize)
    return one, two


def agent_interface(exten: str) -> str:
    return f"Local/{exten}@agents/n"


def ring(pbx: Pbx, caller: Channel | None, one: Channel, dialstring: str, at: float) -> None:
    """DialBegin, the callee rings; an agent's phone ringing shows in every queue it serves."""
    pbx.dial_begin(caller, one, dialstring, at)
    pbx.newstate(one, 5, at)
    if one.context == "agents":
        pbx.device_status(agent_interface(one.exten), RINGING, at)


def answer(pbx: Pbx, caller: Channel | None, one: Channel, two: Channel, at: float) -> None:
    if one.context == "agents":
        pbx.device_status(agent_interface(one.exten), IN_USE, at)
    pbx.newstate(two, 6, at)
    pbx.newstate(one, 6, at)
    pbx.dial_end(caller, one, "ANSWER", at)
    one.application, one.app_data = "AppDial", "(Outgoing Line)"


def fail(pbx: Pbx, caller: Channel | None, one: Channel, two: Channel, status: str, at: float) -> None:
    """The dial ends without an answer (NOANSWER, BUSY, CANCEL): both halves hang up."""
    pbx.dial_end(caller, one, status, at)
    cause = 17 if status == "BUSY" else 0
    pbx.hangup(one, at, cause=cause)
    if one.context == "agents":
        pbx.device_status(agent_interface(one.exten), IDLE, at)
    pbx.hangup(two, at, cause=cause)


def bridge(pbx: Pbx, first: Channel, second: Channel, at: float) -> Bridge:
    created = pbx.new_bridge(at)
    pbx.bridge_enter(created, first, at)
    pbx.bridge_enter(created, second, at)
    return created


def teardown(pbx: Pbx, bridge_: Bridge, gone: Channel, other: Channel, at: float) -> None:
    """``gone`` hung up: both leave the bridge, the bridge goes, ``other`` is hung up too."""
    pbx.bridge_leave(bridge_, gone, at)
    pbx.bridge_leave(bridge_, other, at)
    pbx.bridge_destroy(bridge_, at)
    pbx.hangup(other, at)


def end_agent_pair(pbx: Pbx, one: Channel, two: Channel, at: float) -> None:
    """An agent's Local pair ends: ;1 (if still up), the phone idle again, then ;2."""
    if one.name in pbx.state.channels:
        pbx.hangup(one, at)
    if one.context == "agents":
        pbx.device_status(agent_interface(one.exten), IDLE, at)
    pbx.hangup(two, at)
