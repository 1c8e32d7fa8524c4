"""Call events applied to call records in batches: one transaction, a handful of Core statements.

The AMI side can deliver thousands of call events a second; writing each one in its
own ORM transaction tops out near 3,400 rows/s. Here a whole batch (everything the
bus had queued) is applied in memory, in order, to the records it touches and then
written with a fixed number of statements: one SELECT of the records (row-locked on
PostgreSQL), one of their agent rows, one of the customers behind the numbers and
one of the agents behind the interfaces, then executemany INSERTs and UPDATEs.
Records stay keyed by PBX + call id, so a batch repeated after a failure updates the
same rows instead of adding new ones. Only the columns call events own are written:
a disposition, notes or an IVR result set elsewhere are never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, String, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from crm_core.events import (
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
)
from crm_core.models import CallAgent, CallRecord, CustomerPhone, User
from crm_core.phones import normalize_number

log = logging.getLogger(__name__)

RECORDS = CallRecord.__table__
AGENTS = CallAgent.__table__
# The columns call events own; everything else on a record belongs to someone else.
EVENT_COLUMNS = (
    "caller_number", "customer_id", "queue", "agent_id", "agent_interface", "status", "outcome",
    "direction", "answered_at", "ended_at", "offered_at", "wait_seconds", "talk_seconds",
    "ring_seconds", "hold_seconds", "abandon_position", "transferred",
)  # fmt: skip
NEW_COLUMNS = ("pbx", "call_id", "caller_name", "started_at", "notes", *EVENT_COLUMNS)
AGENT_COLUMNS = ("agent_id", "offered_at", "answered_at", "result", "reason")


def ts(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, UTC)


def _keys_pg(by_pbx: dict[str, set[str]]) -> Any:
    """The batch's (pbx, call_id) pairs as a PostgreSQL table expression (two arrays unnested)."""
    pairs = [(pbx, call_id) for pbx, ids in by_pbx.items() for call_id in ids]
    pbxs = bindparam("key_pbx", [p for p, _ in pairs], type_=ARRAY(String))
    calls = bindparam("key_call", [c for _, c in pairs], type_=ARRAY(String))
    return func.unnest(pbxs, calls).table_valued("pbx", "call_id").render_derived(name="batch_keys")


@dataclass(eq=False)
class _Record:
    values: dict[str, Any]
    id: int | None = None  # None: new in this batch
    agents: dict[str, _Agent] = field(default_factory=dict)  # by interface
    stored: dict[str, Any] = field(default_factory=dict)  # the values as loaded: only changes are written


@dataclass(eq=False)
class _Agent:
    values: dict[str, Any]
    id: int | None = None
    stored: dict[str, Any] = field(default_factory=dict)


