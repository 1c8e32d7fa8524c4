"""KPI rows: the figures of figures.py per interval and per queue, agent or team, and combinations.

Attribution, so that the rows of one report add up to its total:
- a call counts in the interval it started in (the caller joined the queue), in its queue, and
  for the agent who had it last (who answered it, or took it over by transfer, and wraps it
  up); that agent's team is the call's team. A call no agent answered has no agent and no
  team: it is in the row whose agent_id / team is null.
- seat time is cut at interval edges and counts for its agent and their team; it cannot be
  split by queue (an agent serves several), so occupancy is null in rows grouped by queue.
- a callback attempt counts when it was dialled, for the agent who dialled it and the queue
  the callback was for.
Without a grouping, every interval of the range has a row (a chart has no holes); with one,
only the combinations that had something to count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_core.domain_errors import Invalid
from crm_core.kpi.facts import BUSY_STATES, IDLE_STATES, CallbackFact, CallFact, SeatSpan
from crm_core.kpi.figures import Tally
from crm_core.kpi.intervals import Bucket, Bucketer, buckets, split
from crm_core.kpi.settings import KpiSettings

DIMENSIONS = ("queue", "agent", "team")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNTED_STATES = (*BUSY_STATES, *IDLE_STATES)
MAX_ROWS = 10_000  # e.g. 15 minutes x 100 agents over a day is 9,600
Dims = tuple[Any, ...]


@dataclass(frozen=True)
class KpiQuery:
    start: datetime  # timezone-aware; inclusive
    end: datetime  # exclusive
    interval: str = "none"  # 15m | hour | day | none
    by: tuple[str, ...] = ()  # some of DIMENSIONS, in the order the rows show them

    def __post_init__(self) -> None:
        # In UTC: Python compares and subtracts two times of one zone on the wall clock, which is
        # wrong across a daylight-saving change.
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))


@dataclass(frozen=True)
class KpiData:
    calls: Sequence[CallFact]
    spans: Sequence[SeatSpan] = ()
    callbacks: Sequence[CallbackFact] = ()
    fcr: Mapping[int, bool] = field(default_factory=dict)  # call id -> resolved at first contact
    teams: Mapping[int, str | None] = field(default_factory=dict)  # agent id -> team name
    names: Mapping[int, str] = field(default_factory=dict)  # agent id -> display name


class _Groups:
    """The tallies of one report, keyed by (bucket, dimension values)."""

    def __init__(self, data: KpiData, query: KpiQuery, settings: KpiSettings) -> None:
        self.data, self.query, self.settings = data, query, settings
        self.tallies: dict[tuple[datetime | None, Dims], tuple[Bucket | None, Tally]] = {}
        self.seat_only = Tally(settings)  # seat time when the groups are queues (none of theirs)
        self.bucket = Bucketer(query.interval, settings.zone) if query.interval != "none" else _no_bucket
        self.dims = _dimensions(query.by, data.teams)

    def tally(self, bucket: Bucket | None, dims: Dims) -> Tally:
        key = (None if bucket is None else bucket.start, dims)
        found = self.tallies.get(key)
        if found is None:
            found = self.tallies[key] = (bucket, Tally(self.settings))
        return found[1]

    def inside(self, at: datetime) -> bool:
        return self.query.start <= at < self.query.end


def _no_bucket(_at: datetime) -> None:
    return None


def _dimensions(
    by: tuple[str, ...], teams: Mapping[int, str | None]
) -> Callable[[str | None, int | None], Dims]:
    """(queue, agent id) -> the values of the grouping, built once per report (called per row read)."""

    def value(name: str, queue: str | None, agent: int | None) -> Any:
        if name == "queue":
            return queue
        if name == "agent":
            return agent
        return None if agent is None else teams.get(agent)

    if not by:
        return lambda _queue, _agent: ()
    if by == ("queue",):
        return lambda queue, _agent: (queue,)
    if by == ("agent",):
        return lambda _queue, agent: (agent,)
    return lambda queue, agent: tuple(value(name, queue, agent) for name in by)


def kpi_report(
    data: KpiData, query: KpiQuery, settings: KpiSettings
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows (one per group, in interval then dimension order, nulls last) and the total."""
    groups = _Groups(data, query, settings)
    fcr = data.fcr
    for call in data.calls:
        if call.queue_call and groups.inside(call.started_at):
            tally = groups.tally(groups.bucket(call.started_at), groups.dims(call.queue, call.agent_id))
            tally.add_call(call, fcr.get(call.id))
    _add_seat_time(groups, data.spans, per_group="queue" not in query.by)
    for attempt in data.callbacks:
        if groups.inside(attempt.at):
            bucket = groups.bucket(attempt.at)
            groups.tally(bucket, groups.dims(attempt.queue, attempt.agent_id)).add_callback(attempt)
    if not query.by and query.interval != "none":
        for bucket in buckets(query.start, query.end, query.interval, settings.zone):
            groups.tally(bucket, ())
    if not query.by and query.interval == "none":
        groups.tally(None, ())
    if len(groups.tallies) > MAX_ROWS:
        raise Invalid("interval", f"{len(groups.tallies)} rows: choose a coarser interval or grouping")
    rows = [_row(groups, key) for key in sorted(groups.tallies, key=_order)]
    total = groups.seat_only  # seat time the groups could not take (grouped by queue), else nothing
    for _bucket, tally in groups.tallies.values():
        total.merge(tally)
    return rows, {"interval_start": None, "interval_end": None} | total.figures()


