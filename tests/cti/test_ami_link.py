"""The AMI link against a fake Asterisk on a real socket: login, back-off, liveness, UTF-8, stop."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from crm_core.ports import TelephonyError
from cti.ami_link import AmiLink
from tests.cti.fake_ami import FakeAmi, frame
from tests.polling import eventually


class Recorder:
    """Collects what the link hands out."""

    def __init__(self) -> None:
        self.events: list = []
        self.states: list[tuple[bool, str]] = []

    def on_event(self, message, received_at: float) -> None:
        self.events.append((message, received_at))

    def on_state(self, up: bool, reason: str) -> None:
        self.states.append((up, reason))

    def named(self, name: str) -> list:
        return [m for m, _ in self.events if m.get("Event") == name]


def make_link(server: FakeAmi, rec: Recorder, secret: str = "crm-secret", **options) -> AmiLink:
    options.setdefault("backoff_initial", 0.05)
    options.setdefault("backoff_max", 0.2)
    return AmiLink(
        "lab",
        "127.0.0.1",
        server.port,
        "crm",
        secret,
        rec.on_event,
        rec.on_state,
        clock=lambda: 123.0,
        **options,
    )


async def test_given_good_secret_then_logged_in_and_events_flow(fake_ami: FakeAmi) -> None:
    rec = Recorder()
    link = make_link(fake_ami, rec)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        await fake_ami.push(frame("Event: QueueCallerJoin", "Queue: support", "Position: 1"))
        await asyncio.wait_for(eventually(lambda: rec.named("QueueCallerJoin")), 5)
        assert rec.states == [(True, "logged in")]
        assert rec.named("FullyBooted"), "FullyBooted is an event like any other"
        assert all(at == 123.0 for _, at in rec.events)
        assert link.attempts == 1
    finally:
        await link.stop()
    assert rec.states[-1][0] is False


async def test_given_wrong_secret_then_one_log_line_per_attempt_and_growing_gaps(
    fake_ami: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rec = Recorder()
    link = make_link(fake_ami, rec, secret="wrong-secret", backoff_initial=0.2, backoff_max=30.0)
    await link.start()
    try:
        await asyncio.sleep(2.0)
        assert link._task is not None and not link._task.done(), "the supervisor must survive"
        attempts = link.attempts
    finally:
        await link.stop()

    assert 3 <= attempts <= 5, f"{attempts} attempts in 2 s is not a back-off"
    gaps = [b - a for a, b in itertools.pairwise(fake_ami.login_times)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps)), gaps
    refused = [r for r in caplog.records if "AMI login refused" in r.getMessage()]
    assert len(refused) == len(fake_ami.login_times)
    assert refused[0].getMessage().startswith("AMI login refused for pbx=lab user=crm: Authentication failed")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == refused, "exactly one line per failed attempt"
    assert not any("wrong-secret" in r.getMessage() for r in caplog.records)
    assert "wrong-secret" not in caplog.text and "wrong-secret" not in repr(link)
    assert rec.states == [] and not link.connected


async def test_given_server_goes_away_and_comes_back_then_link_logs_in_again(fake_ami: FakeAmi) -> None:
    rec = Recorder()
    link = make_link(fake_ami, rec)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        await fake_ami.stop()
        await asyncio.wait_for(eventually(lambda: not link.connected), 5)
        await asyncio.sleep(0.4)  # a few refused connects while it is away
        failed_while_away = link.attempts
        await fake_ami.start()
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        await fake_ami.push(frame("Event: Newchannel", "Channel: Local/1@x-1;1", "Uniqueid: 1.1"))
        await asyncio.wait_for(eventually(lambda: rec.named("Newchannel")), 5)
    finally:
        await link.stop()
    assert failed_while_away >= 3
    assert [up for up, _ in rec.states] == [True, False, True, False]
    assert rec.states[1][1] == "connection closed by the PBX"
    assert len(fake_ami.login_times) == 2


async def test_given_pbx_stops_answering_pings_then_link_is_dropped_and_rebuilt(fake_ami: FakeAmi) -> None:
    rec = Recorder()
    link = make_link(fake_ami, rec, ping_interval=0.1, ping_timeout=0.2)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        await asyncio.sleep(0.35)
        assert [a["Action"] for a in fake_ami.actions].count("Ping") >= 2 and link.connected
        fake_ami.answer_pings = False
        await asyncio.wait_for(eventually(lambda: len(rec.states) >= 2), 5)
        assert rec.states[1] == (False, "no Pong within 0.1 s")  # timeout capped at the interval
        fake_ami.answer_pings = True
        await asyncio.wait_for(eventually(lambda: link.connected and fake_ami.connections >= 2), 5)
    finally:
        await link.stop()


async def test_given_chinese_name_split_mid_character_then_it_arrives_intact(fake_ami: FakeAmi) -> None:
    rec = Recorder()
    link = make_link(fake_ami, rec)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        data = frame(
            "Event: NewCallerid",
            "Channel: Local/5550001@inbound-00000000;2",
            "CallerIDNum: 13800138000",
            "CallerIDName: 张伟（王府井店）",
            "Uniqueid: 1.1",
        )
        cut = data.index("张".encode()) + 1  # inside the 3-byte sequence
        await fake_ami.push(data, split_at=cut)
        await asyncio.wait_for(eventually(lambda: rec.named("NewCallerid")), 5)
    finally:
        await link.stop()
    assert rec.named("NewCallerid")[0]["CallerIDName"] == "张伟（王府井店）"


async def test_given_link_actions_then_replies_errors_and_down_are_distinguished(fake_ami: FakeAmi) -> None:
    link = make_link(fake_ami, Recorder())
    with pytest.raises(TelephonyError, match="down"):
        await link.send_action({"Action": "Ping"})
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        pong = await link.send_action({"Action": "Ping"})
        assert pong["Ping"] == "Pong"
        with pytest.raises(TelephonyError, match="Invalid/unknown command"):
            await link.send_action({"Action": "NoSuchThing"})
    finally:
        await link.stop()
    with pytest.raises(TelephonyError):
        await link.send_action({"Action": "Ping"})


async def test_given_stop_then_no_task_left_and_no_reconnect(fake_ami: FakeAmi) -> None:
    link = make_link(fake_ami, Recorder())
    await link.start()
    await asyncio.wait_for(eventually(lambda: link.connected), 5)
    await link.stop()
    await fake_ami.stop()
    await fake_ami.start()
    await asyncio.sleep(0.3)  # several back-off periods: a live supervisor would have reconnected

    assert fake_ami.connections == 1
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []
    assert not link.connected


async def test_given_stop_during_backoff_then_it_returns_promptly() -> None:
    server = FakeAmi()
    await server.start()
    port = server.port
    await server.stop()  # nothing listens there any more
    link = AmiLink(
        "lab", "127.0.0.1", port, "crm", "s", lambda m, t: None, backoff_initial=5.0, backoff_max=5.0
    )
    await link.start()
    await asyncio.wait_for(eventually(lambda: link.attempts >= 1), 5)
    await asyncio.wait_for(link.stop(), 1)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_given_pbx_stalls_with_socket_open_then_link_down_within_three_ping_intervals(
    fake_ami: FakeAmi,
) -> None:
    rec = Recorder()
    interval = 0.3
    link = make_link(fake_ami, rec, ping_interval=interval, ping_timeout=5.0)  # timeout capped at interval
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        loop = asyncio.get_running_loop()
        fake_ami.stalled = True
        stalled_at = loop.time()
        await asyncio.wait_for(eventually(lambda: not link.connected, within=10, step=0.005), 15)
        detected = loop.time() - stalled_at
    finally:
        await link.stop()
    print(f"\nstall detection: {detected:.3f} s (ping interval {interval} s, limit {3 * interval:.1f} s)")
    assert detected <= 3 * interval, detected
    assert rec.states[1] == (False, f"no Pong within {interval:g} s")


async def test_given_errors_then_codes_tell_down_refused_and_timeout_apart(fake_ami: FakeAmi) -> None:
    link = make_link(fake_ami, Recorder(), action_timeout=0.3)
    with pytest.raises(TelephonyError) as down:
        await link.send_action({"Action": "Ping"})
    assert down.value.code == "not_connected"
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        fake_ami.refusals["queueadd"] = "Unable to add interface: Already there"
        with pytest.raises(TelephonyError) as refused:
            await link.send_action({"Action": "QueueAdd", "Queue": "support", "Interface": "PJSIP/1"})
        assert refused.value.code == "refused"
        assert "Unable to add interface: Already there" in str(refused.value)
        fake_ami.unanswered.add("hangup")
        with pytest.raises(TelephonyError) as silent:
            await link.send_action({"Action": "Hangup", "Channel": "PJSIP/1-00000001"})
        assert silent.value.code == "timeout"
    finally:
        await link.stop()


async def test_given_originate_pending_when_link_drops_then_it_is_never_sent_again(fake_ami: FakeAmi) -> None:
    rec = Recorder()
    link = make_link(fake_ami, rec)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected), 5)
        fake_ami.unanswered.add("originate")
        pending = asyncio.create_task(
            link.send_action(
                {"Action": "Originate", "Channel": "PJSIP/1001", "Exten": "555", "Async": "true"}
            )
        )
        await asyncio.wait_for(eventually(lambda: fake_ami.sent("Originate")), 5)
        await fake_ami.drop()
        with pytest.raises(TelephonyError) as lost:
            await asyncio.wait_for(pending, 5)
        assert lost.value.code == "not_connected"
        fake_ami.unanswered.clear()
        await asyncio.wait_for(eventually(lambda: len(fake_ami.login_times) >= 2 and link.connected), 5)
        await link.send_action({"Action": "Ping"})  # the new session is in use: a replay would precede this
        await asyncio.sleep(0.2)
    finally:
        await link.stop()
    assert len(fake_ami.sent("Originate")) == 1


async def test_given_shutdown_event_then_link_down_reconnects_and_waits_for_fully_booted(
    fake_ami: FakeAmi,
) -> None:
    rec = Recorder()
    hook_calls: list[float] = []

    async def on_login() -> None:
        hook_calls.append(asyncio.get_running_loop().time())

    link = make_link(fake_ami, rec, on_login=on_login)
    await link.start()
    try:
        await asyncio.wait_for(eventually(lambda: link.connected and rec.states), 5)
        await fake_ami.shutdown()
        await asyncio.wait_for(eventually(lambda: not link.connected), 5)
        assert rec.states[-1] == (False, "PBX is shutting down")
        assert rec.named("Shutdown"), "the Shutdown event is passed on too"
        await asyncio.sleep(0.3)  # the PBX is restarting: connects are refused meanwhile
        fake_ami.boot_delay = 0.4  # logins accepted before the PBX is fully booted
        await fake_ami.start()
        await asyncio.wait_for(eventually(lambda: len(rec.states) >= 3), 5)
    finally:
        await link.stop()
    assert [up for up, _ in rec.states[:3]] == [True, False, True]
    assert len(hook_calls) == 2
    booted_mono = fake_ami.booted_at[-1]
    login_mono = fake_ami.login_times[-1]
    assert booted_mono - login_mono >= 0.35
    # hook ran after FullyBooted was sent (both clocks are monotonic on one machine)
    assert hook_calls[-1] >= booted_mono - 0.01


async def test_given_pbx_drops_every_session_right_after_login_then_reconnects_back_off(
    fake_ami: FakeAmi,
) -> None:
    """A PBX that kicks us out at once must not be hammered: only a session that lasted resets the delay."""
    rec = Recorder()
    link = make_link(fake_ami, rec, backoff_initial=0.2, backoff_max=30.0)
    seen = 0

    async def kick_each_login() -> None:
        nonlocal seen
        while True:
            if len(fake_ami.booted_at) > seen:
                seen = len(fake_ami.booted_at)
                await asyncio.sleep(0.05)
                await fake_ami.drop()
            await asyncio.sleep(0.01)

    kicker = asyncio.create_task(kick_each_login())
    await link.start()
    try:
        await asyncio.sleep(2.5)
    finally:
        kicker.cancel()
        await link.stop()
    logins = fake_ami.login_times
    assert 3 <= len(logins) <= 6, f"{len(logins)} logins in 2.5 s is not a back-off"
    gaps = [b - a for a, b in itertools.pairwise(logins)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps)), gaps
