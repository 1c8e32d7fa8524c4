"""What the service measures about itself on its hot paths, for `/metrics` (Prometheus text format).

Only what must be counted where it happens lives here: the pop-up latency (stamped when the
AMI event that offered the call is published, observed when the pop-up is written to each
console's socket) and the database latency (SQLAlchemy event hooks on both engines). Figures
that already exist as state (consoles connected, AMI link state, events per PBX, bus queue
depth) are read when Prometheus scrapes, at no cost per event (see callcenter/metrics.py).

The histograms are process-wide, as Prometheus client metrics are meant to be: one
service per process; several services in one process (tests) add up.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from prometheus_client import Histogram
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# A pop-up is due within milliseconds: fine buckets there, coarse ones for the bad days.
POPUP_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
DB_BUCKETS = (0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

POPUP_SECONDS = Histogram(
    "crm_popup_latency_seconds",
    "From the AMI event offering a call to an agent arriving to the pop-up's write on their console socket.",
    buckets=POPUP_BUCKETS,
)
DB_SECONDS = Histogram(
    "crm_db_seconds",
    "Database time: one SQL statement (kind=statement) or a transaction from BEGIN to COMMIT/ROLLBACK.",
    ["engine", "kind"],
    buckets=DB_BUCKETS,
)

_STAMPS_MAX = 4096  # offers waiting for their pop-up; an offer nobody pops (no agent) ages out


class PopClock:
    """When each offer arrived, so the console hub can say how long its pop-up took.

    Keyed by (pbx, call id, agent interface); the publisher stamps, the hub takes the stamp
    (once) and hands it to the socket writer. Bounded: the oldest stamps go first.
    """

    def __init__(self, clock: Any = time.perf_counter) -> None:
        self.clock = clock
        self._stamps: OrderedDict[tuple[str, str, str], float] = OrderedDict()

    def arrived(self, pbx: str, call_id: str, agent: str) -> None:
        key = (pbx, call_id, agent)
        if key not in self._stamps:
            self._stamps[key] = self.clock()
            if len(self._stamps) > _STAMPS_MAX:
                self._stamps.popitem(last=False)

    def take(self, pbx: str, call_id: str, agent: str) -> float | None:
        return self._stamps.pop((pbx, call_id, agent), None)


def observe_popup(stamp: float, clock: Any = time.perf_counter) -> None:
    POPUP_SECONDS.observe(max(clock() - stamp, 0.0))


def instrument_engine(engine: AsyncEngine, name: str) -> None:
    """Time every statement and every transaction of this engine (name: writer or reader)."""
    statement = DB_SECONDS.labels(name, "statement")
    transaction = DB_SECONDS.labels(name, "transaction")
    sync = engine.sync_engine

    @event.listens_for(sync, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, _sql: Any, _params: Any, _context: Any, _many: bool) -> None:
        conn.info["crm_statement_at"] = time.perf_counter()

    @event.listens_for(sync, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, _sql: Any, _params: Any, _context: Any, _many: bool) -> None:
        began = conn.info.pop("crm_statement_at", None)
        if began is not None:
            statement.observe(time.perf_counter() - began)

    @event.listens_for(sync, "begin")
    def _begin(conn: Any) -> None:
        conn.info["crm_transaction_at"] = time.perf_counter()

    def _end(conn: Any) -> None:
        began = conn.info.pop("crm_transaction_at", None)
        if began is not None:
            transaction.observe(time.perf_counter() - began)

    event.listen(sync, "commit", _end)
    event.listen(sync, "rollback", _end)
