"""Playback over HTTP: Range (seeking), headers, and who may hear a recording."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from callcenter.service import Service
from crm_core.audit.models import AuditEntry
from crm_core.models import User
from crm_core.recording.models import Recording
from tests.e2e.conftest import PASSWORD
from tests.recordings.support import answered_call, make_wav
from tests.recordings.web import RecordingsWeb, recordings_web

AGENT_1001 = "Local/1001@agents/n"
CALL = "1790000000.5"


async def _team(service: Service, login: str, team: str) -> None:
    async with service.db.write() as s:
        await s.execute(update(User).where(User.login == login).values(team=team))


@pytest.fixture
async def web(service: Service, tmp_path: Path, spool: Path) -> AsyncIterator[RecordingsWeb]:
    async with recordings_web(service, tmp_path / "store", spool, auto_resume=60) as running:
        yield running


@pytest.fixture
async def stored(service: Service, web: RecordingsWeb, spool: Path) -> tuple[str, bytes]:
    """agent1001 (team east) answered a call whose 3-second recording is in the store."""
    for login, role, team in [("agent2001", "agent", "west"), ("sup_east", "supervisor", "east"),
                              ("sup_west", "supervisor", "west"), ("boss", "admin", None)]:  # fmt: skip
        await service.users.create(login, PASSWORD, login, role=role)
        if team:
            await _team(service, login, team)
    await _team(service, "agent1001", "east")
    data = make_wav(spool / f"test-{CALL}.wav", 3.0)
    await web.recordings.on_call_ended(await answered_call(service.db, CALL, AGENT_1001))
    async with service.db.read() as s:
        rec = await s.scalar(select(Recording).where(Recording.call_id == CALL))
    assert rec is not None and rec.status == "stored"
    return rec.public_id, data


async def _audit(service: Service, action: str) -> list[AuditEntry]:
    async with service.db.read() as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_range_requests_serve_the_asked_bytes_with_the_right_headers(
    service: Service, web: RecordingsWeb, stored: tuple[str, bytes]
) -> None:
    public_id, data = stored
    size = len(data)
    url = f"{web.base}/api/recordings/{public_id}/audio"
    async with web.client("agent1001") as http:
        async with http.get(url) as r:
            assert r.status == 200 and await r.read() == data
            assert r.headers["Content-Type"] == "audio/wav" and r.headers["Cache-Control"] == "no-store"
            assert r.headers["Accept-Ranges"] == "bytes" and r.headers["Content-Disposition"].startswith(
                "inline"
            )
        cases = [("bytes=0-99", 0, 99), ("bytes=1000-1999", 1000, 1999), ("bytes=-500", size - 500, size - 1),
                 (f"bytes=100-{size + 50}", 100, size - 1)]  # fmt: skip
        for header, first, last in cases:
            async with http.get(url, headers={"Range": header}) as r:
                assert r.status == 206, header
                assert r.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
                assert await r.read() == data[first : last + 1]
                assert r.headers["Cache-Control"] == "no-store"
        for header in (f"bytes={size}-", "bytes=-0", "bytes=50-10"):
            async with http.get(url, headers={"Range": header}) as r:
                assert r.status == 416, header
                assert r.headers["Content-Range"] == f"bytes */{size}"
        async with http.get(url, params={"download": "1"}) as r:
            assert r.status == 200 and await r.read() == data
            assert r.headers["Content-Disposition"] == f'attachment; filename="recording-{public_id}.wav"'
        async with http.get(f"{web.base}/api/recordings/{public_id}") as r:
            info = await r.json()
            assert info["status"] == "stored" and info["duration_seconds"] == 3.0 and info["muted"] == []
    plays, downloads = await _audit(service, "play"), await _audit(service, "download")
    assert len(plays) == 1 + len(cases) + 3 and len(downloads) == 1
    assert {p.after["range"] for p in plays} >= {"bytes=0-99", "bytes=-500", ""}


async def test_another_teams_agent_gets_404_and_the_attempt_is_audited(
    service: Service, web: RecordingsWeb, stored: tuple[str, bytes]
) -> None:
    public_id, data = stored
    audio = f"{web.base}/api/recordings/{public_id}/audio"
    for login in ("agent2001", "sup_west", "agent1002"):
        async with web.client(login) as http:
            async with http.get(audio) as r:
                assert r.status == 404, login
                assert (await r.json())["error"] == "error.not_found"
            async with http.get(f"{web.base}/api/recordings/{public_id}") as r:
                assert r.status == 404, login
    for login in ("sup_east", "boss"):
        async with web.client(login) as http, http.get(audio) as r:
            assert r.status == 200 and await r.read() == data, login
    async with web.client("agent2001") as http, http.get(f"{web.base}/api/recordings/{'0' * 32}/audio") as r:
        assert r.status == 404  # an unknown id looks exactly like a forbidden one
    refused = await _audit(service, "access_refused")
    async with service.db.read() as s:
        logins = {u.id: u.login for u in await s.scalars(select(User))}
    assert sorted(logins[e.user_id] for e in refused if e.entity_id != 0) == sorted(
        ["agent2001", "agent2001", "sup_west", "sup_west", "agent1002", "agent1002"]
    )
    assert [logins[e.user_id] for e in refused if e.entity_id == 0] == ["agent2001"]
    assert len(await _audit(service, "play")) == 2
