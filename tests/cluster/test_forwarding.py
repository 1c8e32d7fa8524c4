"""Telephony actions asked on an instance without the PBX are done by the owner, once, or answered.

Two "instances" in this process, each with its own Forwarder and RequestServer on the real
Redis: "a" holds a real PBX adapter linked to the simulated Asterisk, "b" an adapter that
never links (as on a standby). What b's consoles ask must reach the PBX through a, come back
with a's refusal codes, never run twice, and fail promptly when nobody holds the PBX.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from callcenter.cluster.executor import RequestServer
from callcenter.cluster.forwarding import Forwarder, ForwardingTelephony, ready_key, requests_key
from crm_core.ports import TelephonyError
from cti.pbx_adapter import PbxAdapter
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.polling import eventually

SECRET, PBX = "forward-secret", "test"
AGENT = "Local/1001@agents/n"
TIMEOUT, POLL = 1.0, 0.1


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    server = AmiServer("crm", SECRET, timestampevents=True)
    await server.start()
    simulated = Pbx(server, speed=20.0)
    simulated.add_queue("support", "rrmemory")
    simulated.add_members("support", [(AGENT, "Agent 1001")])
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Side:
    """One instance's view of the PBX: its adapter, what its consoles act through, its server."""

    adapter: PbxAdapter
    telephony: ForwardingTelephony
    server: RequestServer
    forwarder: Forwarder


@pytest.fixture
async def sides(ami: AmiServer, redis: Any, namespace: str) -> AsyncIterator[dict[str, Side]]:
    def key(*parts: str) -> str:
        return ":".join((namespace, *parts))

    made: dict[str, Side] = {}
    for name in ("a", "b"):
        adapter = PbxAdapter(
            PBX,
            lambda _e: None,
            host="127.0.0.1",
            port=ami.port,
            username="crm",
            secret=SECRET,
            backoff_max=0.5,
        )
        forwarder = Forwarder(redis, key, name, TIMEOUT, POLL)
        server = RequestServer(redis, key, name, PBX, adapter, poll=POLL, ready_seconds=0.5)
        made[name] = Side(adapter, forwarder.wrap(PBX, adapter), server, forwarder)
    await made["a"].adapter.start()  # only a links: it is the owner
    await eventually(lambda: made["a"].adapter.connected)
    for side in made.values():
        await side.server.start()
        await side.forwarder.start()
    try:
        yield made
    finally:
        for side in made.values():
            await side.server.stop()
            await side.forwarder.stop()
            await side.adapter.stop()


def originates(ami: AmiServer, call_id: str) -> list[dict[str, str]]:
    return [
        a for a in ami.received_actions if a.get("Action") == "Originate" and a.get("ChannelId") == call_id
    ]


async def test_a_click_to_dial_on_the_instance_without_the_pbx_is_placed_by_the_owner(
    sides: dict[str, Side], ami: AmiServer
) -> None:
    b = sides["b"]
    await eventually(lambda: b.telephony.connected, within=2.0)  # reachable from b, though not linked there
    assert not b.adapter.connected and sides["a"].telephony.connected

    started = time.monotonic()
    await b.telephony.originate(AGENT, "13800000009", "c2d-forwarded-1")
    print(f"\nforwarded originate answered in {(time.monotonic() - started) * 1000:.1f} ms")

    assert len(originates(ami, "c2d-forwarded-1")) == 1
    assert sides["a"].server.served == 1 and b.server.served == 0


async def test_the_owners_refusal_comes_back_with_its_code(sides: dict[str, Side], ami: AmiServer) -> None:
    b = sides["b"]
    await eventually(lambda: b.telephony.connected, within=2.0)
    expected: list[tuple[Callable[[], Any], str]] = [
        (lambda: b.telephony.hangup("no-such-call"), "not_found"),  # the owner's tracker knows no such call
        (lambda: b.telephony.originate(AGENT, "138;hangup", "c2d-bad"), "invalid"),  # cti.actions, on a
        (lambda: b.telephony.logout("Local/1999@agents/n", "support"), "refused"),  # the PBX said Error
    ]
    for act, code in expected:
        with pytest.raises(TelephonyError) as refused:
            await act()
        assert refused.value.code == code
    assert sides["a"].server.served == 3
    assert not originates(ami, "c2d-bad")