class CallBatch:
    """One batch of call events: loaded, applied in memory in order, saved in one transaction."""

    def __init__(self, events: Sequence[CallEvent], region: str) -> None:
        self.events = events
        self.region = region
        self.records: dict[tuple[str, str], _Record] = {}
        self.customers: dict[str, int] = {}  # E.164 -> first customer with that number
        self.users: dict[str, int] = {}  # interface -> agent user id

    async def run(self, conn: AsyncConnection) -> None:
        await self._load(conn)
        for event in self.events:
            self._apply(event)
        await self._save(conn)

    # --- loading -------------------------------------------------------------------------------

    async def _load(self, conn: AsyncConnection) -> None:
        by_pbx: dict[str, set[str]] = {}
        for e in self.events:
            by_pbx.setdefault(e.pbx, set()).add(e.call_id)
        names = ("pbx", "call_id", *EVENT_COLUMNS)  # what events read and write; nothing else
        query = select(RECORDS.c.id, *RECORDS.c[names])
        if conn.dialect.name == "postgresql":
            # A join with the batch's ids: one unique-index probe per id whatever the planner's
            # statistics say. With "pbx = $1 AND call_id IN (...)" a fast-growing table whose
            # statistics were stale was filtered row by row (36 ms a batch at 100,000 records).
            keys = _keys_pg(by_pbx)
            query = query.join(keys, and_(RECORDS.c.pbx == keys.c.pbx, RECORDS.c.call_id == keys.c.call_id))
        else:
            # Per PBX, "call_id IN (...)": SQLite searches the unique index that way, not for row values.
            query = query.where(
                or_(*(and_(RECORDS.c.pbx == pbx, RECORDS.c.call_id.in_(ids)) for pbx, ids in by_pbx.items()))
            )
        rows = await conn.execute(query.with_for_update(of=RECORDS))
        for rid, *row in rows:
            values = dict(zip(names, row, strict=True))
            self.records[(values["pbx"], values["call_id"])] = _Record(values, id=rid, stored=dict(values))
        await self._load_agents(conn)
        await self._load_people(conn)

    async def _load_agents(self, conn: AsyncConnection) -> None:
        by_id = {r.id: r for r in self.records.values()}
        if not by_id:
            return
        cols = [AGENTS.c.id, AGENTS.c.call_record_id, AGENTS.c.agent_interface, *AGENTS.c[AGENT_COLUMNS]]
        rows = await conn.execute(select(*cols).where(AGENTS.c.call_record_id.in_(list(by_id))))
        for aid, record_id, interface, *row in rows:
            values = dict(zip(AGENT_COLUMNS, row, strict=True))
            by_id[record_id].agents[interface] = _Agent(values, id=aid, stored=dict(values))

    async def _load_people(self, conn: AsyncConnection) -> None:
        """Who is behind the numbers and interfaces of the batch, two queries for all of it."""
        numbers = {normalize_number(n, self.region) for n in self._raw_numbers() if n}
        numbers.discard("")
        if numbers:
            rows = await conn.execute(
                select(CustomerPhone.e164, func.min(CustomerPhone.customer_id))
                .where(CustomerPhone.e164.in_(numbers))
                .group_by(CustomerPhone.e164)
            )
            self.customers = {e164: cid for e164, cid in rows}
        interfaces = {i for e in self.events for i in _interfaces(e)}
        if interfaces:
            rows = await conn.execute(
                select(User.interface, User.id).where(User.interface.in_(interfaces)).order_by(User.id.desc())
            )
            self.users = {interface: uid for interface, uid in rows}  # lowest id wins, as scalar() did

    def _raw_numbers(self) -> Iterable[str]:
        """The numbers a record may take its customer from: a new record's first event's, and an
        offer's to a record that has no number yet."""
        seen: set[tuple[str, str]] = set()
        for e in self.events:
            key = (e.pbx, e.call_id)
            record = self.records.get(key)
            if record is None and key not in seen:
                seen.add(key)
                yield getattr(e, "caller_number", "")
            elif isinstance(e, CallOffered) and (key in seen or not record.values["caller_number"]):  # type: ignore[union-attr]
                yield e.caller_number

    # --- applying ------------------------------------------------------------------------------

    def _record(self, event: CallEvent) -> _Record:
        key = (event.pbx, event.call_id)
        record = self.records.get(key)
        if record is None:
            number = normalize_number(getattr(event, "caller_number", ""), self.region)
            values = dict.fromkeys(NEW_COLUMNS)
            values.update(
                pbx=event.pbx, call_id=event.call_id, caller_number=number,
                caller_name=getattr(event, "caller_name", ""), customer_id=self.customers.get(number),
                started_at=ts(getattr(event, "queued_at", None) or event.at), status="queued", notes="",
                direction=getattr(event, "direction", "inbound"), transferred=False,
            )  # fmt: skip
            record = self.records[key] = _Record(values)
        return record

    def _agent(self, record: _Record, interface: str) -> _Agent:
        row = record.agents.get(interface)
        if row is None:
            values = dict.fromkeys(AGENT_COLUMNS)
            values.update(agent_id=self.users.get(interface), result="offered", reason="queue")
            row = record.agents[interface] = _Agent(values)
        return row

    def _apply(self, event: CallEvent) -> None:
        record = self._record(event)
        v = record.values
        if isinstance(event, CallQueued):
            v["queue"] = event.queue
        elif isinstance(event, CallOffered):
            self._offered(record, event)
        elif isinstance(event, OfferWithdrawn):
            row = self._agent(record, event.agent)
            if row.values["result"] == "offered":
                row.values["result"] = "no_answer" if event.reason in ("no_answer", "busy") else "withdrawn"
        elif isinstance(event, CallAnswered):
            self._answered(record, event)
        elif isinstance(event, CallTransferred):
            v["transferred"] = True
        elif isinstance(event, CallEnded):
            self._ended(record, event)

    def _offered(self, record: _Record, event: CallOffered) -> None:
        v = record.values
        v["queue"] = v["queue"] or event.queue
        if v["status"] == "queued":
            v["status"] = "ringing"
        v["offered_at"] = v["offered_at"] or ts(event.at)
        if not v["caller_number"] and event.caller_number:
            v["caller_number"] = normalize_number(event.caller_number, self.region)
            v["customer_id"] = self.customers.get(v["caller_number"])
        row = self._agent(record, event.agent)
        row.values["offered_at"] = row.values["offered_at"] or ts(event.at)
        row.values["reason"] = event.reason
        if row.values["result"] != "answered":
            row.values["result"] = "offered"

    def _answered(self, record: _Record, event: CallAnswered) -> None:
        v = record.values
        if v["status"] != "ended":  # a replayed answer does not reopen a finished call
            v["status"] = "answered"
        v["answered_at"] = v["answered_at"] or ts(event.at)
        v["wait_seconds"] = event.wait_seconds
        v["queue"] = v["queue"] or event.queue
        v["agent_interface"], v["agent_id"] = event.agent, self.users.get(event.agent)
        row = self._agent(record, event.agent)
        row.values["result"] = "answered"
        row.values["answered_at"] = row.values["answered_at"] or ts(event.at)

    def _ended(self, record: _Record, event: CallEnded) -> None:
        v = record.values
        if v["status"] == "ended":
            # Ended once is final: a replay (an owner back on the PBX, a sweep racing the real
            # end) must not move its end time, talk time or outcome.
            log.info("call already ended, CallEnded ignored pbx=%s call=%s", event.pbx, event.call_id)
            return
        known, wait = v["answered_at"], v["wait_seconds"]
        v.update(
            status="ended", outcome=event.outcome, direction=event.direction, ended_at=ts(event.at),
            wait_seconds=event.wait_seconds, talk_seconds=event.talk_seconds,
            ring_seconds=event.ring_seconds, hold_seconds=event.hold_seconds,
            abandon_position=event.abandon_position,
        )  # fmt: skip
        answered = ts(event.answered_at)
        if answered is not None and known is not None and known < answered:
            # Adopted after a restart of this service: its tracker counted from the resync, the
            # record knows when the call was really answered and how long it had waited.
            v["talk_seconds"] = (event.talk_seconds or 0.0) + (answered - known).total_seconds()
            v["wait_seconds"] = wait if wait is not None else event.wait_seconds
        elif answered is not None:
            v["answered_at"] = answered
        v["offered_at"] = v["offered_at"] or ts(event.offered_at)
        v["transferred"] = v["transferred"] or event.transferred
        v["queue"] = v["queue"] or event.queue
        for interface in event.agents:
            self._agent(record, interface)
        if event.agent:
            v["agent_interface"], v["agent_id"] = event.agent, self.users.get(event.agent)

    # --- saving --------------------------------------------------------------------------------

    async def _save(self, conn: AsyncConnection) -> None:
        new = [r for r in self.records.values() if r.id is None]
        changed = [r for r in self.records.values() if r.id is not None]
        if new:
            rows = await conn.execute(
                insert(RECORDS).returning(RECORDS.c.id, RECORDS.c.pbx, RECORDS.c.call_id),
                [r.values for r in new],
            )
            for rid, pbx, call_id in rows:
                self.records[(pbx, call_id)].id = rid
        await _update(conn, RECORDS, EVENT_COLUMNS, changed)
        await self._save_agents(conn)

    async def _save_agents(self, conn: AsyncConnection) -> None:
        fresh: list[dict[str, Any]] = []
        changed: list[_Agent] = []
        for record in self.records.values():
            for interface, row in record.agents.items():
                if row.id is None:
                    fresh.append({"call_record_id": record.id, "agent_interface": interface, **row.values})
                else:
                    changed.append(row)
        if fresh:
            await conn.execute(insert(AGENTS), fresh)
        await _update(conn, AGENTS, AGENT_COLUMNS, changed)


