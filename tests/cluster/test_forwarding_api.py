"""A click-to-dial on an instance whose PBX owner just died: a prompt 503 the console can retry, no hang.

The real service runs clustered; a "ghost" instance holds the PBX's lease and its ready
marker (as an owner SIGKILLed a moment ago leaves them), so the dial is forwarded, nobody
takes it, and the service answers once the forwarding timeout has passed.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcenter.service import Service
from callcenter.settings import ClusterSettings
from pbxsim.ami_server import AmiServer
from tests.cluster.conftest import REDIS_URL
from tests.e2e.conftest import PASSWORD, make_settings
from tests.signin import sign_in

FORWARD_TIMEOUT = 1.0


@pytest.fixture
async def standby(tmp_path: Path, redis: Any, namespace: str) -> AsyncIterator[Service]:
    """A clustered service that never gets the PBX: the ghost holds its lease for the whole test."""
    await redis.set(f"{namespace}:pbx:test:owner", "ghost:0", px=60_000)
    ami = AmiServer("crm", "unused")  # never reached: the lease is the ghost's
    await ami.start()
    cluster = ClusterSettings(
        redis_url=REDIS_URL,
        namespace=namespace,
        instance_id="standby",
        forward_timeout_seconds=FORWARD_TIMEOUT,
    )
    service = Service(dataclasses.replace(make_settings(tmp_path, ami.port), cluster=cluster))
    await service.start()
    try:
        await service.users.create(
            "agent1001", PASSWORD, "Agent", interface="Local/1001@agents/n", extension="1001"
        )
        yield service
    finally:
        await service.stop()
        await ami.stop()


async def test_a_dial_nobody_takes_is_answered_503_after_the_forwarding_timeout(
    standby: Service, redis: Any, namespace: str
) -> None:
    base = f"http://127.0.0.1:{standby.web_port}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await sign_in(http, base, "agent1001")
        await redis.set(f"{namespace}:pbx:test:ready", "ghost", px=60_000)  # the dead owner's last marker
        await standby.cluster.forwarder.refresh()  # type: ignore[union-attr]
        started = time.monotonic()
        async with http.post(f"{base}/api/calls/dial", json={"number": "13800000001"}) as resp:
            took = time.monotonic() - started
            assert resp.status == 503, await resp.text()
            assert resp.headers.get("Retry-After")
        assert FORWARD_TIMEOUT <= took < FORWARD_TIMEOUT + 2.0
        assert await redis.llen(f"{namespace}:pbx:test:requests") == 0  # withdrawn: never placed later

        await redis.delete(f"{namespace}:pbx:test:ready")  # the marker lapsed: linked nowhere
        await standby.cluster.forwarder.refresh()  # type: ignore[union-attr]
        started = time.monotonic()
        async with http.post(f"{base}/api/calls/dial", json={"number": "13800000001"}) as resp:
            assert resp.status == 503
        assert time.monotonic() - started < FORWARD_TIMEOUT  # refused at once, nothing sent
