"""The agent's own seat over HTTP: pause with a reason and back to ready reach the PBX as QueuePause,
and the PBX's answer comes back to the agent's console as the seat state."""

from __future__ import annotations

from typing import Any

import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from tests.console.conftest import AGENT_1001, not_pings, sent
from tests.e2e.conftest import PASSWORD, eventually


async def test_given_an_agent_when_pausing_for_lunch_then_queuepause_with_the_reason_and_the_console_shows_it(
    service: Service, ami: AmiServer, open_console, client
) -> None:
    console = await open_console("agent1001")
    http = await client("agent1001")

    async with http.post("/api/seat/pause", json={"reason": "lunch"}) as resp:
        assert resp.status == 202, await resp.text()
        assert await resp.json() == {"paused": True, "reason": "lunch"}
    seat = await console.wait_for(lambda m: m["type"] == "seat" and m["state"] == "paused")
    assert seat["reason"] == "lunch"
    [pause] = sent(ami, "QueuePause")
    assert (pause["Interface"], pause["Paused"], pause["Reason"]) == (AGENT_1001, "true", "lunch")
    assert "Queue" not in pause  # every queue of the seat

    mark = len(console.messages)
    async with http.post("/api/seat/ready") as resp:
        assert resp.status == 202
    await eventually(lambda: _seat_after(console.messages, mark) == "ready")
    assert [(a["Interface"], a["Paused"]) for a in sent(ami, "QueuePause")] == [
        (AGENT_1001, "true"),
        (AGENT_1001, "false"),
    ]


def _seat_after(messages: list[dict[str, Any]], mark: int) -> str | None:
    """The latest seat state the console got after index `mark`."""
    states = [m["state"] for m in messages[mark:] if m["type"] == "seat"]
    return states[-1] if states else None


BAD_PAUSES: list[tuple[Any, str]] = [
    ({}, "reason"),
    ({"reason": 5}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": "lunch\r\nAction: QueueRemove"}, "reason"),
    ({"reason": "x" * 65}, "reason"),
    ({"reason": "nap"}, "reason"),  # not one of the administrators' pause reasons
    ({"reason": "lunch", "queue": "support"}, "queue"),  # unknown fields are refused, not ignored
    (["lunch"], "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PAUSES)
async def test_given_a_bad_pause_payload_then_400_naming_the_field_and_nothing_reaches_the_pbx(
    service: Service, ami: AmiServer, client, body: Any, field: str
) -> None:
    http = await client("agent1001")
    before = len(not_pings(ami))
    async with http.post("/api/seat/pause", json=body) as resp:
        assert resp.status == 400
        assert (await resp.json())["field"] == field
    garbled = {"data": b"{not json", "headers": {"Content-Type": "application/json"}}
    async with http.post("/api/seat/pause", **garbled) as resp:
        assert resp.status == 400 and (await resp.json())["field"] == "body"
    assert not_pings(ami)[before:] == []


async def test_given_the_pbx_down_when_pausing_or_ready_then_503_with_retry_after(
    service: Service, ami: AmiServer, client
) -> None:
    http = await client("agent1001")
    await ami.stop()
    await eventually(lambda: not service.pbx_links["test"].connected, within=10)
    for path, body in (("/api/seat/pause", {"reason": "lunch"}), ("/api/seat/ready", None)):
        async with http.post(path, json=body) as resp:
            assert resp.status == 503 and resp.headers["Retry-After"] == "5"
            assert (await resp.json())["error"] == "console.pbx.down"


async def test_given_a_user_with_no_phone_when_pausing_then_409_and_nothing_is_sent(
    service: Service, ami: AmiServer, client
) -> None:
    await service.users.create("sup", PASSWORD, "Supervisor", role="supervisor")
    http = await client("sup")
    before = len(not_pings(ami))
    async with http.post("/api/seat/pause", json={"reason": "lunch"}) as resp:
        assert resp.status == 409 and (await resp.json())["error"] == "dial.no_phone"
    assert not_pings(ami)[before:] == []


async def test_given_no_csrf_token_when_pausing_then_refused_and_nothing_is_sent(
    service: Service, ami: AmiServer, client
) -> None:
    http = await client("agent1001")
    del http.headers["X-CSRF-Token"]
    before = len(not_pings(ami))
    async with http.post("/api/seat/pause", json={"reason": "lunch"}) as resp:
        assert resp.status == 403
    assert not_pings(ami)[before:] == []
