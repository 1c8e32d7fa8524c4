"""A busy day's data for the KPI volume test and bench/kpi_report.py: call records, 300 agents'
seat history and callback attempts, inserted with Core batches."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from crm_core.callbacks.models import Callback, CallbackAttempt
from crm_core.db import Database
from crm_core.models import CallAgent, CallRecord, SeatState, User

AGENTS, SPANS_PER_AGENT = 300, 60
DAY = datetime(2026, 11, 29, 16, tzinfo=UTC)  # 2026-11-30 00:00 in Shanghai


@dataclass(frozen=True)
class Viewer:
    id: int
    role: str


async def fill(db: Database, calls: int) -> tuple[list[int], int]:
    rnd = random.Random(8)
    async with db.write() as s:
        await s.execute(insert(User), [
            {"login": f"a{i}", "password_hash": "-", "role": "agent", "display_name": f"Agent {i}",
             "team": f"T{i % 10}", "interface": f"PJSIP/{2000 + i}"} for i in range(AGENTS)
        ])  # fmt: skip
        sup = User(login="sup", password_hash="-", role="supervisor", display_name="Sup", team="T3")
        s.add(sup)
        await s.flush()
        agents = list(await s.scalars(select(User.id).where(User.role == "agent").order_by(User.id)))
        rows = []
        for i in range(calls):
            start = DAY + timedelta(seconds=rnd.uniform(0, 86_400))
            answered = rnd.random() < 0.85
            wait = rnd.uniform(0, 120)
            rows.append({
                "pbx": "main", "call_id": f"perf-{i}", "direction": "inbound", "queue": f"q{i % 8}",
                "caller_number": f"+86138{rnd.randrange(10**8):08d}", "customer_id": None,
                "agent_id": rnd.choice(agents) if answered else None, "status": "ended",
                "outcome": "answered" if answered else "abandoned", "started_at": start,
                "ended_at": start + timedelta(seconds=wait + 200), "wait_seconds": wait,
                "talk_seconds": 200.0 if answered else 0.0, "hold_seconds": 10.0, "wrapup_seconds": 20.0,
                "survey_score": rnd.choice((None, 3, 4, 5)), "disposition": rnd.choice(("resolved", None)),
                "notes": "", "transferred": False,
            })  # fmt: skip
        await s.execute(insert(CallRecord), rows)
        ids = list(
            await s.execute(
                select(CallRecord.id, CallRecord.agent_id).where(CallRecord.agent_id.is_not(None))
            )
        )
        await s.execute(insert(CallAgent), [
            {"call_record_id": cid, "agent_interface": f"PJSIP/{aid}", "agent_id": aid, "result": "answered",
             "reason": "queue"} for cid, aid in ids
        ])  # fmt: skip
        spans = []
        for aid in agents:
            at = DAY + timedelta(hours=1)
            for k in range(SPANS_PER_AGENT):
                length = timedelta(seconds=rnd.uniform(60, 900))
                spans.append({"pbx": "main", "agent_interface": f"PJSIP/{aid}", "agent_id": aid,
                              "state": ("ready", "on_call", "wrap_up", "paused")[k % 4], "reason": "",
                              "started_at": at, "ended_at": at + length})  # fmt: skip
                at += length
        await s.execute(insert(SeatState), spans)
        callback = Callback(number="+8613800000000", scheduled_at=DAY, next_attempt_at=DAY, queue="q1")
        s.add(callback)
        await s.flush()
        await s.execute(insert(CallbackAttempt), [
            {"callback_id": callback.id, "at": DAY + timedelta(minutes=i), "user_id": agents[i % AGENTS],
             "outcome": "answered" if i % 3 else "no_answer"} for i in range(1000)
        ])  # fmt: skip
        return agents, sup.id
