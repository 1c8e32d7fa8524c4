"""The cluster's event bus: domain events shared between instances through one Redis stream.

Each instance appends the events it published itself (its PBXes, its recordings'
alarms) to the stream, in publish order, tagged with its instance id; each instance
reads the stream from where it was when it started and hands the others' events to
its presentation subscribers (EventBus.publish_remote: consoles, wallboard), never to
its writers. One stream, so every reader sees every instance's events in one order;
a stream rather than pub/sub, so a reader that lost its connection for a moment picks
up where it left off. The stream is capped (MAXLEN ~), it is not an archive.

Besides events, the stream carries notices: "users" (a user or an interface changed:
caches elsewhere forget who is on which interface), "signed_out" (a user's consoles
must close everywhere) and "hello" (an instance started: owners answer with their
seats' current states, so its consoles and wallboard do not wait for the next change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from callcenter.cluster.halting import halt
from crm_core.event_codec import decode, encode
from crm_core.events import PbxResynced

log = logging.getLogger(__name__)

STREAM_MAXLEN = 10_000
READ_BLOCK_MS = 1000
READ_COUNT = 500
RETRY_MAX_SECONDS = 5.0
OUT_MAX = 10_000  # entries waiting to be appended; past it the oldest are dropped (counted, logged)
WRITE_BATCH = 200  # entries per pipelined append
WRITE_TIMEOUT = 2.0  # one pipelined append; a hung Redis costs this, not a connect + reply time-out each
FLUSH_SECONDS = 2.0  # how long stop() waits for what is still queued

UsersChanged = Callable[[], Awaitable[None]]
SignedOut = Callable[[int], Awaitable[None]]


class EventRelay:
    """Appends this instance's events to the shared stream and delivers the others'."""

    def __init__(
        self,
        redis: Any,
        stream: str,
        origin: str,
        deliver: Callable[[Any], None],
        seats: Callable[[], Iterable[Any]] = list,
    ) -> None:
        self.redis, self.stream, self.origin = redis, stream, origin
        self.deliver = deliver  # EventBus.publish_remote
        self.seats = seats  # the current seat states of the PBXes this instance owns
        self.users_changed: list[UsersChanged] = []
        self.signed_out: list[SignedOut] = []
        self.received = 0
        self.gaps = 0  # times this reader fell so far behind that the stream was trimmed past it
        self._last_id = "0-0"
        self._task: asyncio.Task[None] | None = None
        # Out: the bus subscriber only queues; one writer appends in pipelined batches, so a hung
        # Redis neither holds the bus (whose queue is unbounded) nor makes shutdown wait per event.
        self._out: deque[tuple[str, str]] = deque()
        self.out_max = OUT_MAX
        self.dropped = 0  # entries other instances never got because Redis could not take them
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._inflight = 0  # entries of the pipelined append under way
        self._drained = asyncio.Event()  # set while nothing is queued or being appended
        self._drained.set()

    async def start(self) -> None:
        """Read from the stream's current end; announce this instance."""
        newest = await self.redis.xrevrange(self.stream, count=1)
        self._last_id = _text(newest[0][0]) if newest else "0-0"
        self._task = asyncio.create_task(self._read_loop(), name="cluster-relay")
        self._writer = asyncio.create_task(self._write_loop(), name="cluster-relay-out")
        await self._append("hello", "")

    async def stop(self, flush_seconds: float = FLUSH_SECONDS) -> None:
        """Append what is still queued (for at most flush_seconds), then stop reading and writing."""
        if self._writer is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), flush_seconds)
        if self._out or self._inflight:
            log.warning(
                "cluster relay stopping with %d entries not appended", len(self._out) + self._inflight
            )
        tasks = [t for t in (self._task, self._writer) if t is not None]
        self._task = self._writer = None
        for task in tasks:
            await halt(task)

    # -- out ------------------------------------------------------------------------------------

    async def send(self, event: Any) -> None:
        """Bus subscriber (local events only): append the event to the stream."""
        if isinstance(event, PbxResynced):
            return  # a writers' matter: it concerns the owner's database work only
        await self._append("event", encode(event))

    async def notify_users_changed(self) -> None:
        await self._append("users", "")

    async def notify_signed_out(self, user_id: int) -> None:
        await self._append("signed_out", str(user_id))

    async def _append(self, kind: str, body: str) -> None:
        """Queue an entry for the writer; when full, the oldest goes (other instances miss it,
        this one goes on serving its consoles)."""
        if len(self._out) >= self.out_max:
            self._out.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("cluster relay queue full, oldest entries dropped total=%d", self.dropped)
        self._out.append((kind, body))
        self._drained.clear()
        self._wake.set()

    async def _write_loop(self) -> None:
        delay = 0.1
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._out:
                batch = [self._out.popleft() for _ in range(min(WRITE_BATCH, len(self._out)))]
                self._inflight = len(batch)
                try:
                    await asyncio.wait_for(self._write(batch), WRITE_TIMEOUT)
                    delay = 0.1
                except Exception as exc:  # put back in order and retry; the bound drops the oldest
                    log.warning("cluster relay could not append entries=%d: %r", len(batch), exc)
                    room = max(0, self.out_max - len(self._out))
                    self.dropped += len(batch) - min(room, len(batch))
                    self._out.extendleft(reversed(batch[len(batch) - min(room, len(batch)) :]))
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX_SECONDS)
                finally:
                    self._inflight = 0
            self._drained.set()

    async def _write(self, batch: list[tuple[str, str]]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for kind, body in batch:
                pipe.xadd(
                    self.stream,
                    {"o": self.origin, "k": kind, "b": body},
                    maxlen=STREAM_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    # -- in -------------------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        delay, lagging = 0.1, False
        while True:
            try:
                batches = await self.redis.xread(
                    {self.stream: self._last_id}, count=READ_COUNT, block=READ_BLOCK_MS
                )
                delay = 0.1
                if lagging or any(len(entries) >= READ_COUNT for _s, entries in batches or ()):
                    await self.check_gap()  # behind or away for a while: was our place trimmed?
                lagging = False
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("cluster relay read failed, retrying in %.1fs: %r", delay, exc)
                await asyncio.sleep(delay)
                delay, lagging = min(delay * 2, RETRY_MAX_SECONDS), True
                continue
            for _stream, entries in batches or ():
                for entry_id, fields in entries:
                    self._last_id = _text(entry_id)
                    await self._receive(fields)

    async def check_gap(self) -> bool:
        """True (logged, and a hello sent so the owners send fresh seat states) when the capped
        stream was trimmed past the entry this instance read last: events were skipped."""
        if self._last_id == "0-0":
            return False  # started on an empty stream: nothing to compare with
        try:
            first = (await self.redis.xinfo_stream(self.stream)).get("first-entry")
        except Exception as exc:
            log.warning("cluster relay could not check for a gap: %r", exc)
            return False
        if not first or _order(_text(first[0])) <= _order(self._last_id):
            return False
        log.warning("cluster relay skipped trimmed events after=%s first=%s", self._last_id, _text(first[0]))
        self.gaps += 1
        await self._append("hello", "")
        return True

    async def _receive(self, raw: dict[Any, Any]) -> None:
        fields: dict[str, str] = {}
        try:
            fields = {_text(k): _text(v) for k, v in raw.items()}
            if fields.get("o") == self.origin:
                return  # our own: already delivered locally
            kind, body = fields.get("k"), fields.get("b", "")
            if kind == "event":
                self.deliver(decode(body))
                self.received += 1
            elif kind == "users":
                for listener in self.users_changed:
                    await listener()
            elif kind == "signed_out":
                for closer in self.signed_out:
                    await closer(int(body))
            elif kind == "hello":
                for event in self.seats():
                    await self._append("event", encode(event))
        except Exception:  # a bad entry is skipped; the read loop goes on
            log.exception("cluster relay could not apply kind=%s from=%s", fields.get("k"), fields.get("o"))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
