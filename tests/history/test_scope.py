"""Who finds which calls: a supervisor their team's calls (and those of customers they may see),
never another team's; an agent only their own calls; recordings offered only where playable."""

from __future__ import annotations

from tests.history.conftest import ADMIN, AGENT_A, AGENT_B, SUP_A, SUP_B, Day

TEAM_A = {"a_support", "a_sales", "a_abandoned", "a_outbound", "a_missed", "edge", "eve"}
TEAM_B = {"b_support", "b_outbound", "a_missed"}  # a_missed was taken by team B after ringing team A


async def test_supervisor_b_sees_none_of_team_as_calls_and_a_sees_none_of_bs(day: Day) -> None:
    assert set(await day.names(SUP_B)) == TEAM_B
    assert set(await day.names(SUP_A)) == TEAM_A
    # a filter cannot reach round the rule: team A's customer name and number find nothing for B
    assert await day.names(SUP_B, customer="张三") == []
    assert await day.names(SUP_B, number="13800000001") == []


async def test_naming_another_teams_agent_or_customer_is_a_404_and_audited(day: Day) -> None:
    agent_a, customer_a = day.stack.ids[AGENT_A], day.customers["A"]
    for role, params in (
        (SUP_B, {"agent_id": str(agent_a)}),
        (SUP_B, {"customer_id": str(customer_a)}),
        (AGENT_B, {"agent_id": str(agent_a)}),  # an agent: only themselves
    ):
        for path in ("/api/v1/calls", "/api/v1/calls.csv"):
            status, body = await day.get(role, path, **params)
            assert status == 404 and body["error"] == "error.not_found", (role, path, params)
    status, _body = await day.get(SUP_B, "/api/v1/calls", agent_id="999999")  # nobody: a plain miss
    assert status == 404
    refused = await day.stack.service.crm.audit.list(entity="user", entity_id=agent_a)
    assert [(r.action, r.user_id) for r in refused].count(("access_refused", day.stack.ids[SUP_B])) == 2
    refused = await day.stack.service.crm.audit.list(entity="customer", entity_id=customer_a)
    assert any(r.action == "access_refused" and r.user_id == day.stack.ids[SUP_B] for r in refused)
    assert await day.names(SUP_A, agent_id=str(agent_a)) != []  # their own team's agent: fine


async def test_totals_count_only_what_the_viewer_may_see(day: Day) -> None:
    for role, expected in ((SUP_A, TEAM_A), (SUP_B, TEAM_B), (ADMIN, TEAM_A | TEAM_B)):
        _status, body = await day.get(role, "/api/v1/calls", limit="1")
        assert body["total"] == len(expected), role
        _status, outbound = await day.get(role, "/api/v1/calls", direction="outbound")
        assert outbound["total"] == len([n for n in expected if "outbound" in n]), role


async def test_an_agent_gets_only_their_own_calls_and_is_refused_the_page(day: Day) -> None:
    # a_abandoned is on agent A's customer's timeline, but it never reached them: not their history
    assert set(await day.names(AGENT_A)) == {"a_support", "a_sales", "a_outbound", "a_missed", "edge", "eve"}
    assert set(await day.names(AGENT_B)) == {"b_support", "b_outbound", "a_missed"}
    async with day.http(AGENT_A).get(day.url("/calls"), allow_redirects=False) as resp:
        assert resp.status == 403
    async with day.http(SUP_A).get(day.url("/calls")) as resp:
        assert resp.status == 200 and 'id="h-filters"' in await resp.text()


async def test_a_customer_the_viewer_may_not_open_is_not_named(day: Day) -> None:
    """a_missed reached team A, so supervisor A sees the call; it has no customer. b_support's
    customer belongs to team B: shown to B and the administrator only."""
    _status, body = await day.get(SUP_B, "/api/v1/calls", number="13900000009")
    assert body["items"][0]["customer_name"] == "乙方客户 李四"
    _status, body = await day.get(SUP_A, "/api/v1/calls", limit="200")
    assert "乙方客户" not in str(body)


async def test_the_recording_is_offered_only_to_who_may_play_it_and_plays(day: Day) -> None:
    public_id = day.recordings["a_support"]
    for role, offered in ((SUP_A, True), (AGENT_A, True), (ADMIN, True)):
        _status, body = await day.get(role, "/api/v1/calls", number="13800000001", outcome="answered")
        [line] = [i for i in body["items"] if i["call_id"] == "a_support"]
        assert (line["recording_id"] == public_id) is offered, role
        async with day.http(role).get(day.url(f"/api/recordings/{public_id}/audio")) as resp:
            assert resp.status == 200, role
    # supervisor B: not in the list at all, and the audio is refused as if it did not exist
    _status, body = await day.get(SUP_B, "/api/v1/calls", limit="200")
    assert public_id not in str(body)
    async with day.http(SUP_B).get(day.url(f"/api/recordings/{public_id}/audio")) as resp:
        assert resp.status == 404
    # team A sees b_support? no; b's recording is offered to B's supervisor only
    _status, body = await day.get(SUP_B, "/api/v1/calls", number="13900000009")
    assert body["items"][0]["recording_id"] == day.recordings["b_support"]
    _status, body = await day.get(AGENT_B, "/api/v1/calls", queue="support", outcome="answered")
    missed = [i for i in body["items"] if i["call_id"] == "a_missed"]
    assert missed and missed[0]["recording_id"] is None  # not recorded
