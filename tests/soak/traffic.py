"""An hour of recorded Asterisk traffic, made from the traces in tests/fixtures/asterisk.

Each trace is one real call (or seat change) as Asterisk 22 sent it. Played back to back,
each copy with fresh Uniqueid/Linkedid values (so every copy is a new call) and stamped one
after another on a nominal clock, a mix of them becomes an hour of a call center's AMI traffic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tests.cti.amitrace import Frame, read_frames, read_times

MIX = (
    "s01_inbound_answered",
    "s02a_abandon_agents_paused",
    "s03a_ringnoanswer_failover",
    "s04b_transfer_blindtransfer",
    "s05a_click_to_dial",
    "s07_agent_login_pause",
    "s10_ivr_hangup",
)
SKIP = {"FullyBooted", "SuccessfulAuth"}
GAP = 1.0  # nominal seconds between one trace's last event and the next one's first
Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Trace:
    name: str
    events: list[tuple[Frame, float]]  # (frame, seconds from the trace's first event)
    ids: re.Pattern[str] | None  # every Uniqueid/Linkedid value of the trace
    seconds: float


def load(name: str) -> Trace:
    frames, times = read_frames(name), read_times(name, 0.0)
    live = [(f, t) for f, t in zip(frames, times, strict=True) if _live(f)]
    first = live[0][1]
    ids = {v for f, _ in live for k, v in f.items() if isinstance(v, str) and _is_id_key(k) and v}
    names = "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
    pattern = re.compile(rf"(?<![\w.])({names})(?![\w.])")
    return Trace(name, [(f, t - first) for f, t in live], pattern if ids else None, live[-1][1] - first)


def _live(frame: Frame) -> bool:
    return "Event" in frame and "ActionID" not in frame and frame["Event"] not in SKIP


def _is_id_key(key: str) -> bool:
    return key.lower().endswith(("uniqueid", "linkedid"))


def hour(start: float, seconds: float = 3600.0) -> Iterator[tuple[int, float, list[tuple[Pairs, float]]]]:
    """(copy number, its nominal start, its events as (pairs, timestamp)) until `seconds` are covered."""
    traces = [load(name) for name in MIX]
    at, copy = start, 0
    while at - start < seconds:
        trace = traces[copy % len(traces)]
        yield copy, at, [(_pairs(f, trace.ids, copy), at + t) for f, t in trace.events]
        at += trace.seconds + GAP
        copy += 1


def _pairs(frame: Frame, ids: re.Pattern[str] | None, copy: int) -> Pairs:
    def fresh(value: str) -> str:
        if ids is None:
            return value
        return ids.sub(lambda m: f"{m.group(1)}{copy:05d}", value)

    pairs: Pairs = []
    for key, value in frame.items():
        pairs.extend((key, fresh(v)) for v in (value if isinstance(value, list) else [value]))
    return pairs
