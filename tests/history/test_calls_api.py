"""GET /api/v1/calls over a real socket: every filter narrows to exactly the calls it should,
pages are newest first and add up to the total, and a bad parameter is a 400 naming it."""

from __future__ import annotations

from tests.history.conftest import ADMIN, AGENT_A, BY_NAME, CALLS, CUSTOMER_A, Day

DAY_CALLS = [c for c in CALLS if c.name != "eve"]


def newest_first(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: BY_NAME[n].at, reverse=True)


async def test_without_filters_an_administrator_gets_every_call_newest_first(day: Day) -> None:
    assert await day.names(ADMIN) == newest_first([c.name for c in CALLS])


async def test_a_day_is_the_call_centers_day_not_utcs(day: Day) -> None:
    found = await day.names(ADMIN, **{"from": "2026-11-30", "to": "2026-11-30"})  # the whole day
    assert found == newest_first([c.name for c in DAY_CALLS])  # "edge" in, "eve" out
    assert await day.names(ADMIN, **{"to": "2026-11-29"}) == ["eve"]
    assert await day.names(ADMIN, **{"to": "2026-11-30T00:30"}) == ["eve"]  # a date-time: exclusive
    # an explicit offset is honoured: 00:00 UTC on the 30th is 08:00 in Shanghai
    morning = await day.names(
        ADMIN, **{"from": "2026-11-30T00:00:00+00:00", "to": "2026-11-30T09:30:00+08:00"}
    )
    assert morning == ["a_support"]
    assert await day.names(ADMIN, **{"from": "2026-11-30T13:00"}) == ["a_missed", "b_outbound"]


NARROWING = (  # (filter, the calls it finds, newest first)
    ({"queue": "sales"}, ["a_sales"]),
    ({"number": "+86 138-0000-0001"}, ["a_outbound", "a_abandoned", "a_support"]),
    ({"number": "13800000001"}, ["a_outbound", "a_abandoned", "a_support"]),
    ({"outcome": "abandoned"}, ["a_abandoned"]),
    ({"outcome": "no_answer"}, ["b_outbound"]),
    ({"direction": "outbound"}, ["b_outbound", "a_outbound"]),
    ({"min_duration": "100"}, ["a_outbound", "a_support"]),
    ({"min_duration": "30", "max_duration": "45"}, ["a_missed", "a_sales"]),
    ({"max_duration": "0"}, ["b_outbound", "a_abandoned"]),  # never talked
    ({"customer": "张三"}, ["a_outbound", "a_abandoned", "a_support"]),
    ({"direction": "inbound", "queue": "support", "outcome": "answered", "from": "2026-11-30T09:15"},
     ["a_missed", "b_support"]),
)  # fmt: skip


async def test_each_filter_narrows_to_exactly_its_calls(day: Day) -> None:
    for params, expected in NARROWING:
        assert await day.names(ADMIN, **params) == expected, params


async def test_agent_filter_is_who_took_the_call_and_customer_id_its_customer(day: Day) -> None:
    agent_a = str(day.stack.ids[AGENT_A])
    took = await day.names(ADMIN, agent_id=agent_a)  # not a_missed: it only rang them
    assert took == newest_first(["a_support", "a_sales", "a_outbound", "edge", "eve"])
    assert await day.names(ADMIN, customer_id=str(day.customers["A"])) == [
        "a_outbound",
        "a_abandoned",
        "a_support",
    ]
    assert await day.names(ADMIN, customer_id=str(day.customers["A"]), outcome="abandoned") == ["a_abandoned"]


async def test_a_line_carries_what_the_table_shows(day: Day) -> None:
    _status, body = await day.get(
        ADMIN, "/api/v1/calls", queue="support", outcome="answered", number="13800000001"
    )
    [line] = body["items"]
    assert line["customer_name"] == CUSTOMER_A and line["customer_id"] == day.customers["A"]
    assert line["agent_name"] == AGENT_A and line["talk_seconds"] == 120 and line["wait_seconds"] == 8
    assert line["number_display"] == "138 0000 0001" and line["direction"] == "inbound"
    assert line["started_at"] == "2026-11-30T01:00:00+00:00"  # 09:00 in Shanghai
    assert line["recording_id"] == day.recordings["a_support"] and line["recording_status"] == "stored"
    assert body["timezone"] == "Asia/Shanghai"


async def test_pages_are_newest_first_add_up_to_the_total_and_never_repeat(day: Day) -> None:
    seen: list[str] = []
    for offset in range(0, 10, 3):
        status, body = await day.get(ADMIN, "/api/v1/calls", limit="3", offset=str(offset))
        assert status == 200 and body["total"] == len(CALLS) and body["limit"] == 3
        seen += [item["call_id"] for item in body["items"]]
    assert seen == newest_first([c.name for c in CALLS])
    _status, past = await day.get(ADMIN, "/api/v1/calls", limit="3", offset="30")
    assert past["items"] == [] and past["total"] == len(CALLS)
    _status, filtered = await day.get(ADMIN, "/api/v1/calls", limit="2", direction="outbound")
    assert filtered["total"] == 2 and len(filtered["items"]) == 2


BAD = (  # (parameters, the field the 400 names)
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01"}, "to"),
    ({"from": "2026-11-30", "to": "2026-11-29"}, "to"),
    ({"from": "2026-11-30T10:00", "to": "2026-11-30T10:00"}, "to"),
    ({"agent_id": "abc"}, "agent_id"),
    ({"agent_id": "99999999999"}, "agent_id"),
    ({"customer_id": "0"}, "customer_id"),
    ({"outcome": "maybe"}, "outcome"),
    ({"direction": "sideways"}, "direction"),
    ({"min_duration": "-1"}, "min_duration"),
    ({"min_duration": "1.5"}, "min_duration"),
    ({"min_duration": "60", "max_duration": "30"}, "max_duration"),
    ({"number": "abc"}, "number"),
    ({"queue": "q" * 65}, "queue"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1000"}, "limit"),
    ({"offset": "-5"}, "offset"),
    ({"agent": "1"}, "agent"),  # a typo must not silently show every call
    ({"format": "xml"}, "format"),
    ({"from": "0001-01-01"}, "from"),
)


async def test_a_bad_parameter_is_a_400_naming_it(day: Day) -> None:
    for params, field in BAD:
        status, body = await day.get(ADMIN, "/api/v1/calls", **params)
        assert status == 400, (params, body)
        assert body["field"] == field and body["error"] == "error.bad_request", params
        if field in ("limit", "offset", "format"):
            continue  # the export has no pages, and its path says its format
        status, body = await day.get(ADMIN, "/api/v1/calls.csv", **params)
        assert status == 400 and body["field"] == field, params


async def test_anonymous_is_told_to_sign_in(day: Day) -> None:
    async with day.http("anonymous").get(day.url("/api/v1/calls")) as resp:
        assert resp.status == 401
