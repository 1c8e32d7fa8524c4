# ruff: noqa: F811  (the web and stored fixtures are imported from test_playback_http)
"""Playback when the request or the stored file is not what it should be: 416 or 404, never 500."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select, update

from callcenter.service import Service
from crm_core.recording.models import Recording
from tests.recordings.support import answered_call
from tests.recordings.test_playback_http import CALL, stored, web  # noqa: F401  (fixtures)
from tests.recordings.web import RecordingsWeb


async def _rec(service: Service) -> Recording:
    async with service.db.read() as s:
        rec = await s.scalar(select(Recording).where(Recording.call_id == CALL))
    assert rec is not None
    return rec


async def test_a_range_with_absurdly_many_digits_answers_416_not_500(
    service: Service, web: RecordingsWeb, stored: tuple[str, bytes]
) -> None:
    url = f"{web.base}/api/recordings/{stored[0]}/audio"
    async with web.client("agent1001") as http:
        for header in (
            "bytes=" + "9" * 5000 + "-",
            "bytes=-" + "9" * 5000,
            "bytes=1-" + "9" * 40,
            "chars=0-1",
        ):
            async with http.get(url, headers={"Range": header}) as r:
                assert r.status == 416, header[:40]
                assert r.headers["Content-Range"] == f"bytes */{len(stored[1])}"


async def test_a_truncated_stored_file_answers_404_and_is_marked_corrupt(
    service: Service, web: RecordingsWeb, stored: tuple[str, bytes]
) -> None:
    rec = await _rec(service)
    assert rec.stored_path is not None
    os.truncate(web.store.root / rec.stored_path, len(stored[1]) // 2)
    async with web.client("agent1001") as http, http.get(f"{web.base}/api/recordings/{stored[0]}/audio") as r:
        assert r.status == 404
    assert (await _rec(service)).status == "corrupt"


async def test_a_stored_path_outside_the_store_or_unreadable_answers_404(
    service: Service, web: RecordingsWeb, stored: tuple[str, bytes], tmp_path: Path
) -> None:
    url = f"{web.base}/api/recordings/{stored[0]}/audio"
    rec = await _rec(service)
    assert rec.stored_path is not None
    (web.store.root / "adir").mkdir()
    for path in ("../../etc/passwd", "adir"):  # ValueError, then IsADirectoryError (an OSError)
        async with service.db.write() as s:
            await s.execute(update(Recording).where(Recording.id == rec.id).values(stored_path=path))
        async with web.client("agent1001") as http, http.get(url) as r:
            assert r.status == 404, path
    report = await web.recordings.verify()  # neither stops the verify run
    assert report.checked == 1 and report.missing == [stored[0]]


async def test_reading_the_mute_state_creates_no_recording_row(service: Service, web: RecordingsWeb) -> None:
    await answered_call(service.db, "1790000000.7", "Local/1001@agents/n", end=False)
    async with web.client("agent1001") as http:
        async with http.get(f"{web.base}/api/recordings/mute/test/1790000000.7") as r:
            assert r.status == 200 and (await r.json())["muted"] is False
        async with http.get(f"{web.base}/api/recordings/mute/test/1790000000.8") as r:
            assert r.status == 404  # no such call: refused (and audited), still no row
    async with service.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Recording)) == 0
