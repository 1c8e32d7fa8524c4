"""Garbage collection tuned for a service whose pop-ups must not wait (BENCHMARKS.md b).

A full (generation 2) collection walks every tracked object with the event loop stopped: 80 to
180 ms with 1,000 consoles open, and every pop-up due meanwhile shows it as latency (at 200 calls/s
the p99 went from 3 ms to 150 ms). So, once the service has started:

- what start-up built (modules, mappers, settings, templates, the agent directory) is frozen out
  of those walks: it lives as long as the process anyway;
- a full collection waits for 100 generation-1 collections instead of 10 (Python also waits until
  the long-lived objects have grown by a quarter). Young objects are collected as before, so
  short-lived reference cycles are freed as usual; the rest waits a little longer.

Process-wide, so only `callcenter run` (and the benchmarks, which stand in for it) call this,
never the tests' in-process services: a frozen test service would never be collected.
"""

from __future__ import annotations

import gc

FULL_COLLECTION_EVERY = 100  # generation-1 collections between full ones (Python's default: 10)


def tune_for_latency() -> None:
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
