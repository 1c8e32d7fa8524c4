"""Alerts and today's figures over /ws/wallboard, with the simulator playing calls.

The service runs with [wallboard] thresholds a test can cross in a second or two: a
caller waiting over 1 s, an agent paused over 3 s (0.05 min), a service level under 80 %,
with a service level time T of 1 s ([kpi]).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.service import Service
from callcenter.settings import KpiSettings, WallboardSettings
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import AGENTS, PASSWORD, ami, make_settings  # noqa: F401  (shared fixtures)
from tests.polling import eventually
from tests.wallboard.screen import Screen, open_screen

A1001 = "Local/1001@agents/n"
ALERTING = WallboardSettings(
    queue_wait_alert_seconds=1.0, service_level_alert_percent=80.0, paused_alert_minutes=0.05
)


@pytest.fixture
def pbx(ami: AmiServer) -> Pbx:  # noqa: F811
    """The simulated PBX at real speed: its event times are the wall clock's, as a real Asterisk's
    are, so a wait or a pause crosses its threshold when the board's clock says it does."""
    simulated = Pbx(ami, speed=1.0)
    simulated.add_queue("support", "rrmemory")
    simulated.add_members("support", AGENTS)
    return simulated


@pytest.fixture
async def service(tmp_path: Path, ami: AmiServer, pbx: Pbx) -> AsyncIterator[Service]:  # noqa: F811
    settings = make_settings(tmp_path, ami.port)
    kpi = KpiSettings(service_level_seconds=1.0)
    svc = Service(dataclasses.replace(settings, wallboard=ALERTING, kpi=kpi))
    await svc.start()
    try:
        await svc.users.create("agent1001", PASSWORD, "李娜", interface=A1001, extension="1001")
        await svc.users.create("agent1002", PASSWORD, "Tom", interface="Local/1002@agents/n")
        await svc.users.create("admin1", PASSWORD, "Admin", role="admin")
        await eventually(lambda: svc.pbx_links["test"].connected)
        yield svc
    finally:
        await svc.stop()


@pytest.fixture
async def screen(service: Service) -> AsyncIterator[Screen]:
    opened = await open_screen(service.web_port, "admin1")
    await opened.wait_for(lambda: opened.seats.get(A1001, {}).get("state") == "ready")
    yield opened
    await opened.close()


def _alert_keys(message: dict[str, Any]) -> list[str] | None:
    return None if "alerts" not in message else [a["key"] for a in message["alerts"]]


def _latest_alerts(screen: Screen) -> list[str]:
    lists = [keys for keys in map(_alert_keys, screen.messages) if keys is not None]
    return lists[-1] if lists else []


async def test_a_long_wait_is_pushed_by_the_clock_then_cleared_and_todays_figures_follow_the_call(
    service: Service,
    pbx: Pbx,
    screen: Screen,
) -> None:
    call = asyncio.create_task(
        queue_call(pbx, "13800138000", "", "support", A1001, member_name="Agent",
                   wait_seconds=3, ring_seconds=0.5, talk_seconds=0.5)
    )  # fmt: skip
    await screen.wait_for(lambda: "queue_wait:support" in _latest_alerts(screen))
    raised = next(m for m in screen.messages if "queue_wait:support" in (_alert_keys(m) or []))
    # Nothing happened on the PBX meanwhile: the ticker found the threshold crossed and pushed it alone.
    assert raised["type"] == "delta" and raised["seats"] == [] and raised["queues"] == []
    [alert] = [a for a in raised["alerts"] if a["key"] == "queue_wait:support"]
    assert (alert["kind"], alert["subject"], alert["threshold"]) == ("queue_wait", "support", 1.0)
    oldest = next(q["oldest"] for q in screen.queue_history["support"] if q["oldest"] is not None)
    assert alert["since"] == pytest.approx(oldest + 1.0)

    await screen.wait_for(lambda: "queue_wait:support" not in _latest_alerts(screen))
    await asyncio.wait_for(call, 20)
    # Answered after 3 s, over T = 1 s: today's service level is 0 %, under 80 %.
    await screen.wait_for(lambda: screen.queues["support"]["today"]["answered"] == 1)
    assert screen.queues["support"]["today"] == {
        "offered": 1, "answered": 1, "abandoned": 0, "short_abandoned": 0,
        "timed_out": 0, "service_level": 0.0,
    }  # fmt: skip
    await screen.wait_for(lambda: _latest_alerts(screen) == ["service_level:support"])


async def test_an_agent_paused_past_the_threshold_raises_an_alert_cleared_when_ready(
    service: Service, screen: Screen
) -> None:
    link = service.pbx_links["test"]
    await link.set_paused(A1001, True, "lunch")
    await screen.wait_for(lambda: screen.seats[A1001]["state"] == "paused")
    assert f"paused:{A1001}" not in _latest_alerts(screen)
    await screen.wait_for(lambda: f"paused:{A1001}" in _latest_alerts(screen), within=10)
    await link.set_paused(A1001, False)
    await screen.wait_for(lambda: f"paused:{A1001}" not in _latest_alerts(screen))
    again = await open_screen(service.web_port, "admin1")
    try:
        assert again.messages[0]["alerts"] == []  # a screen connecting now sees none either
    finally:
        await again.close()


async def test_a_screen_that_connects_during_an_alert_gets_it_in_its_snapshot(
    service: Service,
    pbx: Pbx,
    screen: Screen,
) -> None:
    call = asyncio.create_task(queue_call(pbx, "13800138000", "", "support", None, wait_seconds=100))
    try:
        await screen.wait_for(lambda: "queue_wait:support" in _latest_alerts(screen))
        late = await open_screen(service.web_port, "admin1")
        try:
            assert [a["key"] for a in late.messages[0]["alerts"]] == ["queue_wait:support"]
        finally:
            await late.close()
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
