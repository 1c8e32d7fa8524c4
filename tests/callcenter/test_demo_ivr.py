"""Demo mode with an IVR: a demo caller goes through the IVR over FastAGI first, and the routing
variables it got ride on the call to the agent's pop-up."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.demo import DemoPbx
from callcenter.demo_data import DEMO_AGENTS, seed_demo
from callcenter.service import Service
from callcenter.settings import PbxSettings
from tests.e2e.conftest import PASSWORD, make_settings
from tests.e2e.conftest import open_console as open_console  # the shared fixture
from tests.e2e.test_ivr_wiring import ALWAYS_OPEN
from tests.ivr.helpers import example_config


@pytest.fixture
async def demo() -> AsyncIterator[DemoPbx]:
    pbx = DemoPbx(0, call_every_seconds=3600, seed=7)
    pbx.pbx.speed = 10.0  # the demo's calls last tens of seconds; play them faster here
    await pbx.start()
    yield pbx
    await pbx.stop()


@pytest.fixture
async def service(tmp_path: Path, demo: DemoPbx) -> AsyncIterator[Service]:
    """Wired as `callcenter run` wires demo mode with an [ivr] table."""
    link = PbxSettings(name="demo", port=demo.port, username=demo.username, secret=demo.secret)
    ivr = example_config(pbx="demo", hours=ALWAYS_OPEN)
    svc = Service(dataclasses.replace(make_settings(tmp_path, demo.port), pbx=[link], ivr=ivr))
    await svc.start()
    await seed_demo(svc.users, svc.customers, PASSWORD)
    assert svc.ivr is not None
    demo.ivr_port = svc.ivr.port
    yield svc
    await svc.stop()


async def test_demo_caller_goes_through_the_ivr_and_the_pop_shows_its_variables(
    service: Service, demo: DemoPbx, open_console
) -> None:
    consoles = [await open_console(agent.login) for agent in DEMO_AGENTS]
    result = await demo._one_call()
    pops = [
        m
        for c in consoles
        for m in c.messages
        if m["type"] == "pop" and m["pop_id"] == f"demo:{result.linkedid}"
    ]
    assert len(pops) == 1
    assert pops[0]["call"]["variables"].get("CRM_LANG") in ("zh", "en")
    record = await service.calls.get("demo", result.linkedid)
    assert record is not None and record.language in ("zh", "en")  # stored by the IVR on the same call
