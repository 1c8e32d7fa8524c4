"""First-contact resolution: was the caller's matter settled by the call, or did they call again?

"The same matter" has to be decided from what the CRM records, so it is defined like this.
A call's matter is its disposition (the code the agent chose at wrap-up); a call without one
has an unknown matter. A later call is a repeat of an answered call A when
- it comes from the same caller (the same customer; for callers the CRM does not know, the
  same number),
- it is inbound and is not a short abandon (a misdial says nothing about the matter),
- it starts after A and no more than `fcr_days` days after A started, and
- it is about the same matter: both have the same disposition, or either matter is unknown
  (they cannot be told apart, so the figure assumes the worse), or a service request opened on
  A was still open when the later call started.
A is resolved at first contact when no such repeat exists. Calls fewer than `fcr_days` old
can still lose it: the figure for recent days is provisional.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice, takewhile

from crm_core.kpi.facts import CallFact, RequestWindow
from crm_core.kpi.settings import KpiSettings


def eligible(call: CallFact) -> bool:
    """The calls FCR is measured on: answered queue calls from a caller we can recognise again."""
    return call.queue_call and call.answered and call.caller is not None


class RepeatFinder:
    """The repeat calls of a range's eligible calls, found in two steps: first which calls have a
    later call of the same caller in the window whose disposition differs (only for those does an
    open service request matter), then, given those calls' requests, the resolution of each.
    So the service loads the requests of a handful of calls instead of joining a whole range."""

    def __init__(self, calls: Iterable[CallFact], later: Iterable[CallFact], settings: KpiSettings) -> None:
        self.calls, everyone = list(calls), [*calls, *later]
        many = Counter(c.caller for c in everyone if c.caller is not None)  # one call: no repeat
        self.by_caller: dict[str, list[CallFact]] = defaultdict(list)
        seen: set[int] = set()
        for call in everyone:
            caller = call.caller
            if (
                caller is not None
                and many[caller] > 1
                and call.id not in seen
                and _may_repeat(call, settings)
            ):
                seen.add(call.id)
                self.by_caller[caller].append(call)
        self.starts: dict[str, list[datetime]] = {}
        for key, group in self.by_caller.items():
            group.sort(key=lambda c: (c.started_at, c.id))
            self.starts[key] = [c.started_at for c in group]
        self.span = timedelta(days=settings.fcr_days)

    def _later(self, call: CallFact) -> Iterator[CallFact]:
        """The caller's calls after this one, within the window, in order."""
        group = self.by_caller.get(call.caller or "")
        if not group:
            return iter(())  # the caller's only call: most callers
        first = bisect_right(self.starts[call.caller or ""], call.started_at)
        last = call.started_at + self.span
        return takewhile(lambda c: c.started_at <= last, islice(group, first, None))

    def undecided(self) -> list[int]:
        """Eligible calls whose only possible repeats are on another disposition."""
        out = []
        for call in filter(eligible, self.calls):
            others = list(self._later(call))
            if others and not any(same_matter(call, o, ()) for o in others):
                out.append(call.id)
        return out

    def resolved(self, requests: Iterable[RequestWindow]) -> dict[int, bool]:
        """call id -> resolved at first contact, for every eligible call."""
        windows: dict[int, list[RequestWindow]] = defaultdict(list)
        for window in requests:
            windows[window.call_id].append(window)
        return {
            call.id: not any(same_matter(call, o, windows.get(call.id, ())) for o in self._later(call))
            for call in filter(eligible, self.calls)
        }


def first_contact_resolved(
    calls: Iterable[CallFact],
    later: Iterable[CallFact],
    requests: Iterable[RequestWindow],
    settings: KpiSettings,
) -> dict[int, bool]:
    """call id -> resolved, for every eligible call in `calls`; `later` adds the calls after the
    report's range (up to `fcr_days` beyond it) that may be repeats."""
    return RepeatFinder(calls, later, settings).resolved(requests)


def _may_repeat(call: CallFact, settings: KpiSettings) -> bool:
    return call.direction == "inbound" and not call.short_abandon(settings.short_abandon_seconds)


def same_matter(first: CallFact, later: CallFact, windows: Sequence[RequestWindow]) -> bool:
    if first.disposition is None or later.disposition is None or first.disposition == later.disposition:
        return True
    return any(_open_at(w, later.started_at) for w in windows)


def _open_at(window: RequestWindow, at: datetime) -> bool:
    return window.opened <= at and (window.closed is None or at < window.closed)
