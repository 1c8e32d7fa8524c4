"""The service's live figures for /metrics, read from its parts when Prometheus scrapes.

Nothing here runs per event: the AMI event counts, link states, consoles and wallboards
connected, calls followed and bus queue depths already exist as state, so they are read at
scrape time. The per-event histograms (pop-up and database latency) are in crm_core.metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class _Pbx(Protocol):
    events_received: int
    connected: bool
    tracker: Any


class LiveFigures:
    """A Prometheus collector over the running service's parts (handed in, never reached for)."""

    def __init__(
        self,
        pbx_links: Mapping[str, _Pbx],
        consoles: Callable[[], int],
        wallboards: Callable[[], int],
        bus_depths: Callable[[], Mapping[str, int]],
    ) -> None:
        self.pbx_links, self.consoles, self.wallboards, self.bus_depths = (
            pbx_links,
            consoles,
            wallboards,
            bus_depths,
        )

    def collect(self) -> Iterator[Metric]:
        per_pbx = ["pbx"]
        events = CounterMetricFamily("crm_ami_events", "AMI events received, per PBX.", labels=per_pbx)
        link = GaugeMetricFamily("crm_ami_link_up", "1 when the AMI link is up and in sync.", labels=per_pbx)
        calls = GaugeMetricFamily("crm_calls_active", "Calls the tracker follows, per PBX.", labels=per_pbx)
        for name, adapter in list(self.pbx_links.items()):
            events.add_metric([name], adapter.events_received)
            link.add_metric([name], 1.0 if adapter.connected else 0.0)
            calls.add_metric([name], adapter.tracker.active_calls)
        yield from (events, link, calls)
        yield GaugeMetricFamily("crm_consoles_connected", "Console WebSockets open.", value=self.consoles())
        yield GaugeMetricFamily(
            "crm_wallboards_connected", "Wallboard WebSockets open.", value=self.wallboards()
        )
        depth = GaugeMetricFamily(
            "crm_bus_queue_depth", "Events waiting for each bus subscriber.", labels=["subscriber"]
        )
        for name, size in self.bus_depths().items():
            depth.add_metric([name], size)
        yield depth


def exposition(figures: LiveFigures) -> Callable[[], bytes]:
    """The /metrics body: the process-wide metrics (histograms, process, GC), then this service's."""
    own = CollectorRegistry(auto_describe=False)
    own.register(figures)  # type: ignore[arg-type]  # a collector only needs collect()

    def render() -> bytes:
        return generate_latest(REGISTRY) + generate_latest(own)

    return render
