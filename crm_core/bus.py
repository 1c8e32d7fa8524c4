"""The in-process event bus.

Each subscriber gets its own queue and worker task, so events reach every
subscriber in the order they were published, a slow subscriber never delays
another, and a subscriber that raises is logged and keeps receiving (one that
met a database locked past its busy time-out is handed the same event again).
publish() is synchronous so the AMI tracker can publish from its callback
without awaiting anything.

With several instances (callcenter.cluster) an event may come from another
instance: publish_remote() hands it only to subscribers that asked for remote
events (what people see: consoles, wallboard), never to writers, which run only
on the instance that owns the PBX, so nothing is written twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from crm_core.db import retry_when_busy

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]


class _Subscription:
    def __init__(self, name: str, handler: Handler, types: tuple[type, ...], remote: bool = False) -> None:
        self.name = name
        self.handler = handler
        self.types = types
        self.remote = remote
        self.batch = 0  # > 0: the handler takes a list of up to this many events (subscribe batch=)
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            events = [event]
            while len(events) < self.batch and not self.queue.empty():
                events.append(self.queue.get_nowait())  # everything already queued, up to batch
            try:
                # A subscriber whose transaction met a locked database gets the same event(s)
                # again (its transaction rolled back), so no writer loses an event to a lock.
                given = events if self.batch else event
                await retry_when_busy(lambda given=given: self.handler(given), f"bus:{self.name}")
            except Exception:
                log.exception("bus subscriber failed subscriber=%s event=%s", self.name, type(event).__name__)
            finally:
                for _ in events:
                    self.queue.task_done()
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                return  # stop() cancelled us and the handler turned that into another error


class EventBus:
    """Publish domain events to ordered, isolated subscribers."""

    def __init__(self) -> None:
        self._subs: list[_Subscription] = []
        self._started = False

    def subscribe(
        self, name: str, handler: Handler, *types: type, remote: bool = False, batch: int = 0
    ) -> None:
        """Deliver events of the given types (all events when none given) to handler, in order.

        remote: also deliver the events other instances published (see publish_remote).
        batch: hand the handler a list of everything queued (up to batch events) per call, so a
        writer can store many events in one transaction (the call records).
        """
        sub = _Subscription(name, handler, types, remote)
        sub.batch = batch
        self._subs.append(sub)
        if self._started:
            sub.task = asyncio.create_task(sub.run(), name=f"bus:{name}")

    def publish(self, event: Any) -> None:
        for sub in self._subs:
            if not sub.types or isinstance(event, sub.types):
                sub.queue.put_nowait(event)

    def publish_remote(self, event: Any) -> None:
        """An event another instance published: only to subscribers that asked for remote events."""
        for sub in self._subs:
            if sub.remote and (not sub.types or isinstance(event, sub.types)):
                sub.queue.put_nowait(event)

    async def start(self) -> None:
        self._started = True
        for sub in self._subs:
            if sub.task is None:
                sub.task = asyncio.create_task(sub.run(), name=f"bus:{sub.name}")

    def queue_depths(self) -> dict[str, int]:
        """Events waiting per subscriber (/metrics): a growing queue is a subscriber falling behind."""
        return {sub.name: sub.queue.qsize() for sub in self._subs}

    async def drain(self, *names: str) -> None:
        """Wait until every published event has been handled (shutdown and tests); given names, only
        by those subscribers (benchmarks)."""
        for sub in self._subs:
            if not names or sub.name in names:
                await sub.queue.join()

    async def stop(self) -> None:
        await self.drain()
        for sub in self._subs:
            if sub.task is not None:
                sub.task.cancel()
        await asyncio.gather(*(s.task for s in self._subs if s.task), return_exceptions=True)
        for sub in self._subs:
            sub.task = None
        self._started = False
