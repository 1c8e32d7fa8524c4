"""The real service on real sockets against the simulated Asterisk, with signed-in HTTP clients."""

from __future__ import annotations

import asyncio
from typing import Any

from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, Console, ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)
from tests.signin import Client, client  # noqa: F401  (shared fixture)

AGENT_1001, AGENT_1002 = "Local/1001@agents/n", "Local/1002@agents/n"


def sent(ami: AmiServer, action: str) -> list[dict[str, str]]:  # noqa: F811
    """The AMI actions of that name the simulated PBX received, in order."""
    return [a for a in ami.received_actions if a.get("Action", "").lower() == action.lower()]


def not_pings(ami: AmiServer) -> list[dict[str, str]]:  # noqa: F811
    return [a for a in ami.received_actions if a.get("Action", "").lower() != "ping"]


def answered_call(pbx: Pbx, agent: str = AGENT_1001, talk: float = 60.0) -> asyncio.Task[Any]:  # noqa: F811
    """A queue call from 139 1234 5678 that `agent` answers and talks on for `talk` seconds."""
    return asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", agent, member_name="Agent",
                   wait_seconds=1, ring_seconds=1, talk_seconds=talk)
    )  # fmt: skip


async def talking(console: Console) -> dict[str, Any]:
    """Wait until the agent answered; their pop."""
    pop = await console.wait_for(lambda m: m["type"] == "pop", within=10)
    await console.wait_for(lambda m: m.get("pop_id") == pop["pop_id"] and m.get("state") == "answered", 10)
    return pop


async def finish(call: asyncio.Task[Any]) -> None:
    call.cancel()
    await asyncio.gather(call, return_exceptions=True)
