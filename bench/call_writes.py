"""Call-record writes from bus events (issue 10, target f): >= 5,000 records/s sustained, none lost.

What is measured: the "call-records" bus subscriber as the service wires it (EventBus,
subscribe batch=BATCH_EVENTS, CallRecordService.handle_batch) on a migrated database with
50 agents and 10,000 customers. Each call is 4 to 6 events (queued, offered [to a second
agent who is withdrawn], answered, ended), and the calls overlap: a call's events are
1,000 calls apart in the stream, so batches update records made by earlier batches, as
on a busy PBX. Two runs per database:
- burst: every event published at once, then drained: calls/s and events/s;
- paced: events published every 10 ms at a fixed rate of record writes (events)/s for a few seconds: the
  deepest queue and how long after the last publish the records were all written.
Baseline in the same run: one event per transaction (the bus without batching).
"None lost" is counted: records, ended records and agent rows against what was published.

Run: `.venv/bin/python bench/call_writes.py [calls] [paced events/s] [seconds]` (defaults
20,000, 5,000 and 6). PostgreSQL: a database of its own through CRM_TEST_PG_DSN or
postgresql://postgres@127.0.0.1:5432/test, dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.engines import on_each_engine
from crm_core.bus import EventBus
from crm_core.calls import BATCH_EVENTS, CallRecordService
from crm_core.db import Database
from crm_core.events import CallAnswered, CallEnded, CallOffered, CallQueued, OfferWithdrawn
from crm_core.migrate import upgrade
from crm_core.models import CallAgent, CallRecord, Customer, CustomerPhone, User

AGENTS = [f"PJSIP/{1000 + i}" for i in range(50)]
CUSTOMERS = 10_000
SPREAD = 1_000  # a call's events are this many calls apart in the stream
T0 = 1_790_000_000.0


def call_events(i: int, pbx: str = "bj") -> list[Any]:
    """One call's events; every 4th call rings a second agent first, who is then withdrawn."""
    cid, at = f"{1_800_000_000 + i}.{i}", T0 + i * 0.01
    number, agent, other = f"138{i % CUSTOMERS + 1:08d}", AGENTS[i % 50], AGENTS[(i + 1) % 50]
    both = i % 4 == 0
    events: list[Any] = [CallQueued(pbx, cid, number, "", "support", 1, at)]
    events += [CallOffered(pbx, cid, agent, number, "", "support", at + 2)]
    if both:
        events += [CallOffered(pbx, cid, other, number, "", "support", at + 2)]
    events += [CallAnswered(pbx, cid, agent, "support", number, at + 5, 5.0, 3.0)]
    if both:
        events += [OfferWithdrawn(pbx, cid, other, "answered_elsewhere", at + 5)]
    agents = (agent, other) if both else (agent,)
    events += [
        CallEnded(pbx, cid, "answered", number, "", "support", agent, at + 60, at, at + 5, 5.0, 55.0,
                  offered_at=at + 2, ring_seconds=3.0, agents=agents)
    ]  # fmt: skip
    return events


def stream(first: int, calls: int) -> list[Any]:
    """The calls' events interleaved: event j of call i at slot i + j * SPREAD."""
    slots: list[tuple[int, int, Any]] = []
    for i in range(first, first + calls):
        for j, event in enumerate(call_events(i)):
            slots.append((i - first + j * SPREAD, j, event))
    slots.sort(key=lambda s: (s[0], s[1]))
    return [event for _slot, _j, event in slots]


def expected_agents(first: int, calls: int) -> int:
    return sum(2 if i % 4 == 0 else 1 for i in range(first, first + calls))


async def seed(db: Database) -> None:
    await upgrade(db)
    async with db.write() as s:
        conn = await s.connection()
        users = [
            {"login": f"a{i}", "password_hash": "x", "display_name": f"A{i}", "role": "agent",
             "interface": iface}
            for i, iface in enumerate(AGENTS)
        ]  # fmt: skip
        await conn.execute(insert(User), users)
        people = [{"id": i, "kind": "person", "name": f"客户{i}", "timezone": "Asia/Shanghai"} for i in
                  range(1, CUSTOMERS + 1)]  # fmt: skip
        await conn.execute(insert(Customer), people)
        phones = [{"customer_id": i, "e164": f"+86138{i:08d}", "label": ""} for i in range(1, CUSTOMERS + 1)]
        await conn.execute(insert(CustomerPhone), phones)


