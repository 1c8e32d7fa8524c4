from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from pbxsim.ami_server import AmiServer
from tests.pbxsim.amiclient import RawAmiClient

TRACE_CHANNELVARS = ["IVR_CHOICE", "CRM_CALLID", "SCENARIO"]

MakeServer = Callable[..., Awaitable[AmiServer]]


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    """Start AmiServers on 127.0.0.1:0 (user crm / crm-secret); all are stopped after the test."""
    servers: list[AmiServer] = []

    async def start(**kwargs: Any) -> AmiServer:
        kwargs.setdefault("login_fail_delay", 0.2)
        server = AmiServer("crm", "crm-secret", **kwargs)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(make_server: MakeServer) -> AmiServer:
    return await make_server()


@pytest.fixture
async def clients() -> AsyncIterator[list[RawAmiClient]]:
    """Clients a test opened, closed after it."""
    opened: list[RawAmiClient] = []
    yield opened
    for client in opened:
        await client.close()


@pytest.fixture
def connect(clients: list[RawAmiClient]) -> Callable[[AmiServer], Awaitable[RawAmiClient]]:
    async def _connect(server: AmiServer) -> RawAmiClient:
        client = await RawAmiClient.connect(server.port)
        clients.append(client)
        return client

    return _connect
