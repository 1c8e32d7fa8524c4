"""Header blocks Asterisk repeats across events: a channel snapshot, a bridge snapshot, a queue member.

Names and order are those of the recorded Asterisk 22 traces (s01, s05a, s07); the
CRM's tracker reads them, so a misspelt or reordered header here would hide a bug there.
"""

from __future__ import annotations

from collections.abc import Iterable

from pbxsim.ami_codec import Message
from pbxsim.state import Bridge, Channel, QueueMember

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}


def channel_block(channel: Channel, channelvars: Iterable[str], prefix: str = "") -> Message:
    block: Message = [
        (f"{prefix}Channel", channel.name),
        (f"{prefix}ChannelState", str(channel.state)),
        (f"{prefix}ChannelStateDesc", STATE_DESC.get(channel.state, "Unknown")),
        (f"{prefix}CallerIDNum", channel.caller_num),
        (f"{prefix}CallerIDName", channel.caller_name),
        (f"{prefix}ConnectedLineNum", channel.connected_num),
        (f"{prefix}ConnectedLineName", channel.connected_name),
        (f"{prefix}Language", "en"),
        (f"{prefix}AccountCode", ""),
        (f"{prefix}Context", channel.context),
        (f"{prefix}Exten", channel.exten),
        (f"{prefix}Priority", str(channel.priority)),
        (f"{prefix}Uniqueid", channel.uniqueid),
        (f"{prefix}Linkedid", channel.linkedid),
    ]
    for var in channelvars:
        block.append((f"{prefix}ChanVariable", f"{var}={channel.variables.get(var, '')}"))
    return block


def bridge_block(bridge: Bridge, num_channels: int | None = None) -> Message:
    count = bridge.num_channels if num_channels is None else num_channels
    return [
        ("BridgeUniqueid", bridge.uniqueid),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(count)),
        ("BridgeVideoSourceMode", "none"),
    ]


def _counters(member: QueueMember) -> Message:
    return [
        ("StateInterface", member.state_interface),
        ("Membership", member.membership),
        ("Penalty", str(member.penalty)),
        ("CallsTaken", str(member.calls_taken)),
        ("LastCall", str(member.last_call)),
        ("LastPause", str(member.last_pause)),
        ("LoginTime", str(member.login_time)),
        ("InCall", "1" if member.in_call else "0"),
        ("Status", str(member.status)),
        ("Paused", "1" if member.paused else "0"),
        ("PausedReason", member.paused_reason),
    ]


def member_event_block(member: QueueMember) -> Message:
    """Body of QueueMemberStatus/Added/Removed/Pause/Penalty/Ringinuse."""
    head: Message = [("Queue", member.queue), ("MemberName", member.name), ("Interface", member.interface)]
    tail: Message = [("Ringinuse", "1" if member.ringinuse else "0"), ("Wrapuptime", "0")]
    return head + _counters(member) + tail


def member_list_item(member: QueueMember) -> Message:
    """A QueueStatus ``QueueMember`` item: Name/Location instead of MemberName/Interface, no Ringinuse."""
    head: Message = [("Queue", member.queue), ("Name", member.name), ("Location", member.interface)]
    return head + _counters(member) + [("Wrapuptime", "0")]
