"""A small PBX model: ids, simulated time, and the AMI events that channel, bridge and queue changes cause.

Every change goes through here so that the live state (``Pbx.state``) always matches the
events sent: the list actions answer from that state, exactly as a real Asterisk would.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterable

from pbxsim.ami_codec import Message
from pbxsim.ami_server import AmiServer
from pbxsim.blocks import bridge_block, channel_block, member_event_block
from pbxsim.state import IDLE, Bridge, Channel, PbxState, Queue, QueueMember

CAUSE_TEXT = {0: "Unknown", 16: "Normal Clearing", 17: "User busy", 19: "No user responding"}
CAUSE_TEXT[34] = "Circuit/channel congestion"
CALL = "call,all"
AGENT = "agent,all"

__all__ = ["AGENT", "CALL", "Bridge", "CallLost", "Channel", "Pbx", "QueueMember", "Timeline"]


class CallLost(Exception):
    """The PBX restarted while a call was playing: its channels are gone, the scenario stops."""


class Timeline:
    """Simulated time of one call: starts at the PBX's simulated now, advances by nominal seconds.

    Event timestamps come from here, so durations computed from them equal the
    scenario's durations exactly, whatever the playback speed.
    """

    def __init__(self, pbx: Pbx) -> None:
        self._pbx = pbx
        self.now = pbx.now()
        self.epoch = pbx.epoch

    async def wait(self, seconds: float) -> None:
        await self._pbx.sleep(seconds)
        self.now += seconds
        self.check()

    def advance(self, seconds: float) -> None:
        """Account for ``seconds`` already waited elsewhere (e.g. while waiting for an action)."""
        self.now += seconds
        self.check()

    def check(self) -> None:
        if self._pbx.epoch != self.epoch:
            raise CallLost("PBX restarted")


class Pbx:
    """Owns ids and live state of one simulated Asterisk, and emits events through its AMI server."""

    def __init__(self, server: AmiServer, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.server = server
        self.speed = speed
        self._base = server.clock()
        self.state = PbxState()
        self.phones: dict[str, float | None] = {}  # interface -> seconds to answer; None never answers
        # Outbound numbers dialled by Originate (progressive campaigns): number -> "answer" (default),
        # "no_answer", "busy", "congestion" or "unreachable" (no channel at all: OriginateResponse Reason 0).
        self.outbound: dict[str, str] = {}
        self.epoch = 0
        self._reset_ids()
        server.add_restart_hook(self._on_restart)
        from pbxsim.actions import install  # actions need a Pbx; imported here to avoid a cycle

        install(server, self)

    def _reset_ids(self) -> None:
        self._sequence = itertools.count()
        self._local_ids = itertools.count()
        self._device_ids = itertools.count(1)

    def _on_restart(self) -> None:
        """Asterisk restarted: no channel survives, dynamic members are gone (persistentmembers=no)."""
        self.epoch += 1
        self._reset_ids()
        self.state.channels.clear()
        self.state.bridges.clear()
        boot = int(self.server.clock())
        for queue in self.state.queues.values():
            queue.callers.clear()
            for interface, member in list(queue.members.items()):
                if member.membership == "dynamic":
                    del queue.members[interface]
                    continue
                queue.members[interface] = QueueMember(
                    queue.name, interface, member.name, member.state_interface, boot, penalty=member.penalty
                )

    # Time and ids -------------------------------------------------------------

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
        self,
        exten: str,
        context: str,
        at: float,
        linkedid: str | None = None,
        ids: tuple[str, str] = ("", ""),
    ) -> tuple[Channel, Channel]:
        """Both halves of ``Local/exten@context-XXXXXXXX``; the ;1 half starts Down, the ;2 half Ring.

        ``ids`` are the Originate's ChannelId/OtherChannelId when the client chose them.
        """
        base = f"Local/{exten}@{context}-{next(self._local_ids):08x}"
        one_id = ids[0] or self.new_uniqueid(at)
        two_id = ids[1] or self.new_uniqueid(at)
        linked = linkedid or one_id
        one = Channel(f"{base};1", one_id, linked, context, exten, state=0, created_at=at)
        two = Channel(f"{base};2", two_id, linked, context, exten, state=4, created_at=at)
        return one, two

    def new_device_channel(self, device: str, context: str, exten: str, at: float, linkedid: str) -> Channel:
        """A phone's channel, e.g. ``PJSIP/1001-00000001``, created Down by a Dial."""
        name = f"{device}-{next(self._device_ids):08x}"
        return Channel(name, self.new_uniqueid(at), linkedid, context, exten, state=0, created_at=at)

    # Queues -------------------------------------------------------------------

    def add_queue(self, name: str, strategy: str = "rrmemory", **options: float | bool) -> Queue:
        queue = Queue(name, strategy, **options)  # type: ignore[arg-type]
        self.state.queues[name] = queue
        return queue

    def queue(self, name: str) -> Queue:
        """The queue, created with the recorded PBX's settings the first time a scenario uses it."""
        return self.state.queues.get(name) or self.add_queue(name)

    def member(self, queue: str, interface: str, name: str = "", state_interface: str = "") -> QueueMember:
        """A static member (as in queues.conf), added the first time it is referenced."""
        q = self.queue(queue)
        if interface not in q.members:
            device = state_interface or _default_state_interface(interface)
            q.members[interface] = QueueMember(queue, interface, name or interface, device, int(self._base))
        return q.members[interface]

    def add_members(self, queue: str, members: Iterable[tuple[str, str]]) -> None:
        for interface, name in members:
            self.member(queue, interface, name)

    # Events -------------------------------------------------------------------

    def channel_block(self, channel: Channel, prefix: str = "") -> Message:
        return channel_block(channel, self.server.channelvars, prefix)

    def emit(self, event: str, privilege: str, at: float, *parts: Message) -> None:
        pairs: Message = [("Event", event), ("Privilege", privilege)]
        for part in parts:
            pairs.extend(part)
        self.server.send_event(pairs, timestamp=at)

    def newchannel(self, channel: Channel, at: float) -> None:
        channel.created_at = at
        self.state.channels[channel.name] = channel
        self.emit("Newchannel", CALL, at, self.channel_block(channel))

    def newstate(self, channel: Channel, state: int, at: float) -> None:
        channel.state = state
        self.emit("Newstate", CALL, at, self.channel_block(channel))

    def hangup(self, channel: Channel, at: float, cause: int = 16) -> None:
        self.state.channels.pop(channel.name, None)
        cause_pairs = [("Cause", str(cause)), ("Cause-txt", CAUSE_TEXT.get(cause, "Unknown"))]
        self.emit("Hangup", CALL, at, self.channel_block(channel), cause_pairs)

    def local_bridge(self, one: Channel, two: Channel, at: float, optimization: bool) -> None:
        tail = [("Context", two.context), ("Exten", two.exten)]
        tail.append(("LocalOptimization", "Yes" if optimization else "No"))
        blocks = (self.channel_block(one, "LocalOne"), self.channel_block(two, "LocalTwo"))
        self.emit("LocalBridge", CALL, at, *blocks, tail)

    def dial_begin(self, caller: Channel | None, dest: Channel, dialstring: str, at: float) -> None:
        """Without a caller (an originated call) Asterisk sends only the Dest block."""
        source = self.channel_block(caller) if caller else []
        dial = [("DialString", dialstring)]
        self.emit("DialBegin", CALL, at, source, self.channel_block(dest, "Dest"), dial)

    def dial_end(self, caller: Channel | None, dest: Channel, status: str, at: float) -> None:
        source = self.channel_block(caller) if caller else []
        self.emit("DialEnd", CALL, at, source, self.channel_block(dest, "Dest"), [("DialStatus", status)])

    def new_bridge(self, at: float) -> Bridge:
        bridge = Bridge(str(uuid.uuid4()))
        self.state.bridges[bridge.uniqueid] = bridge
        self.emit("BridgeCreate", CALL, at, bridge_block(bridge))
        return bridge

    def bridge_enter(self, bridge: Bridge, channel: Channel, at: float, swap: Channel | None = None) -> None:
        bridge.channels.append(channel)
        channel.bridge = bridge
        tail = [("SwapUniqueid", swap.uniqueid)] if swap else []
        self.emit("BridgeEnter", CALL, at, bridge_block(bridge), self.channel_block(channel), tail)

    def bridge_leave(self, bridge: Bridge, channel: Channel, at: float) -> None:
        if channel in bridge.channels:
            bridge.channels.remove(channel)
        channel.bridge = None
        self.emit("BridgeLeave", CALL, at, bridge_block(bridge), self.channel_block(channel))

    def bridge_destroy(self, bridge: Bridge, at: float) -> None:
        self.state.bridges.pop(bridge.uniqueid, None)
        self.emit("BridgeDestroy", CALL, at, bridge_block(bridge))

    def member_event(self, event: str, member: QueueMember, at: float) -> None:
        self.emit(event, AGENT, at, member_event_block(member))

    def queue_member_status(self, member: QueueMember, status: int, at: float) -> None:
        """Status: 1 idle, 2 in use, 5 unavailable, 6 ringing (from the member's device state)."""
        member.status = status
        self.member_event("QueueMemberStatus", member, at)

    def device_status(self, interface: str, status: int, at: float) -> None:
        """The agent's phone changed state: every queue the agent is a member of reports it."""
        for member in self.state.members_for(interface):
            self.queue_member_status(member, status, at)

    def call_completed(self, member: QueueMember, at: float) -> None:
        for each in self.state.members_for(member.interface):  # shared_lastcall = yes
            each.last_call = int(at)
        member.calls_taken += 1
        self.queue_member_status(member, IDLE, at)


def _default_state_interface(interface: str) -> str:
    """``Local/1001@agents/n`` -> ``Custom:agent1001``, the recorded PBX's convention."""
    if interface.startswith("Local/"):
        return f"Custom:agent{interface.removeprefix('Local/').split('@', 1)[0]}"
    return interface
