"""A PBX adapter against a fake Asterisk on a real socket: real traces in, bus events out,
Telephony actions on the wire, and a link that resyncs before it says it is up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from crm_core.bus import EventBus
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallQueued,
    PbxLinkChanged,
    PbxResynced,
)
from crm_core.ports import Telephony, TelephonyError
from cti.pbx_adapter import PbxAdapter
from tests.cti.amitrace import FIXTURES, read_frames
from tests.cti.fake_ami import FakeAmi
from tests.polling import eventually

A1 = "Local/1001@agents/n"
CALL = "1795383366.0"  # s01's Linkedid
CALLER = "Local/5550001@inbound-00000000;2"  # the channel that waited in the queue
A1_LEG = "Local/1001@agents-00000001;1"  # the member leg bridged to the caller
A1_PHONE = "Local/1001@agents-00000001;2"  # the member's device side


def make_adapter(server: FakeAmi, publish, **options) -> PbxAdapter:
    options.setdefault("backoff_initial", 0.05)
    options.setdefault("backoff_max", 0.2)
    options.setdefault("clock", lambda: 1000.0)
    return PbxAdapter(
        "lab",
        publish,
        host="127.0.0.1",
        port=server.port,
        username="crm",
        secret="crm-secret",
        **options,
    )


def trace_bytes(name: str, until: bytes | None = None) -> bytes:
    """What Asterisk sent after its banner; with ``until``, up to the end of that frame."""
    raw = (FIXTURES / f"{name}.ami.raw").read_bytes().split(b"\r\n", 1)[1]
    if until is None:
        return raw
    return raw[: raw.index(b"\r\n\r\n", raw.index(until)) + 4]


def list_items(name: str, action_id: str) -> list[list[str]]:
    """The items of one recorded list reply, as header lines without the ActionID."""
    items = []
    for frame in read_frames(name):
        if frame.get("ActionID") == action_id and "Event" in frame and "EventList" not in frame:
            lines = []
            for key, value in frame.items():
                for v in value if isinstance(value, list) else [value]:
                    if key != "ActionID":
                        lines.append(f"{key}: {v}")
            items.append(lines)
    return items


async def push_in_pieces(server: FakeAmi, data: bytes) -> None:
    for offset in range(0, len(data), 1400):  # TCP-sized pieces, frames cut anywhere
        await server.push(data[offset : offset + 1400], pause=0)


@pytest.fixture
async def running(fake_ami: FakeAmi) -> AsyncIterator[tuple[PbxAdapter, list]]:
    published: list = []
    adapter = make_adapter(fake_ami, published.append, wrapup_seconds=0.3, tick_interval=0.05)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        yield adapter, published
    finally:
        await adapter.stop()


async def test_given_recorded_call_when_pbx_sends_it_then_the_bus_carries_call_and_seat() -> None:
    server = FakeAmi()
    await server.start()
    bus = EventBus()
    seen: list = []

    async def collect(event: object) -> None:
        seen.append(event)

    bus.subscribe("test", collect)
    await bus.start()
    adapter = make_adapter(server, bus.publish, wrapup_seconds=0.3, tick_interval=0.05, clock=time.time)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        await push_in_pieces(server, trace_bytes("s01_inbound_answered"))
        await asyncio.wait_for(eventually(lambda: any(isinstance(e, CallEnded) for e in seen)), 10)

        def seat_states() -> list[str]:
            return [e.state for e in seen if isinstance(e, AgentStateChanged) and e.agent == A1]

        await asyncio.wait_for(eventually(lambda: seat_states()[-1:] == ["ready"], 5), 6)
    finally:
        await adapter.stop()
        await server.stop()
        await bus.stop()

    calls = [type(e) for e in seen if not isinstance(e, AgentStateChanged)]
    # the resync (no live call) comes before "up": records left open by a previous run are closed
    assert calls == [
        PbxResynced, PbxLinkChanged, CallQueued, CallOffered, CallAnswered, CallEnded, PbxLinkChanged
    ]  # fmt: skip
    assert isinstance(seen[0], PbxResynced) and seen[0].live_calls == ()
    up = next(e for e in seen if isinstance(e, PbxLinkChanged))
    assert (up.up, up.reason) == (True, "logged in")
    offered = next(e for e in seen if isinstance(e, CallOffered))
    assert offered.agent == A1 and offered.caller_number == "5550001"
    states = [e.state for e in seen if isinstance(e, AgentStateChanged) and e.agent == A1]
    assert states[-4:] == ["ringing", "on_call", "wrap_up", "ready"]
    assert seen.index(offered) < next(
        i for i, e in enumerate(seen) if isinstance(e, AgentStateChanged) and e.state == "ringing"
    ), "the seat rings after the call is offered"


async def test_given_pbx_lists_on_connect_then_state_is_rebuilt_before_link_up(fake_ami: FakeAmi) -> None:
    fake_ami.set_list("queuestatus", list_items("s07_agent_login_pause", "s07_agent_login_pause-018"))
    fake_ami.set_list("coreshowchannels", list_items("s05a_click_to_dial", "s05a_click_to_dial-003"))
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        snapshot = adapter.seat_snapshot()
        await adapter.hangup("c2d-1795383464-1")
    finally:
        await adapter.stop()

    up = next(i for i, e in enumerate(published) if isinstance(e, PbxLinkChanged) and e.up)
    seats = [(e.agent, e.state, e.reason) for e in published[:up] if isinstance(e, AgentStateChanged)]
    assert sorted(seats) == [
        ("Local/1001@agents/n", "ready", ""),
        ("Local/1002@agents/n", "ready", ""),
        ("Local/1003@agents/n", "ready", ""),
        ("Local/1004@agents/n", "paused", "Login paused"),
    ]
    assert len(snapshot) == 4
    [resync] = fake_ami.sent("CoreShowChannels")
    hangup = fake_ami.sent("Hangup")[0]
    snapshot_channels = {
        line.split(": ", 1)[1]
        for item in fake_ami.lists["coreshowchannels"]
        for line in item
        if line.startswith("Channel: ")
    }
    assert hangup["Channel"] in snapshot_channels, "a call known only from the snapshot can be acted on"
    assert fake_ami.actions.index(resync) < fake_ami.actions.index(hangup)


async def test_given_connection_drops_then_it_reconnects_resyncs_and_only_then_says_up(
    fake_ami: FakeAmi,
) -> None:
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        loop = asyncio.get_running_loop()
        dropped_at = loop.time()
        await fake_ami.drop()
        await asyncio.wait_for(eventually(lambda: not adapter.connected), 5)
        await asyncio.wait_for(eventually(lambda: adapter.connected, within=5, step=0.005), 6)
        reconnect = loop.time() - dropped_at
    finally:
        await adapter.stop()
    print(f"\nreconnect after a drop: {reconnect:.3f} s (back-off starts at 0.05 s)")
    assert reconnect < 2.0
    links = [e.up for e in published if isinstance(e, PbxLinkChanged)]
    assert links == [True, False, True, False]
    assert len(fake_ami.sent("CoreShowChannels")) == 2 and len(fake_ami.sent("QueueStatus")) == 2
    # every "up" came after that session's QueueStatus reply had been asked for
    assert [n for n, _ in fake_ami.action_times].count("queuestatus") == 2


async def test_given_pbx_restarts_then_resync_waits_for_fully_booted(fake_ami: FakeAmi) -> None:
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        loop = asyncio.get_running_loop()
        await fake_ami.shutdown()
        down_at = loop.time()
        await asyncio.wait_for(eventually(lambda: not adapter.connected), 5)
        await asyncio.sleep(0.2)
        fake_ami.boot_delay = 0.3
        await fake_ami.start()
        await asyncio.wait_for(eventually(lambda: adapter.connected, within=5, step=0.005), 6)
        back = loop.time() - down_at
    finally:
        await adapter.stop()
    print(f"\nback after a PBX restart: {back:.3f} s (0.2 s away, 0.3 s booting)")
    resyncs = [t for n, t in fake_ami.action_times if n == "coreshowchannels"]
    assert len(resyncs) == 2 and resyncs[-1] >= fake_ami.booted_at[-1]
    downs = [e for e in published if isinstance(e, PbxLinkChanged) and not e.up]
    assert downs[0].reason == "PBX is shutting down"


ADDED_1009 = (
    b"Event: QueueMemberAdded\r\nQueue: support\r\nInterface: PJSIP/1009\r\n"
    b"Status: 1\r\nPaused: 1\r\nPausedReason: Login paused\r\n\r\n"
)


async def test_given_events_during_resync_then_they_are_applied_after_the_snapshot(fake_ami: FakeAmi) -> None:
    fake_ami.list_delay = 0.3
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: fake_ami.sent("CoreShowChannels")), 5)
        await fake_ami.push(ADDED_1009)  # while the PBX is still answering the lists
        assert not adapter.connected
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
    finally:
        await adapter.stop()
    assert adapter.seats.state_of("PJSIP/1009") == "paused", "the snapshot did not overwrite it"
    seat = next(i for i, e in enumerate(published) if isinstance(e, AgentStateChanged))
    up = next(i for i, e in enumerate(published) if isinstance(e, PbxLinkChanged))
    assert seat < up and published[seat].agent == "PJSIP/1009"


async def test_given_resync_fails_then_no_link_up_and_it_tries_again(fake_ami: FakeAmi) -> None:
    fake_ami.unanswered.add("queuestatus")
    published: list = []
    adapter = make_adapter(fake_ami, published.append, action_timeout=0.3)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: len(fake_ami.sent("QueueStatus")) >= 2), 5)
        assert not adapter.connected and published == []
        fake_ami.unanswered.clear()
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
    finally:
        await adapter.stop()
    assert [e.up for e in published if isinstance(e, PbxLinkChanged)] == [True, False]


async def test_given_telephony_port_then_each_action_reaches_the_pbx(running, fake_ami: FakeAmi) -> None:
    adapter, _ = running
    port: Telephony = adapter
    await port.originate("Local/1001@agentphone", "5559001", "c2d-1")
    await port.originate_callback("+8613800138000", "support", "cb-1")
    await port.set_paused(A1, True, "Lunch", "support")
    await port.login(A1, "support", "Agent 1001", 1)
    await port.logout(A1, "support")
    await port.spy("2001", A1, "whisper")

    originate, callback, spy = fake_ami.sent("Originate")
    assert (originate["Channel"], originate["Context"], originate["Exten"]) == (
        "Local/1001@agentphone",
        "outbound",
        "5559001",
    )
    assert originate["ChannelId"] == "c2d-1" and originate["Async"] == "true"
    assert callback["Channel"] == "Local/+8613800138000@pstn" and callback["Context"] == "callback"
    assert (spy["Application"], spy["Data"]) == ("ChanSpy", "Local/1001@agents-,qw")
    assert fake_ami.sent("QueuePause")[0]["Reason"] == "Lunch"
    assert fake_ami.sent("QueueAdd")[0]["MemberName"] == "Agent 1001"
    assert fake_ami.sent("QueueRemove")[0]["Queue"] == "support"


async def test_given_errors_then_codes_are_invalid_refused_not_found_and_not_connected(
    fake_ami: FakeAmi,
) -> None:
    adapter = make_adapter(fake_ami, lambda e: None)
    with pytest.raises(TelephonyError) as down:
        await adapter.set_paused(A1, True)
    assert down.value.code == "not_connected"
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        before = len(fake_ami.actions)
        for bad in (
            adapter.originate(A1, "5559001\r\nApplication: System", "c1"),
            adapter.set_paused(A1, True, "x" * 200),
            adapter.spy("2001", "PJSIP/1001,B", "listen"),
            adapter.blind_transfer("c1", "1002,1"),
            adapter.hangup("../../etc"),
        ):
            with pytest.raises(TelephonyError) as invalid:
                await bad
            assert invalid.value.code == "invalid"
        assert fake_ami.actions[before:] == [], "nothing invalid reached the PBX"
        fake_ami.refusals["queueadd"] = "Unable to add interface: Already there"
        with pytest.raises(TelephonyError) as refused:
            await adapter.login(A1, "support")
        assert refused.value.code == "refused" and "Already there" in str(refused.value)
        for unknown in (
            adapter.hangup("no-such-call"),
            adapter.blind_transfer("no-such-call", "1002"),
            adapter.recording_start("no-such-call", "x.wav"),
            adapter.recording_mute("no-such-call", True),
            adapter.attended_transfer(A1, "1002"),
        ):
            with pytest.raises(TelephonyError) as missing:
                await unknown
            assert missing.value.code == "not_found"
    finally:
        await adapter.stop()


async def test_given_call_in_progress_then_call_actions_use_its_channels(running, fake_ami: FakeAmi) -> None:
    adapter, _ = running
    await push_in_pieces(fake_ami, trace_bytes("s01_inbound_answered", until=b"Event: AgentConnect"))
    await asyncio.wait_for(eventually(lambda: adapter.seats.state_of(A1) == "on_call"), 5)

    await adapter.recording_start(CALL, "anything/../x.wav")
    await adapter.recording_mute(CALL, True)
    await adapter.recording_stop(CALL)
    await adapter.spy("PJSIP/2001", A1, "barge")
    await adapter.attended_transfer(A1, "1003")
    await adapter.blind_transfer(CALL, "1002")
    await adapter.hangup(CALL)

    assert fake_ami.sent("MixMonitor")[0]["File"] == f"lab-{CALL}.wav"
    assert fake_ami.sent("MixMonitor")[0]["Channel"] == CALLER
    assert fake_ami.sent("MixMonitorMute")[0]["Channel"] == CALLER
    assert fake_ami.sent("StopMixMonitor")[0]["Channel"] == CALLER
    spy = fake_ami.sent("Originate")[0]
    assert (spy["Channel"], spy["Data"]) == ("PJSIP/2001", f"{A1_PHONE},qB")
    assert spy["ChannelId"].startswith("spy-")
    assert fake_ami.sent("Atxfer")[0]["Channel"] == A1_LEG
    assert fake_ami.sent("BlindTransfer")[0]["Channel"] == A1_LEG  # moves what is bridged to it
    assert fake_ami.sent("Hangup")[0]["Channel"] == CALLER


async def test_given_wrap_up_then_end_wrap_up_ends_it_early_and_stop_leaves_no_task(
    fake_ami: FakeAmi,
) -> None:
    published: list = []
    adapter = make_adapter(fake_ami, published.append, wrapup_seconds=30, tick_interval=0.05)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
        await push_in_pieces(fake_ami, trace_bytes("s01_inbound_answered"))
        await asyncio.wait_for(eventually(lambda: adapter.seats.state_of(A1) == "wrap_up"), 5)
        adapter.end_wrap_up(A1)
        assert adapter.seats.state_of(A1) == "ready"
    finally:
        await adapter.stop()
    ours = [t for t in asyncio.all_tasks() if t.get_name().startswith(("ami-link:", "seat-wrapup:"))]
    assert ours == []
    assert [e.state for e in published if isinstance(e, AgentStateChanged)][-2:] == ["wrap_up", "ready"]


async def test_given_pbx_refuses_a_list_action_then_link_comes_up_with_a_warning(
    fake_ami: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    fake_ami.refusals["coreshowchannels"] = "Permission denied"
    fake_ami.set_list("queuestatus", list_items("s07_agent_login_pause", "s07_agent_login_pause-018"))
    published: list = []
    adapter = make_adapter(fake_ami, published.append)
    await adapter.start()
    try:
        await asyncio.wait_for(eventually(lambda: adapter.connected), 5)
    finally:
        await adapter.stop()
    assert len(fake_ami.sent("CoreShowChannels")) == 1, "a refusal is not retried in a loop"
    assert any("Permission denied" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert len(adapter.seat_snapshot()) == 4, "the seats were still rebuilt"
