"""A small PBX model: channels, Local pairs, bridges, queue members, and the AMI events they cause.

Field names and order are copied from the recorded s01_inbound_answered trace; the
CRM's tracker reads these events, so a misspelt or reordered header here would hide
a bug there.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from pbxsim.ami_codec import Message
from pbxsim.ami_server import AmiServer

STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up"}
CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing"}
CALL = "call,all"
AGENT = "agent,all"


@dataclass
class Channel:
    """What Asterisk reports in a channel block (``Channel`` ... ``Linkedid``)."""

    name: str
    uniqueid: str
    linkedid: str
    context: str
    exten: str
    state: int = 0
    priority: int = 1
    caller_num: str = "<unknown>"
    caller_name: str = "<unknown>"
    connected_num: str = "<unknown>"
    connected_name: str = "<unknown>"
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Bridge:
    uniqueid: str
    num_channels: int = 0


@dataclass
class QueueMember:
    """Counters Asterisk reports in QueueMemberStatus."""

    queue: str
    interface: str
    name: str
    state_interface: str
    login_time: int
    calls_taken: int = 0
    last_call: int = 0


class Timeline:
    """Simulated time of one call: starts at the PBX's simulated now, advances by nominal seconds.

    Event timestamps come from here, so durations computed from them equal the
    scenario's durations exactly, whatever the playback speed.
    """

    def __init__(self, pbx: Pbx) -> None:
        self._pbx = pbx
        self.now = pbx.now()

    async def wait(self, seconds: float) -> None:
        await self._pbx.sleep(seconds)
        self.now += seconds


class Pbx:
    """Owns ids, queues and members of one simulated Asterisk, and emits events through its AMI server."""

    def __init__(self, server: AmiServer, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.server = server
        self.speed = speed
        self._base = server.clock()
        self._sequence = itertools.count()
        self._local_ids = itertools.count()
        self.queues: dict[str, list[Channel]] = {}
        self.members: dict[tuple[str, str], QueueMember] = {}

    def now(self) -> float:
        """Simulated epoch time: the injected clock, with elapsed time scaled by ``speed``."""
        return self._base + (self.server.clock() - self._base) * self.speed

    async def sleep(self, nominal_seconds: float) -> None:
        await asyncio.sleep(nominal_seconds / self.speed)

    def timeline(self) -> Timeline:
        return Timeline(self)

    def new_uniqueid(self, at: float) -> str:
        return f"{int(at)}.{next(self._sequence)}"

    def new_local_pair(
        self, exten: str, context: str, at: float, linkedid: str | None = None
    ) -> tuple[Channel, Channel]:
        """Both halves of ``Local/exten@context-XXXXXXXX``; the ;1 half starts Down, the ;2 half Ring."""
        base = f"Local/{exten}@{context}-{next(self._local_ids):08x}"
        one_id = self.new_uniqueid(at)
        linked = linkedid or one_id
        one = Channel(f"{base};1", one_id, linked, context, exten, state=0)
        two = Channel(f"{base};2", self.new_uniqueid(at), linked, context, exten, state=4)
        return one, two

    def member(self, queue: str, interface: str, name: str) -> QueueMember:
        key = (queue, interface)
        if key not in self.members:
            self.members[key] = QueueMember(queue, interface, name or interface, interface, int(self._base))
        return self.members[key]

    def channel_block(self, channel: Channel, prefix: str = "") -> Message:
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
        for var in self.server.channelvars:
            block.append((f"{prefix}ChanVariable", f"{var}={channel.variables.get(var, '')}"))
        return block

    def emit(self, event: str, privilege: str, at: float, *parts: Message) -> None:
        pairs: Message = [("Event", event), ("Privilege", privilege)]
        for part in parts:
            pairs.extend(part)
        self.server.send_event(pairs, timestamp=at)

    # Channel lifecycle events -------------------------------------------------

    def newchannel(self, channel: Channel, at: float) -> None:
        self.emit("Newchannel", CALL, at, self.channel_block(channel))

    def newstate(self, channel: Channel, state: int, at: float) -> None:
        channel.state = state
        self.emit("Newstate", CALL, at, self.channel_block(channel))

    def hangup(self, channel: Channel, at: float, cause: int = 16) -> None:
        cause_pairs = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        self.emit("Hangup", CALL, at, self.channel_block(channel), cause_pairs)

    def local_bridge(self, one: Channel, two: Channel, at: float, optimization: bool) -> None:
        tail = [("Context", two.context), ("Exten", two.exten)]
        tail.append(("LocalOptimization", "Yes" if optimization else "No"))
        self.emit(
            "LocalBridge",
            CALL,
            at,
            self.channel_block(one, "LocalOne"),
            self.channel_block(two, "LocalTwo"),
            tail,
        )

    def dial_begin(self, caller: Channel | None, dest: Channel, dialstring: str, at: float) -> None:
        """Without a caller (an originated call) Asterisk sends only the Dest block."""
        source = self.channel_block(caller) if caller else []
        self.emit(
            "DialBegin", CALL, at, source, self.channel_block(dest, "Dest"), [("DialString", dialstring)]
        )

    def dial_end(self, caller: Channel | None, dest: Channel, status: str, at: float) -> None:
        source = self.channel_block(caller) if caller else []
        self.emit("DialEnd", CALL, at, source, self.channel_block(dest, "Dest"), [("DialStatus", status)])

    # Bridges ------------------------------------------------------------------

    def new_bridge(self, at: float) -> Bridge:
        bridge = Bridge(str(uuid.uuid4()))
        self.emit("BridgeCreate", CALL, at, self._bridge_block(bridge))
        return bridge

    def bridge_enter(self, bridge: Bridge, channel: Channel, at: float) -> None:
        bridge.num_channels += 1
        self.emit("BridgeEnter", CALL, at, self._bridge_block(bridge), self.channel_block(channel))

    def bridge_leave(self, bridge: Bridge, channel: Channel, at: float) -> None:
        bridge.num_channels -= 1
        self.emit("BridgeLeave", CALL, at, self._bridge_block(bridge), self.channel_block(channel))

    def bridge_destroy(self, bridge: Bridge, at: float) -> None:
        self.emit("BridgeDestroy", CALL, at, self._bridge_block(bridge))

    @staticmethod
    def _bridge_block(bridge: Bridge) -> Message:
        return [
            ("BridgeUniqueid", bridge.uniqueid),
            ("BridgeType", "basic"),
            ("BridgeTechnology", "simple_bridge"),
            ("BridgeCreator", "<unknown>"),
            ("BridgeName", "<unknown>"),
            ("BridgeNumChannels", str(bridge.num_channels)),
            ("BridgeVideoSourceMode", "none"),
        ]

    # Queues -------------------------------------------------------------------

    def queue_member_status(self, member: QueueMember, status: int, at: float) -> None:
        """Status: 1 idle, 2 in use, 5 unavailable, 6 ringing."""
        self.emit(
            "QueueMemberStatus",
            AGENT,
            at,
            [
                ("Queue", member.queue),
                ("MemberName", member.name),
                ("Interface", member.interface),
                ("StateInterface", member.state_interface),
                ("Membership", "static"),
                ("Penalty", "0"),
                ("CallsTaken", str(member.calls_taken)),
                ("LastCall", str(member.last_call)),
                ("LastPause", "0"),
                ("LoginTime", str(member.login_time)),
                ("InCall", "0"),
                ("Status", str(status)),
                ("Paused", "0"),
                ("PausedReason", ""),
                ("Ringinuse", "0"),
                ("Wrapuptime", "0"),
            ],
        )