async def _update(
    conn: AsyncConnection, table: Any, columns: Sequence[str], rows: Sequence[_Record | _Agent]
) -> None:
    """UPDATE only what changed: rows grouped by their changed columns, one executemany a group
    (a call event touches a few columns; rewriting all of them would rewrite their indexes too)."""
    groups: dict[tuple[str, ...], list[_Record | _Agent]] = {}
    for row in rows:
        names = tuple(n for n in columns if row.values[n] != row.stored[n])
        if names:
            groups.setdefault(names, []).append(row)
    for names, group in groups.items():
        if conn.dialect.name == "postgresql":
            sql, processors = _update_pg_sql(conn.dialect, table, names)
            columns_of = zip(*((row.id, *(row.values[n] for n in names)) for row in group), strict=True)
            arrays = [
                [v if p is None else p(v) for v in vs] for p, vs in zip(processors, columns_of, strict=True)
            ]
            await conn.exec_driver_sql(sql, tuple(arrays))
            continue
        sql, order, processors = _update_sql(conn.dialect, table, names)
        args = [
            tuple(v if p is None else p(v) for p, v in zip(processors, _values(row, order), strict=True))
            for row in group
        ]
        await conn.exec_driver_sql(sql, args)  # the driver's executemany: no per-row SQLAlchemy work