async def count(db: Database, first: int, calls: int) -> dict[str, int]:
    ids = [f"{1_800_000_000 + i}.{i}" for i in range(first, first + calls)]
    async with db.read() as s:
        out = {"records": 0, "ended": 0, "agents": 0, "with customer": 0}
        for k in range(0, len(ids), 5000):
            chunk = CallRecord.call_id.in_(ids[k : k + 5000])
            out["records"] += await s.scalar(select(func.count()).where(chunk))
            out["ended"] += await s.scalar(select(func.count()).where(chunk, CallRecord.status == "ended"))
            out["with customer"] += await s.scalar(
                select(func.count()).where(chunk, CallRecord.customer_id.is_not(None))
            )
            out["agents"] += await s.scalar(
                select(func.count()).select_from(CallAgent).join(CallRecord).where(chunk)
            )
        return out


def verdict(found: dict[str, int], calls: int, agents: int) -> str:
    want = {"records": calls, "ended": calls, "agents": agents, "with customer": calls}
    lost = {k: want[k] - found[k] for k in want if found[k] != want[k]}
    return "none lost, none doubled" if not lost else f"MISMATCH (expected minus found): {lost}"


async def burst(db: Database, first: int, calls: int, batch: int) -> tuple[float, int, float]:
    bus = EventBus()
    bus.subscribe("call-records", CallRecordService(db, "CN").handle_batch if batch else
                  CallRecordService(db, "CN").handle, batch=batch)  # fmt: skip
    await bus.start()
    events = stream(first, calls)
    began, cpu = time.perf_counter(), time.process_time()
    for event in events:
        bus.publish(event)
    await bus.drain()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    await bus.stop()
    return seconds, len(events), cpu


async def paced(db: Database, first: int, rate: int, seconds: float) -> tuple[int, int, float, int]:
    """Publish rate events/s, every 10 ms; the deepest queue and the lag at the end."""
    calls = int(rate * seconds / 4.5)  # a call is 4.5 events on average
    events = stream(first, calls)
    per_tick = len(events) / (seconds * 100)
    bus = EventBus()
    bus.subscribe("call-records", CallRecordService(db, "CN").handle_batch, batch=BATCH_EVENTS)
    await bus.start()
    loop = asyncio.get_running_loop()
    began, sent, deepest = loop.time(), 0, 0
    for tick in range(1, int(seconds * 100) + 1):
        upto = min(len(events), int(per_tick * tick))
        for event in events[sent:upto]:
            bus.publish(event)
        sent = upto
        deepest = max(deepest, max(bus.queue_depths().values()))
        await asyncio.sleep(max(0.0, began + tick / 100 - loop.time()))
    for event in events[sent:]:
        bus.publish(event)
    last = loop.time()
    await bus.drain()
    lag = loop.time() - last
    await bus.stop()
    return calls, len(events), lag, deepest


async def measure(name: str, db: Database, calls: int, rate: int, seconds: float) -> None:
    await seed(db)
    small = min(calls, 500)
    took, n_events, cpu = await burst(db, 0, small, batch=0)
    print(f"{name}: baseline, one event per transaction: {small:,} calls ({n_events:,} events) in "
          f"{took:.2f} s = {small / took:,.0f} calls/s, {n_events / took:,.0f} events/s "
          f"({n_events / cpu:,.0f} events per CPU-second of this process); "
          f"{verdict(await count(db, 0, small), small, expected_agents(0, small))}")  # fmt: skip
    first = 100_000
    took, n_events, cpu = await burst(db, first, calls, batch=BATCH_EVENTS)
    print(f"{name}: burst, batches of up to {BATCH_EVENTS}: {calls:,} calls ({n_events:,} events) in "
          f"{took:.2f} s = {calls / took:,.0f} calls/s, {n_events / took:,.0f} events/s "
          f"({n_events / cpu:,.0f} events per CPU-second of this process); "
          f"{verdict(await count(db, first, calls), calls, expected_agents(first, calls))}")  # fmt: skip
    first = 1_000_000
    n, n_events, lag, deepest = await paced(db, first, rate, seconds)
    print(f"{name}: paced {n_events / seconds:,.0f} record writes (events)/s = {n / seconds:,.0f} calls/s "
          f"for {seconds:g} s: "
          f"all written {lag * 1000:.0f} ms after the last publish, deepest queue {deepest:,} events; "
          f"{verdict(await count(db, first, n), n, expected_agents(first, n))}")  # fmt: skip


async def main(calls: int, rate: int, seconds: float) -> None:
    load = os.getloadavg()[0]
    print(f"setup: python {platform.python_version()}, {os.cpu_count()} CPU(s), load average {load:.1f} "
          f"(other work on the machine); 50 agents, {CUSTOMERS:,} customers; events of a call "
          f"{SPREAD:,} calls apart. Each event is one call-record write (an upsert of the record, "
          "and of an agent row when it names an agent)")  # fmt: skip
    await on_each_engine("writes", lambda engine, db: measure(engine, db, calls, rate, seconds))


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    calls, rate, seconds = (args + [20_000, 5_000, 6][len(args) :])[:3]
    asyncio.run(main(int(calls), int(rate), seconds))
