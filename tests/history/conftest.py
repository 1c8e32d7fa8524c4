"""A call center's day for the call history: the real service on each database, people of two
teams (tests/security/conftest.py) and calls written straight into the database, each with a
purpose the tests name it by.

The day is 2026-11-30 in the call center's zone (Asia/Shanghai, UTC+8). Two calls sit on
the day's edges: "edge" at 00:30 local (still 29 November in UTC) belongs to the day, "eve"
at 23:30 local on the 29th does not: a server reading dates as UTC would swap them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from crm_core.models import CallAgent, CallRecord, Customer, CustomerPhone
from crm_core.recording.models import Recording
from tests.security.conftest import ADMIN, AGENT_A, AGENT_B, SUP_A, SUP_B, Stack, stack_each_db  # noqa: F401
from tests.security.world import AUDIO

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 30, tzinfo=SHANGHAI)
PBX = "site1"
A_NUMBER, B_NUMBER = "+8613800000001", "+8613900000009"
CUSTOMER_A = "甲方客户 张三"  # owned by team A's agent
CUSTOMER_B = "乙方客户 李四"  # owned by team B's agent
FORMULA = '=HYPERLINK("http://x")'  # a caller name from the phone network, hostile to spreadsheets


@dataclass(frozen=True)
class Call:
    name: str
    at: datetime
    agent: str | None  # login of who took it
    number: str
    queue: str | None = "support"
    outcome: str | None = "answered"
    direction: str = "inbound"
    talk: float | None = 60.0
    customer: str | None = None  # "A" or "B"
    caller_name: str = ""
    recorded: bool = False
    offered_to: tuple[str, ...] = ()  # logins it rang without being taken


CALLS = (
    Call("a_support", DAY + timedelta(hours=9), AGENT_A, A_NUMBER, talk=120, customer="A", recorded=True),
    Call("a_sales", DAY + timedelta(hours=10), AGENT_A, "+8613800000002", queue="sales", talk=30,
         caller_name=FORMULA),
    Call("a_abandoned", DAY + timedelta(hours=11), None, A_NUMBER, outcome="abandoned", talk=None,
         customer="A"),
    Call("a_outbound", DAY + timedelta(hours=12), AGENT_A, A_NUMBER, queue=None, direction="outbound",
         talk=300, customer="A"),
    Call("a_missed", DAY + timedelta(hours=14), AGENT_B, "+8613700000003", talk=45, offered_to=(AGENT_A,)),
    Call("b_support", DAY + timedelta(hours=9, minutes=30), AGENT_B, B_NUMBER, talk=60, customer="B",
         recorded=True),
    Call("b_outbound", DAY + timedelta(hours=13), AGENT_B, "+8613900000008", queue=None, outcome="no_answer",
         direction="outbound", talk=None),
    Call("edge", DAY + timedelta(minutes=30), AGENT_A, "+8613800000004", talk=10),
    Call("eve", DAY - timedelta(minutes=30), AGENT_A, "+8613800000005", talk=10),
)  # fmt: skip
BY_NAME = {c.name: c for c in CALLS}


@dataclass
class Day:
    stack: Stack
    customers: dict[str, int]  # "A" / "B" -> id
    recordings: dict[str, str]  # call name -> public id

    def url(self, path: str) -> str:
        return self.stack.base + path

    def http(self, role: str) -> aiohttp.ClientSession:
        return self.stack.clients[role]

    async def get(self, role: str, path: str, **params: str) -> tuple[int, dict]:
        async with self.http(role).get(self.url(path), params=params) as resp:
            return resp.status, await resp.json()

    async def names(self, role: str, **params: str) -> list[str]:
        """The calls role finds with these filters, newest first, by the names above."""
        status, body = await self.get(role, "/api/v1/calls", limit="200", **params)
        assert status == 200, body
        assert body["total"] == len(body["items"]), "one page holds them all"
        return [item["call_id"] for item in body["items"]]


async def _customers(stack: Stack) -> dict[str, int]:
    async with stack.service.db.write() as s:
        a = Customer(name=CUSTOMER_A, owner_id=stack.ids[AGENT_A], phones=[CustomerPhone(e164=A_NUMBER)])
        b = Customer(name=CUSTOMER_B, owner_id=stack.ids[AGENT_B], phones=[CustomerPhone(e164=B_NUMBER)])
        s.add_all([a, b])
        await s.flush()
        return {"A": a.id, "B": b.id}


async def _call(stack: Stack, call: Call, customers: dict[str, int]) -> str | None:
    """Write one call (its agents and recording too); the recording's public id when recorded."""
    started = call.at.astimezone(UTC)
    answered = started + timedelta(seconds=8) if call.outcome == "answered" else None
    talk = call.talk or 0.0
    async with stack.service.db.write() as s:
        record = CallRecord(
            pbx=PBX, call_id=call.name, direction=call.direction, caller_number=call.number,
            caller_name=call.caller_name, customer_id=customers.get(call.customer or ""), queue=call.queue,
            agent_id=stack.ids[call.agent] if call.agent else None, status="ended", outcome=call.outcome,
            started_at=started, answered_at=answered, ended_at=started + timedelta(seconds=8 + talk),
            wait_seconds=8.0, talk_seconds=call.talk, notes="",
        )  # fmt: skip
        s.add(record)
        await s.flush()
        for login in call.offered_to:
            iface = f"PJSIP/{login}"
            s.add(
                CallAgent(
                    call_record_id=record.id,
                    agent_interface=iface,
                    agent_id=stack.ids[login],
                    result="no_answer",
                )
            )
        if call.agent:
            iface = f"PJSIP/{call.agent}"
            s.add(
                CallAgent(
                    call_record_id=record.id,
                    agent_interface=iface,
                    agent_id=stack.ids[call.agent],
                    result="answered",
                )
            )
        if not call.recorded:
            return None
        (stack.store / f"{call.name}.wav").write_bytes(AUDIO)
        rec = Recording(
            public_id=uuid.uuid4().hex, pbx=PBX, call_id=call.name, call_record_id=record.id,
            customer_id=record.customer_id, stored_path=f"{call.name}.wav", status="stored",
            size_bytes=len(AUDIO), duration_seconds=talk, format="wav", started_at=answered,
            ended_at=record.ended_at,
        )  # fmt: skip
        s.add(rec)
        return rec.public_id


@pytest.fixture
async def day(stack_each_db: Stack) -> Day:  # noqa: F811
    stack = stack_each_db
    stack.store.mkdir(parents=True, exist_ok=True)
    customers = await _customers(stack)
    recordings = {}
    for call in CALLS:
        public_id = await _call(stack, call, customers)
        if public_id:
            recordings[call.name] = public_id
    return Day(stack, customers, recordings)