@lru_cache(maxsize=256)
def _update_pg_sql(dialect: Dialect, table: Any, names: tuple[str, ...]) -> tuple[str, tuple[Any, ...]]:
    """PostgreSQL: one UPDATE of all the rows from arrays (unnest), not one statement per row:
    the server's per-statement work is what limits a batch there. SQL and bind processors."""
    types = [table.c[n].type.compile(dialect=dialect) for n in ("id", *names)]
    arrays = ", ".join(f"${k}::{t}[]" for k, t in enumerate(types, start=1))
    sets = ", ".join(f"{n} = u.{n}" for n in names)
    sql = (
        f"UPDATE {table.name} AS t SET {sets} FROM unnest({arrays}) AS u(id, {', '.join(names)}) "
        "WHERE t.id = u.id"
    )
    processors = tuple(table.c[n].type._cached_bind_processor(dialect) for n in ("id", *names))
    return sql, processors


def _values(row: _Record | _Agent, order: Sequence[str]) -> Iterable[Any]:
    return (row.id if name == "_id" else row.values[name] for name in order)


@lru_cache(maxsize=256)
def _update_sql(
    dialect: Dialect, table: Any, names: tuple[str, ...]
) -> tuple[str, tuple[str, ...], tuple[Any, ...]]:
    """An UPDATE by id of these columns as the driver takes it: SQL, parameter order, and each
    parameter's bind processor (e.g. a UTC datetime to SQLite's text), compiled once."""
    stmt = update(table).where(table.c.id == bindparam("_id")).values({n: bindparam(n) for n in names})
    compiled = stmt.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ())
    processors = tuple(table.c[n if n != "_id" else "id"].type._cached_bind_processor(dialect) for n in order)
    return str(compiled), order, processors


def _interfaces(event: CallEvent) -> Iterable[str]:
    agent = getattr(event, "agent", None)
    if agent:
        yield agent
    if isinstance(event, CallEnded):
        yield from event.agents
