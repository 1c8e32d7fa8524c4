"""Stopping a loop task for sure.

On Python 3.11 a cancel that meets a Redis read timeout can come out as TimeoutError, which a
loop catching Exception survives; a single cancel() then a gather() would wait forever.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def halt(task: asyncio.Task[None], tries: int = 20) -> None:
    """Cancel a loop task and wait for it, cancelling again while it goes on: on Python 3.11 a cancel
    that meets a Redis read timeout can come out as TimeoutError, which the loop survives."""
    for _ in range(tries):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=0.5)
        if done:
            if not task.cancelled():
                task.exception()  # retrieved, so a failure is not reported again at collection
            return
    log.error("task %s would not stop", task.get_name())
