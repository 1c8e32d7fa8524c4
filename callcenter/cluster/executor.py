"""The owner's side of forwarding: run the Telephony requests other instances sent for one PBX.

Runs on every instance, but pops the PBX's request list only while this instance's link
to it is up and in sync (which the lease makes true of one instance at a time), and keeps
the PBX's ready marker fresh meanwhile (forwarding.py). Only whitelisted method names are
run, with arguments bound to the port's signature and plain JSON scalars; the adapter then
validates every value (cti.actions) exactly as for a local console. Each request is run once,
as popped; its reply (ok, or the TelephonyError code and message) goes to the key it names.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from callcenter.cluster.forwarding import FIRE_AND_FORGET, FORWARDED, ready_key, requests_key
from callcenter.cluster.halting import halt
from crm_core.ports import Telephony, TelephonyError

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 64  # requests run at once per PBX; more wait in the list
REPLY_TTL_MS = 60_000  # an answer nobody waits for any more lapses
_SCALARS = (str, int, float, bool)
_CLEAR_READY = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RequestServer:
    """Pops and runs one PBX's forwarded requests while the local link to it is in sync."""

    def __init__(
        self,
        redis: Any,
        key: Callable[..., str],
        instance_id: str,
        pbx: str,
        local: Telephony,
        poll: float,
        ready_seconds: float,
    ) -> None:
        self.redis, self.instance_id, self.pbx, self.local = redis, instance_id, pbx, local
        self.queue, self.ready = requests_key(key, pbx), ready_key(key, pbx)
        self.poll, self.ready_ms = poll, max(1, round(ready_seconds * 1000))
        self.served = 0  # requests run (tests, logs)
        self._marked = False
        self._clear = redis.register_script(_CLEAR_READY)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._running: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=f"cluster-requests:{self.pbx}")

    async def stop(self) -> None:
        """Stop popping; let what runs finish (bounded); take the ready marker down."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            await halt(task)
        if self._running:
            await asyncio.wait(self._running, timeout=self.poll * 4)
        with contextlib.suppress(Exception):
            await self._unmark()

    async def _run(self) -> None:
        delay = self.poll
        while not self._stopping:
            try:
                await self._serve_once()
                delay = self.poll
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "forwarded requests of pbx=%s: Redis failed, retrying in %.1fs: %r", self.pbx, delay, exc
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _serve_once(self) -> None:
        if not self.local.connected:
            await self._unmark()
            await asyncio.sleep(self.poll)
            return
        await self.redis.set(self.ready, self.instance_id, px=self.ready_ms)
        self._marked = True
        if len(self._running) >= MAX_IN_FLIGHT:
            await asyncio.wait(self._running, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED)
            return
        got = await self.redis.blpop([self.queue], timeout=self.poll)
        if got is not None:
            task = asyncio.create_task(self._handle(got[1]), name=f"cluster-request:{self.pbx}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _unmark(self) -> None:
        if self._marked:
            self._marked = False
            await self._clear(keys=[self.ready], args=[self.instance_id])

    async def _handle(self, raw: str | bytes) -> None:
        try:
            request = json.loads(raw)
            method, args, reply = request["m"], request["a"], str(request.get("r") or "")
            expires = float(request["exp"]) / 1000
        except (ValueError, KeyError, TypeError):
            log.warning("dropped a malformed forwarded request for pbx=%s", self.pbx)
            return
        if time.time() > expires:
            log.warning("dropped a forwarded %s for pbx=%s: its caller gave up long ago", method, self.pbx)
            return
        answer = await self._run_one(method, args)
        self.served += 1
        if reply:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(reply, json.dumps(answer))
                pipe.pexpire(reply, REPLY_TTL_MS)
                await pipe.execute()

    async def _run_one(self, method: Any, args: Any) -> dict[str, Any]:
        try:
            bound = _checked(method, args)
            if method in FIRE_AND_FORGET:
                getattr(self.local, method)(**bound)
            else:
                await getattr(self.local, method)(**bound)
        except TelephonyError as exc:
            return {"ok": False, "code": exc.code, "message": str(exc)}
        except Exception:
            log.exception("forwarded %s failed on pbx=%s", method, self.pbx)
            return {"ok": False, "code": "refused", "message": "the owner failed to run the action"}
        return {"ok": True}


def _checked(method: Any, args: Any) -> dict[str, Any]:
    """Only whitelisted port methods, with exactly their parameters, each a JSON scalar."""
    if not isinstance(method, str) or method not in FORWARDED | FIRE_AND_FORGET:
        raise TelephonyError(f"not a forwardable action: {str(method)[:40]!r}", "invalid")
    if not isinstance(args, dict) or not all(isinstance(v, _SCALARS) for v in args.values()):
        raise TelephonyError(f"invalid arguments for {method}", "invalid")
    try:
        inspect.signature(getattr(Telephony, method)).bind(None, **args)
    except TypeError as exc:
        raise TelephonyError(f"invalid arguments for {method}: {exc}", "invalid") from exc
    return args