async def test_only_whitelisted_methods_with_the_ports_parameters_are_run(
    sides: dict[str, Side], redis: Any, namespace: str
) -> None:
    await eventually(lambda: sides["b"].telephony.connected, within=2.0)
    queue = requests_key(lambda *p: ":".join((namespace, *p)), PBX)
    reply = f"{namespace}:reply:raw"
    deadline = round((time.time() + 30) * 1000)
    for method, args in [
        ("stop", {}),  # the adapter's own method, not the port's
        ("originate_campaign", {"number": "1", "agent_interface": AGENT, "call_id": "x"}),  # owner-only
        ("originate", {"agent_interface": AGENT, "number": "1", "call_id": "x", "extra": "1"}),
        ("originate", {"agent_interface": [AGENT], "number": "1", "call_id": "x"}),
    ]:
        await redis.rpush(queue, json.dumps({"id": "r", "m": method, "a": args, "r": reply, "exp": deadline}))
        got = await redis.blpop([reply], timeout=2)
        assert got is not None and json.loads(got[1])["code"] == "invalid", method
    assert sides["a"].adapter.connected  # "stop" was not run


async def test_with_no_live_owner_the_request_is_withdrawn_and_answered_not_connected(
    sides: dict[str, Side], redis: Any, namespace: str, ami: AmiServer
) -> None:
    b, key = sides["b"], (lambda *p: ":".join((namespace, *p)))
    await sides["a"].server.stop()  # a no longer serves: its ready marker goes
    await eventually(lambda: not b.telephony.connected, within=2.0)
    with pytest.raises(TelephonyError) as nobody:  # nobody linked: refused at once, nothing sent
        await b.telephony.set_paused(AGENT, True)
    assert nobody.value.code == "not_connected"

    # an owner that died a moment ago: its marker is still fresh, but nobody pops the list
    await redis.set(ready_key(key, PBX), "ghost", px=10_000)
    await eventually(lambda: b.telephony.connected, within=2.0)
    started = time.monotonic()
    with pytest.raises(TelephonyError) as withdrawn:
        await b.telephony.originate(AGENT, "13800000010", "c2d-never")
    assert withdrawn.value.code == "not_connected"  # nothing was done: safe to retry (503)
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 2.0
    assert await redis.llen(requests_key(key, PBX)) == 0  # taken back: no later owner will place it

    await redis.delete(ready_key(key, PBX))
    await sides["a"].server.start()  # a serves again: the withdrawn originate is not placed
    await eventually(lambda: b.telephony.connected, within=2.0)
    await b.telephony.originate(AGENT, "13800000011", "c2d-after")
    assert originates(ami, "c2d-never") == [] and len(originates(ami, "c2d-after")) == 1


async def test_a_request_taken_but_not_answered_is_a_timeout_and_is_never_sent_again(
    sides: dict[str, Side], redis: Any, namespace: str
) -> None:
    b, key = sides["b"], (lambda *p: ":".join((namespace, *p)))
    await sides["a"].server.stop()
    await redis.set(ready_key(key, PBX), "stuck", px=10_000)  # an owner that pops and then hangs
    await eventually(lambda: b.telephony.connected, within=2.0)
    calling = asyncio.create_task(b.telephony.originate(AGENT, "13800000012", "c2d-stuck"))
    taken = await redis.blpop([requests_key(key, PBX)], timeout=2)
    assert taken is not None and json.loads(taken[1])["m"] == "originate"
    with pytest.raises(TelephonyError) as unknown:
        await calling
    assert unknown.value.code == "timeout"  # it may have been placed: 504, not a retry
    assert await redis.llen(requests_key(key, PBX)) == 0


async def test_end_of_wrap_up_is_sent_to_the_owner_without_waiting(sides: dict[str, Side]) -> None:
    b = sides["b"]
    await eventually(lambda: b.telephony.connected, within=2.0)
    b.telephony.end_wrap_up(AGENT)  # synchronous in the port: returns at once
    await eventually(lambda: sides["a"].server.served == 1, within=2.0)


async def test_the_campaign_dialer_never_dials_through_another_instance(
    sides: dict[str, Side], ami: AmiServer
) -> None:
    b = sides["b"]
    await eventually(lambda: b.telephony.connected, within=2.0)
    with pytest.raises(TelephonyError) as local_only:
        await b.telephony.originate_campaign("13800000013", AGENT, "cmp-x")
    assert local_only.value.code == "not_connected"
    assert originates(ami, "cmp-x") == []


async def test_a_caller_that_gives_up_first_takes_its_request_back(
    sides: dict[str, Side], redis: Any, namespace: str
) -> None:
    b, key = sides["b"], (lambda *p: ":".join((namespace, *p)))
    await sides["a"].server.stop()
    await redis.set(ready_key(key, PBX), "ghost", px=10_000)
    await eventually(lambda: b.telephony.connected, within=2.0)
    with pytest.raises(TimeoutError):  # e.g. the mute controller's own confirmation timeout
        await asyncio.wait_for(b.telephony.recording_mute("c-1", True), TIMEOUT / 4)
    await eventually(lambda: _empty(redis, requests_key(key, PBX)), within=2.0)


async def _empty(redis: Any, queue: str) -> bool:
    return await redis.llen(queue) == 0
