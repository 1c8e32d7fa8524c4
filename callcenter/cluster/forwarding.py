"""Telephony actions asked on an instance that does not hold the PBX, done by the one that does.

Behind a load balancer an agent's console may be served by any instance, but only the
PBX's owner (callcenter.cluster.ownership) has its AMI link. ForwardingTelephony stands
for one PBX on every instance: while the local link is up it calls the local adapter;
otherwise it sends the request (method name, JSON arguments, a request id, a reply key)
through Redis to whoever holds the PBX (executor.py runs it there) and waits, bounded,
for the answer; the owner's TelephonyError code and message come back as they were.

Transport: one Redis list per PBX (``<ns>:pbx:<name>:requests``) that only the instance
linked to the PBX and in sync with it pops; the reply goes to ``<ns>:reply:<request id>``,
which the caller waits on with BLPOP. A list per PBX rather than one per instance: the
caller need not read the lease first, and a request made while the PBX changes hands is
done by the next owner if that is within the timeout.

At most once: BLPOP hands an item to one consumer only, and nothing re-sends it. A caller
that got no answer in time withdraws its request (LREM): removed, nothing was done, the
error is "not_connected" (HTTP 503, safe to retry); already taken, the outcome is unknown,
"timeout" (504); a retried originate can never make a second call. A request also carries a
deadline after which the owner drops it (a caller that died while waiting).

Which PBXes are linked somewhere: the owner keeps ``<ns>:pbx:<name>:ready`` (its instance
id, expiring) fresh while it is in sync; every instance reads these markers each poll, so
``connected`` says whether an action can succeed from here, and is false soon after the
owner dies. The progressive dialer is not given these objects: it dials only where the
link is local.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from callcenter.cluster.halting import halt
from crm_core.ports import Telephony, TelephonyError

log = logging.getLogger(__name__)

FORWARDED = frozenset(
    {
        "originate",
        "originate_callback",
        "hangup",
        "blind_transfer",
        "attended_transfer",
        "set_paused",
        "login",
        "logout",
        "spy",
        "recording_start",
        "recording_stop",
        "recording_mute",
    }
)
"""The awaited actions an owner runs for another instance (never originate_campaign: the dialer
dials only on the owner)."""
FIRE_AND_FORGET = frozenset({"end_wrap_up"})  # synchronous in the port: sent, not answered
CODES = frozenset({"not_connected", "refused", "timeout", "invalid", "not_found"})
DEADLINE_MARGIN_SECONDS = 30.0  # clock skew between instances tolerated by the owner's deadline check
QUEUE_TTL_MS = 120_000  # a request list nobody pops (no owner for long) lapses


def requests_key(key: Callable[..., str], pbx: str) -> str:
    return key("pbx", pbx, "requests")


def ready_key(key: Callable[..., str], pbx: str) -> str:
    return key("pbx", pbx, "ready")


class Forwarder:
    """This instance's sending side: posts requests, waits for replies, knows where PBXes are linked."""

    def __init__(
        self, redis: Any, key: Callable[..., str], instance_id: str, timeout: float, poll: float
    ) -> None:
        self.redis, self.key, self.instance_id = redis, key, instance_id
        self.timeout, self.poll = timeout, poll
        self.linked_elsewhere: set[str] = set()  # PBXes another instance is linked to (its ready marker)
        self._names: list[str] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._sends: set[asyncio.Task[None]] = set()

    def wrap(self, name: str, local: Telephony) -> ForwardingTelephony:
        self._names.append(name)
        return ForwardingTelephony(name, local, self)

    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._watch(), name="cluster-forwarding-watch")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            await halt(task)
        if self._sends:
            await asyncio.wait(self._sends, timeout=self.timeout)

    async def refresh(self) -> None:
        """Read every PBX's ready marker once."""
        names = list(self._names)
        if not names:
            return
        values = await self.redis.mget([ready_key(self.key, n) for n in names])
        self.linked_elsewhere = {
            n for n, v in zip(names, values, strict=True) if v is not None and _text(v) != self.instance_id
        }

    async def _watch(self) -> None:
        failing = False
        while not self._stopping:
            try:
                await asyncio.wait_for(self.refresh(), max(1.0, self.poll * 4))
                if failing:
                    log.info("cluster forwarding reads the ready markers again")
                failing = False
            except asyncio.CancelledError:
                raise
            except (Exception, TimeoutError) as exc:  # Redis unreachable: nothing can be forwarded
                if not failing:
                    log.warning("cluster forwarding cannot read the ready markers: %r", exc)
                failing, self.linked_elsewhere = True, set()
            await asyncio.sleep(self.poll)

    async def call(self, pbx: str, method: str, args: dict[str, Any]) -> None:
        """Have the owner of pbx run method(**args); raises its TelephonyError, or not_connected/timeout."""
        request_id = uuid.uuid4().hex
        reply = self.key("reply", request_id)
        payload = self._payload(request_id, method, args, reply)
        queue = requests_key(self.key, pbx)
        try:
            await self._push(queue, payload)
        except Exception as exc:
            raise TelephonyError(
                f"cluster Redis unreachable for pbx={pbx}: {exc!r}", "not_connected"
            ) from exc
        try:
            got = await self.redis.blpop([reply], timeout=self.timeout)
        except asyncio.CancelledError:  # the caller gave up (its own timeout): not to be run later
            self._background(self._take_back(queue, payload))
            raise
        except Exception as exc:
            log.warning("waiting for forwarded %s on pbx=%s failed: %r", method, pbx, exc)
            got = None
        if got is None:
            await self._withdraw(queue, payload, pbx, method)
        answer = json.loads(got[1])
        if answer.get("ok"):
            return
        code = answer.get("code")
        raise TelephonyError(str(answer.get("message", "refused")), code if code in CODES else "refused")

    def send(self, pbx: str, method: str, args: dict[str, Any]) -> None:
        """Fire and forget (a synchronous port method): posted, never answered."""
        payload = self._payload(uuid.uuid4().hex, method, args, "")
        self._background(self._push_logged(requests_key(self.key, pbx), payload, method))

    def _background(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job, name="cluster-forwarding")
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _take_back(self, queue: str, payload: str) -> None:
        with contextlib.suppress(Exception):
            await self.redis.lrem(queue, 1, payload)

    def _payload(self, request_id: str, method: str, args: dict[str, Any], reply: str) -> str:
        deadline = time.time() + self.timeout + DEADLINE_MARGIN_SECONDS
        body = {"id": request_id, "m": method, "a": args, "r": reply, "o": self.instance_id}
        return json.dumps({**body, "exp": round(deadline * 1000)}, separators=(",", ":"))

    async def _push(self, queue: str, payload: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(queue, payload)
            pipe.pexpire(queue, QUEUE_TTL_MS)
            await pipe.execute()

    async def _push_logged(self, queue: str, payload: str, method: str) -> None:
        try:
            await self._push(queue, payload)
        except Exception as exc:
            log.warning("could not forward %s to %s: %r", method, queue, exc)

    async def _withdraw(self, queue: str, payload: str, pbx: str, method: str) -> NoReturn:
        """No answer in time: take the request back if nobody took it yet; say which it was."""
        try:
            removed = await self.redis.lrem(queue, 1, payload)
        except Exception:
            removed = 0
        if removed:
            raise TelephonyError(
                f"no instance took {method} for pbx={pbx} in {self.timeout}s", "not_connected"
            )
        raise TelephonyError(f"the owner of pbx={pbx} did not answer {method} in {self.timeout}s", "timeout")


class ForwardingTelephony:
    """One PBX on every instance: the local adapter while linked here, else the owner through Redis."""

    def __init__(self, name: str, local: Telephony, forwarder: Forwarder) -> None:
        self.pbx, self.local, self.forwarder = name, local, forwarder

    @property
    def connected(self) -> bool:
        """The PBX is reachable from here: linked on this instance or on another one that is alive."""
        return self.local.connected or self.pbx in self.forwarder.linked_elsewhere

    async def _act(self, method: str, **args: Any) -> None:
        if self.local.connected:
            await getattr(self.local, method)(**args)
        elif self.pbx in self.forwarder.linked_elsewhere:
            await self.forwarder.call(self.pbx, method, args)
        else:
            raise TelephonyError(f"AMI link to pbx={self.pbx} is down on every instance", "not_connected")

    async def originate(self, agent_interface: str, number: str, call_id: str) -> None:
        await self._act("originate", agent_interface=agent_interface, number=number, call_id=call_id)

    async def originate_callback(self, number: str, queue: str, call_id: str, caller_id: str = "") -> None:
        await self._act(
            "originate_callback", number=number, queue=queue, call_id=call_id, caller_id=caller_id
        )

    async def originate_campaign(
        self, number: str, agent_interface: str, call_id: str, caller_id: str = "", ring_seconds: float = 30.0
    ) -> None:
        """Only where the link is: the dialer runs on every instance and must dial once (not forwarded)."""
        await self.local.originate_campaign(number, agent_interface, call_id, caller_id, ring_seconds)

    async def hangup(self, call_id: str) -> None:
        await self._act("hangup", call_id=call_id)

    async def blind_transfer(self, call_id: str, target: str) -> None:
        await self._act("blind_transfer", call_id=call_id, target=target)

    async def attended_transfer(self, agent_interface: str, target: str) -> None:
        await self._act("attended_transfer", agent_interface=agent_interface, target=target)

    async def set_paused(self, agent_interface: str, paused: bool, reason: str = "", queue: str = "") -> None:
        await self._act(
            "set_paused", agent_interface=agent_interface, paused=paused, reason=reason, queue=queue
        )

    async def login(self, agent_interface: str, queue: str, member_name: str = "", penalty: int = 0) -> None:
        await self._act(
            "login", agent_interface=agent_interface, queue=queue, member_name=member_name, penalty=penalty
        )

    async def logout(self, agent_interface: str, queue: str) -> None:
        await self._act("logout", agent_interface=agent_interface, queue=queue)

    async def spy(self, supervisor_interface: str, agent_interface: str, mode: str) -> None:
        await self._act(
            "spy", supervisor_interface=supervisor_interface, agent_interface=agent_interface, mode=mode
        )

    async def recording_start(self, call_id: str, filename: str) -> None:
        await self._act("recording_start", call_id=call_id, filename=filename)

    async def recording_stop(self, call_id: str) -> None:
        await self._act("recording_stop", call_id=call_id)

    async def recording_mute(self, call_id: str, muted: bool) -> None:
        await self._act("recording_mute", call_id=call_id, muted=muted)

    def end_wrap_up(self, agent_interface: str) -> None:
        if self.local.connected:
            self.local.end_wrap_up(agent_interface)
        elif self.pbx in self.forwarder.linked_elsewhere:
            self.forwarder.send(self.pbx, "end_wrap_up", {"agent_interface": agent_interface})
        else:  # nobody follows the seat now; the wrap-up timer ends it after the resync
            log.info("end of wrap-up not sent: pbx=%s is linked nowhere", self.pbx)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
