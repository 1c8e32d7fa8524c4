"""Recordings over HTTP: playback and download with Range (seeking), and the card-data mute.

URLs carry only the recording's opaque public id. A recording the user may not hear
answers 404 exactly like one that does not exist; the refusal is audited by the service.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import BinaryIO

from aiohttp import web

from agent_ui.context import current_user
from agent_ui.errors import json_error, json_object
from crm_core.domain_errors import NotFound
from crm_core.recording.access import Media, RecordingAccess
from crm_core.recording.mute import MuteController, MuteUnconfirmed

ACCESS = web.AppKey("recording_access", RecordingAccess)
MUTES = web.AppKey("recording_mutes", MuteController)
CHUNK = 64 * 1024
_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")  # bounded: int() stays cheap and 64-bit
_MUTE_STATUS = {"not_connected": 503, "timeout": 504, "invalid": 400}


def setup(app: web.Application, access: RecordingAccess, mutes: MuteController) -> None:
    """Add the recording routes; call before the app starts."""
    app[ACCESS] = access
    app[MUTES] = mutes
    app.router.add_post("/api/recordings/mute", mute)
    app.router.add_post("/api/recordings/resume", resume)
    app.router.add_get("/api/recordings/mute/{pbx}/{call_id}", mute_state)
    app.router.add_get("/api/recordings/{id}", describe)
    app.router.add_get("/api/recordings/{id}/audio", audio)


async def describe(request: web.Request) -> web.Response:
    """GET /api/recordings/{id}: status, duration, muted spans."""
    user = current_user(request)
    assert user is not None
    info = await request.app[ACCESS].describe(request.match_info["id"], user)
    if info is None:
        return json_error(request, 404, "error.not_found")
    return web.json_response(info, headers={"Cache-Control": "no-store"})


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(first, last) byte to send; None: send all; "unsatisfiable": answer 416."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return "unsatisfiable"  # not one byte range we can honour: 416 with the real size
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        return (max(0, size - suffix), size - 1) if suffix > 0 and size > 0 else "unsatisfiable"
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end


async def audio(request: web.Request) -> web.StreamResponse:
    """GET /api/recordings/{id}/audio[?download=1]: the file, seekable; each request is audited."""
    user = current_user(request)
    assert user is not None
    action = "download" if request.query.get("download") == "1" else "play"
    wanted = request.headers.get("Range", "")
    try:
        media = await request.app[ACCESS].open(request.match_info["id"], user, action, wanted)
        f = await asyncio.to_thread(open, media.path, "rb")
    except (NotFound, OSError, ValueError):  # ValueError: a stored path outside the store
        return json_error(request, 404, "error.not_found")
    try:
        if await asyncio.to_thread(lambda: os.fstat(f.fileno()).st_size) != media.size_bytes:
            await request.app[ACCESS].mark_corrupt(media.public_id, "the stored file changed size")
            return json_error(request, 404, "error.not_found")
        return await _send(request, media, f, parse_range(wanted, media.size_bytes), action)
    finally:
        await asyncio.to_thread(f.close)


async def _send(
    request: web.Request, media: Media, f: BinaryIO, span: tuple[int, int] | str | None, action: str
) -> web.StreamResponse:
    size = media.size_bytes
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store", "Content-Type": media.content_type}
    disposition = "attachment" if action == "download" else "inline"
    headers["Content-Disposition"] = f'{disposition}; filename="{media.file_name}"'
    if span == "unsatisfiable":
        headers.pop("Content-Type")
        return web.Response(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = span if isinstance(span, tuple) else (0, size - 1)
    response = web.StreamResponse(status=206 if isinstance(span, tuple) else 200, headers=headers)
    if isinstance(span, tuple):
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response.content_length = end - start + 1
    await response.prepare(request)
    await asyncio.to_thread(f.seek, start)
    left = end - start + 1
    while left > 0:
        chunk = await asyncio.to_thread(f.read, min(CHUNK, left))
        if not chunk:
            break  # the file shrank under us: the client sees a short body, never garbage
        await response.write(chunk)
        left -= len(chunk)
    await response.write_eof()
    return response


async def mute_state(request: web.Request) -> web.Response:
    """GET /api/recordings/mute/{pbx}/{call_id}: is the call's recording muted now?"""
    user = current_user(request)
    assert user is not None
    try:
        state = await request.app[MUTES].state(request.match_info["pbx"], request.match_info["call_id"], user)
    except NotFound:
        return json_error(request, 404, "error.not_found")
    return web.json_response(state.to_json())


async def mute(request: web.Request) -> web.Response:
    """POST /api/recordings/mute {"pbx", "call_id"}: pause the recording (card data)."""
    return await _change(request, muted=True)


async def resume(request: web.Request) -> web.Response:
    """POST /api/recordings/resume {"pbx", "call_id"}: record again."""
    return await _change(request, muted=False)


async def _change(request: web.Request, muted: bool) -> web.Response:
    user = current_user(request)
    assert user is not None
    body = await json_object(request)
    if isinstance(body, web.Response):
        return body
    for name in ("pbx", "call_id"):
        if not isinstance(body.get(name), str) or not 0 < len(body[name]) <= 64:
            return json_error(request, 400, "error.bad_request", field=name)
    mutes = request.app[MUTES]
    act = mutes.mute if muted else mutes.resume
    try:
        state = await act(body["pbx"], body["call_id"], user)
    except NotFound:
        return json_error(request, 404, "error.not_found")
    except MuteUnconfirmed as exc:
        status = _MUTE_STATUS.get(exc.code, 502)
        detail = "the PBX did not confirm: the recording is " + ("NOT muted" if muted else "STILL muted")
        return json_error(
            request,
            status,
            "error.unavailable",
            code=exc.code,
            muted=not muted,
            confirmed=False,
            detail=detail,
        )
    return web.json_response(state.to_json())
