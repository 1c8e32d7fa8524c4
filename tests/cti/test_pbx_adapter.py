"""A PBX adapter fed by a fake Asterisk replaying a real trace, publishing on the real bus."""

from __future__ import annotations

import asyncio

import pytest

from crm_core.bus import EventBus
from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, PbxLinkChanged
from crm_core.ports import Telephony, TelephonyError
from cti.pbx_adapter import PbxAdapter
from tests.cti.amitrace import FIXTURES
from tests.cti.fake_ami import FakeAmi, eventually


def make_adapter(server: FakeAmi, publish) -> PbxAdapter:
    return PbxAdapter(
        "lab",
        publish,
        host="127.0.0.1",
        port=server.port,
        username="crm",
        secret="crm-secret",
        clock=lambda: 1000.0,
        backoff_initial=0.05,
        backoff_max=0.2,
    )


def trace_bytes(name: str) -> bytes:
    """What Asterisk sent after its banner (its replies to the recorder's actions included)."""
    raw = (FIXTURES / f"{name}.ami.raw").read_bytes()
    return raw.split(b"\r\n", 1)[1]


async def test_given_recorded_call_when_pbx_sends_it_then_the_bus_carries_the_call() -> None:
    server = FakeAmi()
    await server.start()
    bus = EventBus()
    seen: list = []

    async def collect(event: object) -> None:
        seen.append(event)

    bus.subscribe("test", collect)
    await bus.start()
    adapter = make_adapter(server, bus.publish)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        data = trace_bytes("s01_inbound_answered")
        for offset in range(0, len(data), 1400):  # TCP-sized pieces, frames cut anywhere
            await server.push(data[offset : offset + 1400], pause=0)
        await asyncio.wait_for(eventually(lambda: any(isinstance(e, CallEnded) for e in seen)), 10)
    finally:
        await adapter.stop()
        await server.stop()
        await bus.stop()

    kinds = [type(e) for e in seen]
    assert kinds == [PbxLinkChanged, CallQueued, CallOffered, CallAnswered, CallEnded, PbxLinkChanged]
    assert seen[0] == PbxLinkChanged("lab", True, "logged in", 1000.0)
    assert seen[2].agent == "Local/1001@agents/n" and seen[2].caller_number == "5550001"
    assert seen[-1].up is False


async def test_given_adapter_then_it_is_a_telephony_port_that_sends_originate(fake_ami: FakeAmi) -> None:
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    port: Telephony = adapter
    with pytest.raises(TelephonyError):
        await port.originate("Local/1001@agentphone", "5559001", "c2d-1")
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: port.connected), 5)
        await port.originate("Local/1001@agentphone", "5559001", "c2d-1")
        await port.hangup("Local/5559001@pstn-00000014;2")
    finally:
        await adapter.stop()

    originate = next(a for a in fake_ami.actions if a["Action"] == "Originate")
    assert originate["Channel"] == "Local/1001@agentphone"
    assert (originate["Exten"], originate["Context"], originate["Async"]) == ("5559001", "outbound", "true")
    assert originate["ChannelId"] == "c2d-1"
    hangup = next(a for a in fake_ami.actions if a["Action"] == "Hangup")
    assert hangup["Channel"] == "Local/5559001@pstn-00000014;2"
