"""What the simulated Asterisk knows right now: live channels, bridges, queues and their members.

The list actions (CoreShowChannels, QueueStatus, Status...) answer from here, so a CRM
that resynchronises after a reconnect sees exactly what is live, as on a real PBX.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Queue member Status values (AST_DEVICE_*): what the CRM shows as an agent's phone state.
IDLE, IN_USE, BUSY, UNAVAILABLE, RINGING = 1, 2, 3, 5, 6


@dataclass(eq=False)
class Channel:
    """What Asterisk reports in a channel block (``Channel`` ... ``Linkedid``) plus its live context."""

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
    created_at: float = 0.0
    application: str = ""
    app_data: str = ""
    bridge: Bridge | None = None
    owner: Any = None  # the scenario controlling this channel's call (pbxsim.control.CallControl)
    mixmonitor: bool = False

    @property
    def is_local(self) -> bool:
        return self.name.startswith("Local/")

    def sibling_name(self) -> str:
        """The other half of a Local pair (``;1`` <-> ``;2``)."""
        if self.name.endswith(";1"):
            return self.name[:-1] + "2"
        return self.name[:-1] + "1" if self.name.endswith(";2") else ""


@dataclass(eq=False)
class Bridge:
    uniqueid: str
    channels: list[Channel] = field(default_factory=list)

    @property
    def num_channels(self) -> int:
        return len(self.channels)


@dataclass(eq=False)
class QueueMember:
    """One membership, with the counters Asterisk reports in QueueMember* events."""

    queue: str
    interface: str
    name: str
    state_interface: str
    login_time: int
    membership: str = "static"
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    status: int = IDLE
    paused: bool = False
    paused_reason: str = ""
    ringinuse: bool = False
    in_call: bool = False


@dataclass(eq=False)
class Queue:
    """A queue's configuration and statistics (QueueParams / QueueSummary)."""

    name: str
    strategy: str = "rrmemory"
    timeout: float = 5.0
    retry: float = 1.0
    autopause: bool = True
    members: dict[str, QueueMember] = field(default_factory=dict)
    callers: list[Channel] = field(default_factory=list)
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0
    talktime: int = 0
    last_rung: str = ""  # rrmemory: the interface rung last

    def available(self) -> list[QueueMember]:
        """Members the queue may ring now: logged in, not paused, phone idle (ringinuse=no)."""
        return [m for m in self.members.values() if not m.paused and m.status == IDLE]

    def next_rrmemory(self) -> list[QueueMember]:
        """rrmemory: the first available member after the one rung last, wrapping around."""
        order = list(self.members)
        free = {m.interface for m in self.available()}
        if not free:
            return []
        start = order.index(self.last_rung) + 1 if self.last_rung in order else 0
        for offset in range(len(order)):
            interface = order[(start + offset) % len(order)]
            if interface in free:
                return [self.members[interface]]
        return []


@dataclass
class PbxState:
    """Everything live; scenarios and actions update it as they emit events."""

    channels: dict[str, Channel] = field(default_factory=dict)
    bridges: dict[str, Bridge] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)

    def find_channel(self, name: str) -> Channel | None:
        """Asterisk matches channel names case-insensitively, and a unique prefix is not enough."""
        found = self.channels.get(name)
        if found is not None:
            return found
        wanted = name.lower()
        return next((c for n, c in self.channels.items() if n.lower() == wanted), None)

    def members_for(self, interface: str) -> list[QueueMember]:
        return [q.members[interface] for q in self.queues.values() if interface in q.members]
