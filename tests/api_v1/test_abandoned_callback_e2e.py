"""End to end over real sockets: a caller gives up in the queue, a callback appears, the agent is
offered it through /api/v1 and accepts it, the PBX is asked to dial it (the simulator sees the
Originate: the agent's phone first, then the customer); a second agent can no longer take it."""

from __future__ import annotations

import aiohttp

from callcenter.service import Service
from crm_core.callbacks.service import CallbackService
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD, eventually
from tests.signin import sign_in


async def _signed_in(base: str, login: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=30)
    )
    await sign_in(http, base, login, PASSWORD)
    return http


async def test_given_abandoned_queue_call_then_callback_offered_accepted_once_and_dialled(
    service: Service, ami: AmiServer, pbx: Pbx, open_console
) -> None:
    callbacks = service.crm.callbacks  # wired by the composition root (the window is all day in tests)
    cid = await service.customers.create("赵敏", ["13800138000"])
    await open_console("agent1001")
    await queue_call(
        pbx, "13800138000", "赵敏", "support", "Local/1001@agents/n", member_name="Agent 1001",
        wait_seconds=1, ring_seconds=1, answer=False,
    )  # fmt: skip
    await service.bus.drain()
    await eventually(lambda: _count(callbacks), within=10)
    base = f"http://127.0.0.1:{service.web_port}"
    first, second = await _signed_in(base, "agent1001"), await _signed_in(base, "agent1002")
    try:
        async with first.get(f"{base}/api/v1/callbacks/next") as resp:
            offered = (await resp.json())["callback"]
        assert offered is not None and offered["customer_id"] == cid and offered["source"] == "abandoned"
        assert offered["number"] == "+8613800138000" and offered["queue"] == "support"
        async with first.post(f"{base}/api/v1/callbacks/{offered['id']}/accept") as resp:
            accepted = await resp.json()
            assert resp.status == 200 and accepted["status"] == "accepted"
        originate = await _originate_seen(ami, accepted["call_id"])
        assert originate["Channel"] == "Local/1001@agents/n"  # the agent's phone rings first
        assert originate["Exten"] == "+8613800138000"  # then the customer is dialled
        async with second.post(f"{base}/api/v1/callbacks/{offered['id']}/accept") as resp:
            assert resp.status == 409
        async with first.post(
            f"{base}/api/v1/callbacks/{offered['id']}/attempts", json={"outcome": "answered"}
        ) as resp:
            assert (await resp.json())["status"] == "done"
    finally:
        await first.close()
        await second.close()


async def _originate_seen(ami: AmiServer, call_id: str) -> dict[str, str]:
    def sent() -> list[dict[str, str]]:
        return [
            a
            for a in ami.received_actions
            if a.get("Action") == "Originate" and a.get("ChannelId") == call_id
        ]

    await eventually(lambda: bool(sent()), within=5)
    return sent()[0]


async def _count(callbacks: CallbackService) -> bool:
    return (await callbacks.list())[1] == 1
