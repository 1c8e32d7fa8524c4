"""Fixtures for the CTI tests: a fake AMI server on a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.cti.fake_ami import FakeAmi


@pytest.fixture
async def fake_ami() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()
