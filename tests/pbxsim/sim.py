"""Helpers for scenario tests: a client that records everything it receives, and trace filters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.pbxsim.amiclient import FIXTURES, Msg, RawAmiClient, header, parse

# Events a CTI tracker reads (the list); Newstate and the IVR noise are left out.
CTI_EVENTS = {
    "Newchannel", "LocalBridge", "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
    "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "DialBegin", "DialEnd",
    "BridgeEnter", "BridgeLeave", "Hangup", "QueueMemberStatus", "QueueMemberPause", "QueueMemberAdded",
    "QueueMemberRemoved", "QueueMemberPenalty", "BlindTransfer", "AttendedTransfer", "MixMonitorStart",
    "MixMonitorStop", "MixMonitorMute", "LocalOptimizationBegin", "LocalOptimizationEnd",
    "OriginateResponse",
}  # fmt: skip
TIMEOUT = 5.0


def load_sent(scenario: str) -> list[Msg]:
    """Actions the recording client sent, in order."""
    body = (FIXTURES / f"{scenario}.sent.raw").read_bytes().decode("utf-8")
    return [parse(chunk) for chunk in body.split("\r\n\r\n") if chunk.strip()]


def cti(messages: list[Msg], names: set[str] = CTI_EVENTS) -> list[Msg]:
    """Live events (no ActionID) a tracker reads."""
    return [m for m in messages if header(m, "Event") in names and header(m, "ActionID") is None]


def names(messages: list[Msg]) -> list[str | None]:
    return [header(m, "Event") for m in messages]


class Recorder:
    """A logged-in raw client whose reader keeps every message, so tests can wait for one."""

    def __init__(self, client: RawAmiClient) -> None:
        self.client = client
        self.messages: list[Msg] = []
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.messages.extend(await self.client.login())
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                data = await self.client.reader.readuntil(b"\r\n\r\n")
                self.messages.append(parse(data.decode("utf-8")))
                self._changed.set()

    async def wait_for(self, match: Callable[[Msg], bool], count: int = 1, within: float = TIMEOUT) -> Msg:
        """The ``count``-th message matching, waiting for it ``within`` seconds."""
        async with asyncio.timeout(within):
            while True:
                found = [m for m in self.messages if match(m)]
                if len(found) >= count:
                    return found[count - 1]
                self._changed.clear()
                await self._changed.wait()

    async def event(self, name: str, count: int = 1, **fields: str) -> Msg:
        def match(m: Msg) -> bool:
            return header(m, "Event") == name and all(header(m, k) == v for k, v in fields.items())

        return await self.wait_for(match, count)

    async def action(self, *pairs: tuple[str, str], replies: int = 1) -> list[Msg]:
        """Send an action and return the first ``replies`` messages carrying its ActionID."""
        action_id = dict(pairs)["ActionID"]
        await self.client.send(*pairs)
        await self.wait_for(lambda m: header(m, "ActionID") == action_id, replies)
        return [m for m in self.messages if header(m, "ActionID") == action_id][:replies]

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@contextlib.asynccontextmanager
async def recording(server: AmiServer) -> AsyncIterator[Recorder]:
    client = await RawAmiClient.connect(server.port)
    recorder = Recorder(client)
    try:
        await recorder.start()
        yield recorder
    finally:
        await recorder.stop()
        await client.close()


def support_pbx(server: AmiServer, speed: float = 50, strategy: str = "rrmemory", agents: int = 2) -> Pbx:
    """The recorded PBX's queue: ``support`` with static members Agent 1001, 1002..."""
    pbx = Pbx(server, speed=speed)
    pbx.add_queue("support", strategy)
    pbx.add_members("support", [(f"Local/100{i}@agents/n", f"Agent 100{i}") for i in range(1, agents + 1)])
    return pbx
