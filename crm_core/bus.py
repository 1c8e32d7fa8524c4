"""The in-process event bus.

Each subscriber gets its own queue and worker task, so events reach every
subscriber in the order they were published, a slow subscriber never delays
another, and a subscriber that raises is logged and keeps receiving.
publish() is synchronous so the AMI tracker can publish from its callback
without awaiting anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any], Awaitable[None]]


class _Subscription:
    def __init__(self, name: str, handler: Handler, types: tuple[type, ...]) -> None:
        self.name = name
        self.handler = handler
        self.types = types
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                await self.handler(event)
            except Exception:
                log.exception("bus subscriber failed subscriber=%s event=%s", self.name, type(event).__name__)
            finally:
                self.queue.task_done()


class EventBus:
    """Publish domain events to ordered, isolated subscribers."""

    def __init__(self) -> None:
        self._subs: list[_Subscription] = []
        self._started = False

    def subscribe(self, name: str, handler: Handler, *types: type) -> None:
        """Deliver events of the given types (all events when none given) to handler, in order."""
        sub = _Subscription(name, handler, types)
        self._subs.append(sub)
        if self._started:
            sub.task = asyncio.create_task(sub.run(), name=f"bus:{name}")

    def publish(self, event: Any) -> None:
        for sub in self._subs:
            if not sub.types or isinstance(event, sub.types):
                sub.queue.put_nowait(event)

    async def start(self) -> None:
        self._started = True
        for sub in self._subs:
            if sub.task is None:
                sub.task = asyncio.create_task(sub.run(), name=f"bus:{sub.name}")

    async def drain(self) -> None:
        """Wait until every published event has been handled (shutdown and tests)."""
        for sub in self._subs:
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