def kpi_rows(data: KpiData, query: KpiQuery, settings: KpiSettings) -> list[dict[str, Any]]:
    return kpi_report(data, query, settings)[0]


def kpi_total(data: KpiData, query: KpiQuery, settings: KpiSettings) -> dict[str, Any]:
    """The figures over the whole range and scope: one row without interval or grouping."""
    return kpi_report(data, query, settings)[1]


def _add_seat_time(groups: _Groups, spans: Sequence[SeatSpan], per_group: bool) -> None:
    """Seat time into the groups, or, when they are queues (no seat time there), aside for the total."""
    query, zone = groups.query, groups.settings.zone
    for span in spans:
        if span.agent_id is None or span.state not in COUNTED_STATES:
            continue  # a seat no user is behind is nobody's occupancy; pauses are not in it
        start, end = max(span.start, query.start), min(span.end, query.end)
        if start >= end:
            continue
        if not per_group:
            groups.seat_only.add_seat_time(span.state, (end - start).total_seconds())
            continue
        dims = groups.dims(None, span.agent_id)
        if query.interval == "none":
            groups.tally(None, dims).add_seat_time(span.state, (end - start).total_seconds())
            continue
        for bucket, seconds in split(start, end, query.interval, zone, groups.bucket):
            groups.tally(bucket, dims).add_seat_time(span.state, seconds)


def _order(key: tuple[datetime | None, Dims]) -> tuple[Any, ...]:
    start, dims = key
    return (start or _EPOCH, tuple((value is None, "" if value is None else value) for value in dims))


def _row(groups: _Groups, key: tuple[datetime | None, Dims]) -> dict[str, Any]:
    bucket, tally = groups.tallies[key]
    row: dict[str, Any] = {
        "interval_start": None if bucket is None else bucket.label(),
        "interval_end": None if bucket is None else bucket.local_end(),
    }
    for name, value in zip(groups.query.by, key[1], strict=True):
        if name == "agent":
            row["agent_id"] = value
            row["agent_name"] = None if value is None else groups.data.names.get(value, f"#{value}")
        else:
            row[name] = value
    figures = tally.figures()
    if "queue" in groups.query.by:
        figures["occupancy"] = None  # seat time is not per queue
    return row | figures
