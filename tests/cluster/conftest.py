"""Fixtures of the cluster tests: the real Redis on loopback, one key namespace per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.conftest import need_service

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_reachable() -> str | None:
    client = aioredis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"Redis unreachable at {REDIS_URL}: {exc!r}"
    finally:
        await client.aclose()


@pytest.fixture
def namespace() -> str:
    return f"crm-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def redis(namespace: str) -> AsyncIterator[Any]:
    """A client of the real Redis; every key of this test's namespace is deleted afterwards."""
    need_service(await redis_reachable())
    client = aioredis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
    try:
        yield client
    finally:
        keys = [k async for k in client.scan_iter(match=f"{namespace}:*", count=100)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
