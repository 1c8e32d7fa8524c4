"""Listen / whisper / barge from the wallboard: the supervisor's own phone runs ChanSpy on the agent's leg.

Over real sockets: the HTTP request goes to the running service, the Originate it causes
goes over AMI to the simulated PBX, which answers it as Asterisk does (ChanSpyStart naming
the supervisor's phone as spyer and the agent's channel as spyee).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from callcenter.service import Service
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import AMI_SECRET, eventually
from tests.pbxsim.amiclient import Msg, RawAmiClient, header
from tests.supervisor.conftest import (
    AGENT_1001,
    SUP_A_PHONE,
    People,
    answered_call,
    finish,
    not_pings,
    sent,
    talking,
)


@pytest.fixture
async def observer(ami: AmiServer) -> AsyncIterator[RawAmiClient]:
    """A second AMI client that sees every event the PBX sends (like a PBX admin's tool)."""
    client = await RawAmiClient.connect(ami.port)
    await client.login(secret=AMI_SECRET)
    yield client
    await client.close()


async def _until_event(client: RawAmiClient, name: str) -> Msg:
    while True:
        message = await client.read()
        if header(message, "Event") == name:
            return message


def _on_call(service: Service) -> bool:
    seat = service.wallboard.board.seats.get(AGENT_1001)
    return seat is not None and seat.state == "on_call"


@pytest.mark.parametrize(("mode", "options"), [("listen", "q"), ("whisper", "qw"), ("barge", "qB")])
async def test_given_a_live_call_when_the_teams_supervisor_spies_then_chanspy_from_their_own_phone(
    service: Service,
    ami: AmiServer,
    pbx: Pbx,
    people: People,
    client,
    open_console,
    observer: RawAmiClient,
    mode: str,
    options: str,
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=60)
    try:
        pop = await talking(console)
        await eventually(lambda: _on_call(service))
        leg = service.pbx_links["test"].tracker.agent_channel(pop["call"]["call_id"], AGENT_1001)
        assert leg and leg.startswith("Local/1001@agents-")
        http = await client("sup_a")
        async with http.post("/api/supervisor/spy", json={"agent_id": people.agent_a, "mode": mode}) as resp:
            assert resp.status == 202, await resp.text()
            assert await resp.json() == {"agent_id": people.agent_a, "action": "spy", "mode": mode}

        [originate] = sent(ami, "Originate")
        assert originate["Channel"] == SUP_A_PHONE  # the supervisor's own phone rings
        assert (originate["Application"], originate["Data"]) == ("ChanSpy", f"{leg},{options}")
        assert originate["ChannelId"].startswith("spy-") and originate["Async"] == "true"
        start = await _until_event(observer, "ChanSpyStart")
        assert (header(start, "SpyerChannel") or "").startswith(f"{SUP_A_PHONE}-")
        assert header(start, "SpyeeChannel") == leg

        [row] = await service.crm.audit.list(entity="seat", entity_id=people.agent_a)
        assert (row.user_id, row.action) == (people.sup_a, "spy")
        assert row.after == {"interface": AGENT_1001, "pbx": "test", "mode": mode, "result": "sent"}
        assert service.wallboard.board.seats[SUP_A_PHONE].calls == {}  # the spy leg is no call on the board
    finally:
        await finish(call)


async def test_given_an_administrator_then_any_teams_call_may_be_barged(
    service: Service, ami: AmiServer, pbx: Pbx, people: People, client, open_console
) -> None:
    console = await open_console("agent1001")
    call = answered_call(pbx, talk=60)
    try:
        await talking(console)
        await eventually(lambda: _on_call(service))
        http = await client("admin1")
        body = {"agent_id": people.agent_a, "mode": "barge"}
        async with http.post("/api/supervisor/spy", json=body) as resp:
            assert resp.status == 202, await resp.text()
        [originate] = sent(ami, "Originate")
        assert originate["Channel"] == "PJSIP/2009" and originate["Data"].endswith(",qB")
    finally:
        await finish(call)


async def test_given_no_call_on_the_seat_then_409_and_nothing_reaches_the_pbx(
    service: Service, ami: AmiServer, people: People, client
) -> None:
    await eventually(lambda: service.wallboard.board.seats[AGENT_1001].state == "ready")
    http = await client("sup_a")
    before = len(not_pings(ami))
    async with http.post("/api/supervisor/spy", json={"agent_id": people.agent_a, "mode": "listen"}) as resp:
        assert resp.status == 409
        assert (await resp.json())["error"] == "supervisor.spy.no_call"
    assert not_pings(ami)[before:] == []


async def test_given_a_supervisor_without_a_phone_then_409_for_spy(
    service: Service, ami: AmiServer, people: People, client
) -> None:
    http = await client("sup_nophone")
    before = len(not_pings(ami))
    async with http.post("/api/supervisor/spy", json={"agent_id": people.agent_a, "mode": "barge"}) as resp:
        assert resp.status == 409
        body = await resp.json()
        assert body["error"] == "supervisor.no_phone" and body["message"]
    assert not_pings(ami)[before:] == []
