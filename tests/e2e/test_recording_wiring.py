"""The service's own recording wiring: a call's MixMonitor file is ingested when the call ends and
plays back, with Range, for the agent who took the call."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import aiohttp
from sqlalchemy import select

from callcenter.service import Service
from crm_core.recording.models import Recording
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import PASSWORD
from tests.signin import sign_in


def _write_wav(path: Path, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * int(8000 * seconds))


async def test_recording_is_ingested_at_call_end_and_plays_for_the_agent(
    service: Service, pbx: Pbx, open_console
) -> None:
    await service.customers.create("刘洋", ["13912345678"])
    console = await open_console("agent1001")
    call = asyncio.create_task(
        queue_call(pbx, "13912345678", "刘洋", "support", "Local/1001@agents/n", member_name="Agent 1001",
                   wait_seconds=1, ring_seconds=1, talk_seconds=40)  # 2 s of talk at SPEED 20
    )  # fmt: skip
    pop = await console.wait_for(lambda m: m["type"] == "pop")
    call_id = pop["call"]["call_id"]
    _write_wav(Path(service.settings.recordings.spool_dir) / f"test-{call_id}.wav", 1.5)
    await asyncio.wait_for(call, 30)
    await console.wait_for(lambda m: m.get("state") == "ended")
    await service.bus.drain()
    async with service.db.read() as s:
        rec = await s.scalar(select(Recording).where(Recording.call_id == call_id))
    assert rec is not None and rec.status == "stored" and rec.duration_seconds == 1.5
    base = f"http://127.0.0.1:{service.web_port}"
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar) as http:
        await sign_in(http, "", "agent1001", PASSWORD)
        customer = (await service.customers.find_ids_by_number("13912345678"))[0]
        async with http.get(f"/api/v1/customers/{customer}/timeline") as resp:
            calls = [i for i in (await resp.json())["items"] if i["kind"] == "call"]
        assert calls[0]["data"]["recording"] == {"id": rec.public_id, "status": "stored"}
        headers = {"Range": "bytes=0-3"}
        async with http.get(f"/api/recordings/{rec.public_id}/audio", headers=headers) as resp:
            assert resp.status == 206 and await resp.read() == b"RIFF"
            assert resp.headers["Cache-Control"] == "no-store"


async def test_queues_with_a_record_on_answer_policy_are_recorded_by_the_crm(tmp_path, ami, pbx: Pbx) -> None:
    import dataclasses

    from tests.e2e.conftest import eventually, make_settings

    settings = make_settings(tmp_path, ami.port)
    recordings = dataclasses.replace(settings.recordings, record_on_answer_queues=["support"])
    service = Service(dataclasses.replace(settings, recordings=recordings))
    await service.start()
    try:
        await service.users.create("agent1001", PASSWORD, "李娜", interface="Local/1001@agents/n")
        await eventually(lambda: service.pbx_links["test"].connected)
        result = await queue_call(
            pbx, "13912345678", "刘洋", "support", "Local/1001@agents/n", member_name="Agent 1001",
            wait_seconds=1, ring_seconds=1, talk_seconds=20,
        )  # fmt: skip
        started = [a for a in ami.received_actions if a.get("Action") == "MixMonitor"]
        assert len(started) == 1 and started[0]["File"] == f"test-{result.linkedid}.wav"
    finally:
        await service.stop()
