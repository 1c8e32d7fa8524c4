"""Muting the recording for card data, against the simulated PBX over real AMI and HTTP.

Only a mute the PBX confirmed (MixMonitorMute answered Success) is shown as muted and
recorded as a span; an unconfirmed one answers an error and the state stays "not muted".
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.service import Service
from crm_core.audit.models import AuditEntry
from crm_core.recording.models import Recording, RecordingMute
from crm_core.recording.mute import MuteController
from pbxsim.actions import CallActions
from pbxsim.ami_codec import get_header
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import eventually
from tests.recordings.support import answered_call
from tests.recordings.web import RecordingsWeb, recordings_web

AGENT_1001 = "Local/1001@agents/n"


def _mutes_sent(ami: AmiServer) -> list[tuple[str, str]]:
    return [(a["Channel"], a["State"]) for a in ami.received_actions if a.get("Action") == "MixMonitorMute"]


async def _spans(service: Service, call_id: str) -> list[RecordingMute]:
    async with service.db.read() as s:
        rec_id = await s.scalar(select(Recording.id).where(Recording.call_id == call_id))
        return list(await s.scalars(select(RecordingMute).where(RecordingMute.recording_id == rec_id)))


async def _actions(service: Service) -> list[tuple[str, int | None]]:
    async with service.db.read() as s:
        rows = await s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "recording").order_by(AuditEntry.id)
        )
        return [(e.action, e.user_id) for e in rows]


@pytest.fixture
async def live_call(service: Service, pbx: Pbx, open_console) -> AsyncIterator[str]:
    """agent1001 is talking with a caller; the call id."""
    console = await open_console("agent1001")
    call = asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", AGENT_1001, member_name="Agent",
                   wait_seconds=2, ring_seconds=2, talk_seconds=60)
    )  # fmt: skip
    try:
        pop = await console.wait_for(lambda m: m["type"] == "pop", within=10)
        await console.wait_for(lambda m: m.get("state") == "answered", within=10)
        call_id = str(pop["call"]["call_id"])
        await eventually(lambda: _answered(service, call_id), within=10)
        yield call_id
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)


async def _answered(service: Service, call_id: str) -> bool:
    record = await service.calls.get("test", call_id)
    return record is not None and record.status == "answered"


@pytest.fixture
async def web(service: Service, tmp_path: Path, spool: Path) -> AsyncIterator[RecordingsWeb]:
    async with recordings_web(service, tmp_path / "store", spool, auto_resume=60) as running:
        yield running


async def test_mute_and_resume_are_confirmed_by_the_pbx_and_marked_as_spans(
    service: Service, ami: AmiServer, web: RecordingsWeb, live_call: str
) -> None:
    caller = service.pbx_links["test"].tracker.caller_channel(live_call)
    body = {"pbx": "test", "call_id": live_call}
    async with web.client("agent1001") as http:
        async with http.post(f"{web.base}/api/recordings/mute", json=body) as r:
            state = await r.json()
            assert r.status == 200 and state["muted"] is True and state["resumes_at"]
        async with http.get(f"{web.base}/api/recordings/mute/test/{live_call}") as r:
            assert (await r.json())["muted"] is True
        async with http.post(f"{web.base}/api/recordings/resume", json=body) as r:
            assert r.status == 200 and (await r.json())["muted"] is False
    assert _mutes_sent(ami) == [(caller, "1"), (caller, "0")]
    [span] = await _spans(service, live_call)
    assert span.resumed_at is not None and span.resumed_at >= span.muted_at and not span.auto_resumed
    agent = await service.users.by_login("agent1001")
    assert span.muted_by == agent.id and span.resumed_by == agent.id
    assert [a for a in await _actions(service) if a[0] in ("mute", "resume")] == [
        ("mute", agent.id),
        ("resume", agent.id),
    ]


async def test_another_agent_cannot_mute_someone_elses_call(
    service: Service, ami: AmiServer, web: RecordingsWeb, live_call: str
) -> None:
    async with (
        web.client("agent1002") as http,
        http.post(f"{web.base}/api/recordings/mute", json={"pbx": "test", "call_id": live_call}) as r,
    ):
        assert r.status == 404
    assert _mutes_sent(ami) == []
    async with service.db.read() as s:
        refused = list(await s.scalars(select(AuditEntry.action).where(AuditEntry.action == "mute_refused")))
    assert refused == ["mute_refused"]


async def test_a_mute_the_pbx_did_not_confirm_is_shown_as_not_muted(
    service: Service, ami: AmiServer, web: RecordingsWeb
) -> None:
    # A call the CRM has on record, but the PBX knows nothing of (it ended there already).
    await answered_call(service.db, "1790000099.1", AGENT_1001, end=False)
    async with web.client("agent1001") as http:
        async with http.post(
            f"{web.base}/api/recordings/mute", json={"pbx": "test", "call_id": "1790000099.1"}
        ) as r:
            error = await r.json()
            assert r.status == 502 and error["code"] == "not_found"
            assert error["muted"] is False and error["confirmed"] is False
        async with http.get(f"{web.base}/api/recordings/mute/test/1790000099.1") as r:
            assert (await r.json())["muted"] is False
    assert await _spans(service, "1790000099.1") == []
    assert ("mute_unconfirmed", (await service.users.by_login("agent1001")).id) in await _actions(service)


async def test_a_mute_while_the_pbx_link_is_down_answers_503(
    service: Service, ami: AmiServer, web: RecordingsWeb, live_call: str
) -> None:
    await ami.stop()
    await eventually(lambda: not service.pbx_links["test"].connected, within=10)
    async with (
        web.client("agent1001") as http,
        http.post(f"{web.base}/api/recordings/mute", json={"pbx": "test", "call_id": live_call}) as r,
    ):
        assert r.status == 503 and (await r.json())["code"] == "not_connected"
    assert await _spans(service, live_call) == []


async def test_a_forgotten_mute_is_resumed_automatically_and_audited_as_the_system(
    service: Service, ami: AmiServer, tmp_path: Path, spool: Path, live_call: str
) -> None:
    caller = service.pbx_links["test"].tracker.caller_channel(live_call)
    async with recordings_web(service, tmp_path / "store2", spool, auto_resume=0.5) as web:
        async with (
            web.client("agent1001") as http,
            http.post(f"{web.base}/api/recordings/mute", json={"pbx": "test", "call_id": live_call}) as r,
        ):
            assert r.status == 200
        await eventually(lambda: len(_mutes_sent(ami)) == 2, within=10)
        assert _mutes_sent(ami) == [(caller, "1"), (caller, "0")]
        await eventually(lambda: _closed(service, live_call), within=10)
        [span] = await _spans(service, live_call)
        assert span.auto_resumed and span.resumed_by is None
        assert ("resume", None) in await _actions(service)


async def _closed(service: Service, call_id: str) -> bool:
    spans = await _spans(service, call_id)
    return len(spans) == 1 and spans[0].resumed_at is not None


def _slow_pbx(ami: AmiServer, pbx: Pbx, state: str, delay: float) -> list[asyncio.Task[None]]:
    """The PBX applies and answers MixMonitorMute State=state only after delay (a busy Asterisk)."""
    real = CallActions(pbx).mixmonitor_mute
    pending: list[asyncio.Task[None]] = []

    async def handler(session: Any, message: Any) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            await real(session, message)

        if get_header(message, "State") == state:
            pending.append(asyncio.create_task(later()))
        else:
            await real(session, message)

    ami.register_action("MixMonitorMute", handler)
    return pending


async def test_a_mute_during_a_slow_auto_resume_stays_muted(
    service: Service, ami: AmiServer, pbx: Pbx, tmp_path: Path, spool: Path, live_call: str
) -> None:
    pending = _slow_pbx(ami, pbx, "0", 1.0)
    body = {"pbx": "test", "call_id": live_call}
    async with (
        recordings_web(service, tmp_path / "s", spool, auto_resume=0.3) as web,
        web.client("agent1001") as http,
    ):
        async with http.post(f"{web.base}/api/recordings/mute", json=body) as r:
            assert r.status == 200
        await eventually(lambda: len(_mutes_sent(ami)) == 2, within=10)  # the auto-resume is on its way
        async with http.post(f"{web.base}/api/recordings/mute", json=body) as r:
            assert r.status == 200 and (await r.json())["muted"] is True
        await eventually(lambda: len(_mutes_sent(ami)) == 3, within=10)
        await asyncio.sleep(0.2)  # let any stale timer act (it must not)
        async with http.get(f"{web.base}/api/recordings/mute/test/{live_call}") as r:
            assert (await r.json())["muted"] is True
        spans = await _spans(service, live_call)
        assert [s.resumed_at is None for s in spans] == [False, True]
    await asyncio.gather(*pending, return_exceptions=True)


async def test_a_mute_the_pbx_answered_too_late_is_still_auto_resumed(
    service: Service, ami: AmiServer, pbx: Pbx, tmp_path: Path, spool: Path, live_call: str
) -> None:
    caller = service.pbx_links["test"].tracker.caller_channel(live_call)
    pending = _slow_pbx(ami, pbx, "1", 0.6)
    async with (
        recordings_web(service, tmp_path / "s", spool, auto_resume=0.5, confirm_timeout=0.3) as web,
        web.client("agent1001") as http,
        http.post(f"{web.base}/api/recordings/mute", json={"pbx": "test", "call_id": live_call}) as r,
    ):
        assert r.status == 504
        await eventually(lambda: (caller, "0") in _mutes_sent(ami), within=10)
    await asyncio.gather(*pending, return_exceptions=True)


async def test_a_restart_rearms_the_auto_resume_of_open_spans(
    service: Service, ami: AmiServer, tmp_path: Path, spool: Path, live_call: str
) -> None:
    caller = service.pbx_links["test"].tracker.caller_channel(live_call)
    body = {"pbx": "test", "call_id": live_call}
    async with (
        recordings_web(service, tmp_path / "s", spool, auto_resume=60) as web,
        web.client("agent1001") as http,
        http.post(f"{web.base}/api/recordings/mute", json=body) as r,
    ):
        assert r.status == 200
    restarted = MuteController(service.db, service.pbx_links, service.bus.publish, auto_resume_seconds=0.3)
    try:
        await restarted.start()
        await eventually(lambda: _closed(service, live_call), within=10)
        assert _mutes_sent(ami) == [(caller, "1"), (caller, "0")]
    finally:
        await restarted.stop()
