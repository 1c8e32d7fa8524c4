"""Holding a PBX's AMI link only while this instance holds the PBX's lease.

Standby: try to take the lease every half renew interval. Owner: start the link, renew
every renew interval. Fencing: the lease is valid until (when the last successful renew
was *sent*) + lease period, measured on this instance's monotonic clock, which cannot
be later than Redis' own expiry; the link is stopped one renew interval before that
point whatever Redis answers (or fails to answer), so the old owner is off the PBX
before anybody else can take the lease. A renew that finds another holder stops the
link at once. With lease 3 s and renew 1 s: a SIGKILLed owner is replaced within
lease + renew/2 (3.5 s) plus the new owner's login and resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from callcenter.cluster.halting import halt
from callcenter.cluster.lease import Lease

log = logging.getLogger(__name__)


class Link(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


class PbxOwnership:
    """The lease loop of one PBX on this instance."""

    def __init__(
        self,
        name: str,
        lease: Lease,
        link: Link,
        lease_seconds: float,
        renew_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.lease, self.link = name, lease, link
        self.lease_seconds, self.renew_seconds, self.clock = lease_seconds, renew_seconds, clock
        self.owned = False
        self.takeovers = 0  # how many times this instance took the PBX (metrics, tests)
        self._fence_at = 0.0
        self._releasing = False  # fenced by fence(), lease still ours until release()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pbx-lease:{self.name}")

    async def stop(self) -> None:
        """Stop the link first, then give the lease back so another instance takes over at once."""
        await self.fence()
        await self.release()

    async def fence(self) -> None:
        """Clean stop, step one: no more lease loop, link down, but the lease kept (not renewed).

        Until release(), nobody else takes the PBX, so the new owner's resync sweep cannot
        end a call whose real CallEnded is still queued on this instance's bus.
        """
        task, self._task = self._task, None
        if task is not None:
            await halt(task)
        if self.owned:
            self._releasing = True
            await self._fence("instance stopping", logging.INFO)

    async def release(self) -> None:
        """Clean stop, step two (after the bus drained): hand the lease back for an instant takeover."""
        if self._releasing:
            self._releasing = False
            with contextlib.suppress(Exception, TimeoutError):
                await asyncio.wait_for(self.lease.release(), self.renew_seconds)

    async def _run(self) -> None:
        while True:
            try:
                await (self._hold() if self.owned else self._try_take())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("PBX lease loop failed pbx=%s", self.name)
                await asyncio.sleep(self.renew_seconds)

    async def _try_take(self) -> None:
        sent = self.clock()
        try:
            won = await asyncio.wait_for(self.lease.acquire(), self.renew_seconds)
        except (Exception, TimeoutError) as exc:
            log.debug("PBX lease not reachable pbx=%s: %r", self.name, exc)
            won = False
        if not won:
            await asyncio.sleep(self.renew_seconds / 2)
            return
        self._fence_at = sent + self.lease_seconds - self.renew_seconds
        self.owned, self.takeovers = True, self.takeovers + 1
        log.info("took PBX lease pbx=%s holder=%s", self.name, self.lease.token)
        await self.link.start()

    async def _hold(self) -> None:
        await asyncio.sleep(max(0.0, min(self.renew_seconds, self._fence_at - self.clock())))
        sent = self.clock()
        if sent >= self._fence_at:
            await self._fence("lease could not be renewed in time")
            return
        try:
            kept: bool | None = await asyncio.wait_for(self.lease.renew(), self._fence_at - sent)
        except (Exception, TimeoutError) as exc:
            log.warning("PBX lease renew failed pbx=%s: %r", self.name, exc)
            kept = None
        if kept:
            self._fence_at = sent + self.lease_seconds - self.renew_seconds
        elif kept is False:
            await self._fence("lease held by another instance")

    async def _fence(self, why: str, level: int = logging.WARNING) -> None:
        self.owned = False
        log.log(level, "dropping AMI link pbx=%s: %s", self.name, why)
        await self.link.stop()
