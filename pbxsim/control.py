"""How AMI actions reach a playing call: they post a command, the scenario takes it at its next wait.

A real PBX runs the dialplan and the bridge in parallel with the manager; here each call
is one coroutine, so a Hangup or BlindTransfer action is queued to it and the events it
causes come after the action's response, as they do on Asterisk.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pbxsim.pbx import Pbx, Timeline
from pbxsim.state import Channel


@dataclass(frozen=True)
class Command:
    """``kind``: hangup, blind, redirect or atxfer; ``channel`` is the one the action named."""

    kind: str
    channel: Channel
    context: str = ""
    exten: str = ""


@dataclass(eq=False)
class CallControl:
    pbx: Pbx
    timeline: Timeline
    commands: asyncio.Queue[Command] = field(default_factory=asyncio.Queue)

    def own(self, *channels: Channel) -> None:
        """Route actions on these channels to this call."""
        for channel in channels:
            channel.owner = self

    def post(self, command: Command) -> None:
        self.commands.put_nowait(command)

    async def wait(self, seconds: float) -> Command | None:
        """Wait ``seconds`` of simulated time, or less if a command arrives (it is returned)."""
        if not self.commands.empty():
            return self.commands.get_nowait()
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            command = await asyncio.wait_for(self.commands.get(), max(seconds, 0) / self.pbx.speed)
        except TimeoutError:
            self.timeline.advance(seconds)
            return None
        self.timeline.advance(min(seconds, (loop.time() - started) * self.pbx.speed))
        return command
