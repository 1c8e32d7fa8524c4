"""Every WebSocket of the app refuses a handshake from another site's page, without a session,
or with an ended one; and (the wallboard) from a role that may not watch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import update

from crm_core.models import WebSession
from tests.security.conftest import AGENT_A, ANON, SUP_A, Stack

# socket path -> a role that may open it; a new socket must be added here
SOCKETS = {"/ws": AGENT_A, "/ws/wallboard": SUP_A}
REFUSED_ROLES = {"/ws/wallboard": AGENT_A}  # signed in, but not a role that may watch


async def _handshake(http: aiohttp.ClientSession, url: str, **headers: str) -> int:
    try:
        socket = await http.ws_connect(url, headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    await socket.close()
    return 101


def test_every_socket_of_the_app_is_covered(stack: Stack) -> None:
    app = stack.service._runner.app  # type: ignore[union-attr]
    sockets = {r.resource.canonical for r in app.router.routes() if r.resource.canonical.startswith("/ws")}
    assert sockets == set(SOCKETS)


@pytest.mark.parametrize("path", list(SOCKETS))
async def test_given_our_origin_and_a_live_session_then_the_socket_opens(stack: Stack, path: str) -> None:
    status = await _handshake(stack.clients[SOCKETS[path]], stack.base + path, Origin=stack.base)
    assert status == 101


@pytest.mark.parametrize("path", list(SOCKETS))
async def test_given_a_foreign_origin_then_refused(stack: Stack, path: str) -> None:
    for origin in (
        "https://evil.example",
        "null",
        "http://127.0.0.1:1",
        stack.base.replace("http:", "https:"),
    ):
        assert await _handshake(stack.clients[SOCKETS[path]], stack.base + path, Origin=origin) == 403, origin


@pytest.mark.parametrize("path", list(SOCKETS))
async def test_given_no_session_then_refused(stack: Stack, path: str) -> None:
    assert await _handshake(stack.clients[ANON], stack.base + path, Origin=stack.base) == 401
    forged = aiohttp.ClientSession(headers={"Cookie": "crm_session=made-up-token"})
    try:
        assert await _handshake(forged, stack.base + path) == 401
    finally:
        await forged.close()


@pytest.mark.parametrize("path", list(SOCKETS))
async def test_given_an_ended_session_then_refused(stack: Stack, path: str) -> None:
    for how in ("expired", "signed_out"):
        http = await stack.client(SOCKETS[path])
        try:
            assert await _handshake(http, stack.base + path) == 101
            if how == "expired":  # past the absolute time-out
                async with stack.service.db.write() as s:
                    old = datetime.now(UTC) - timedelta(days=2)
                    await s.execute(update(WebSession).values(created_at=old))
            else:
                async with http.post(f"{stack.base}/logout", allow_redirects=False) as resp:
                    assert resp.status == 302
            assert await _handshake(http, stack.base + path) == 401, how
        finally:
            await http.close()


@pytest.mark.parametrize("path", list(REFUSED_ROLES))
async def test_given_a_role_that_may_not_watch_then_refused_and_audited(stack: Stack, path: str) -> None:
    role = REFUSED_ROLES[path]
    assert await _handshake(stack.clients[role], stack.base + path, Origin=stack.base) == 403
    rows = await stack.service.crm.audit.list(entity="access")
    assert any(r.action == "refused" and r.after["path"] == path for r in rows)
