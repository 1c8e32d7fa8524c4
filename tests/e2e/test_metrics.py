"""/metrics: what a team watching the service in Prometheus sees, and who may read it."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from callcenter.service import Service
from callcenter.settings import MetricsSettings
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.e2e.conftest import make_settings

AGENT_1001 = "Local/1001@agents/n"


def _value(text: str, name: str, labels: str = "") -> float:
    """One sample of the exposition text (labels as written, e.g. 'pbx="test"')."""
    pattern = (
        rf"^{re.escape(name)}{{{re.escape(labels)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    )
    match = re.search(pattern, text, flags=re.M)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(1))


async def _scrape(port: int, **headers: str) -> tuple[int, str, str]:
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def test_given_a_call_popped_then_metrics_show_events_link_console_popup_and_database(
    service: Service, pbx: Pbx, open_console
) -> None:
    _, _, before = await _scrape(service.web_port)
    pops_before = _value(before, "crm_popup_latency_seconds_count")
    console = await open_console("agent1001")

    await queue_call(pbx, "13800138000", "Caller", "support", AGENT_1001, wait_seconds=0.2, ring_seconds=0.4,
                     talk_seconds=0.4)  # fmt: skip
    await console.wait_for(lambda m: m["type"] == "pop")
    await service.bus.drain()

    status, kind, text = await _scrape(service.web_port)
    assert status == 200 and kind.startswith("text/plain; version=0.0.4")
    assert _value(text, "crm_ami_events_total", 'pbx="test"') > 10
    assert _value(text, "crm_ami_link_up", 'pbx="test"') == 1.0
    assert _value(text, "crm_consoles_connected") == 1.0
    assert _value(text, "crm_wallboards_connected") == 0.0
    assert _value(text, "crm_bus_queue_depth", 'subscriber="call-records"') == 0.0
    assert _value(text, "crm_popup_latency_seconds_count") == pops_before + 1
    assert _value(text, "crm_db_seconds_count", 'engine="writer",kind="transaction"') > 0
    assert _value(text, "crm_db_seconds_count", 'engine="writer",kind="statement"') > 0


async def test_given_no_token_then_only_loopback_without_a_proxy_reads_metrics(service: Service) -> None:
    assert (await _scrape(service.web_port))[0] == 200
    status, _, body = await _scrape(service.web_port, **{"X-Forwarded-For": "203.0.113.9"})
    assert status == 403 and "crm_" not in body


@pytest.fixture
async def guarded(tmp_path: Path):
    settings = replace(make_settings(tmp_path, 1), pbx=[], metrics=MetricsSettings(token="prom-token-1"))
    svc = Service(settings)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


async def test_given_a_token_then_metrics_need_that_bearer_token_even_on_loopback(guarded: Service) -> None:
    port = guarded.web_port
    status, _, body = await _scrape(port)
    assert status == 401 and "crm_" not in body
    assert (await _scrape(port, Authorization="Bearer wrong"))[0] == 401
    assert (await _scrape(port, Authorization="Basic cHJvbTpwcm9tLXRva2VuLTE="))[0] == 401
    status, _, body = await _scrape(port, Authorization="Bearer prom-token-1")
    assert status == 200 and "crm_consoles_connected 0.0" in body
