"""The shared event stream between two instances, over the real Redis.

Each "instance" is an EventBus with a presentation subscriber and a writer, joined by its
own EventRelay the way callcenter.service wires them.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from callcenter.cluster.relay import EventRelay
from crm_core.bus import EventBus
from crm_core.events import AgentStateChanged, CallOffered, PbxResynced
from tests.cluster.conftest import REDIS_URL
from tests.polling import eventually
from tests.tcp_proxy import LoopbackProxy

A1 = "Local/1001@agents/n"


def _offer(call_id: str) -> CallOffered:
    return CallOffered("main", call_id, A1, "13800138000", "王小明", "support", 1.0)


class Node:
    def __init__(self, name: str, redis: Any, namespace: str, seats: list[Any] | None = None) -> None:
        self.bus = EventBus()
        self.shown: list[Any] = []
        self.written: list[Any] = []
        self.users_changed = 0
        self.closed: list[int] = []
        self.relay = EventRelay(
            redis, f"{namespace}:events", name, self.bus.publish_remote, lambda: seats or []
        )
        self.relay.users_changed.append(self._users)
        self.relay.signed_out.append(self._signed_out)
        self.bus.subscribe("hub", self._show, remote=True)
        self.bus.subscribe("records", self._write)
        self.bus.subscribe("cluster-out", self.relay.send)

    async def _show(self, event: Any) -> None:
        self.shown.append(event)

    async def _write(self, event: Any) -> None:
        self.written.append(event)

    async def _users(self) -> None:
        self.users_changed += 1

    async def _signed_out(self, user_id: int) -> None:
        self.closed.append(user_id)

    async def start(self) -> None:
        await self.bus.start()
        await self.relay.start()

    async def stop(self) -> None:
        await self.bus.stop()
        await self.relay.stop()


@pytest.fixture
async def nodes(redis: Any, namespace: str) -> AsyncIterator[tuple[Node, Node]]:
    seat = AgentStateChanged("main", A1, "ready", "", ("support",), 5.0)
    owner, other = Node("owner", redis, namespace, seats=[seat]), Node("other", redis, namespace)
    await owner.start()
    await other.start()
    try:
        yield owner, other
    finally:
        await owner.stop()
        await other.stop()


async def test_an_instance_that_joins_gets_the_owners_seat_states(nodes: tuple[Node, Node]) -> None:
    owner, other = nodes
    await eventually(lambda: [e.state for e in other.shown] == ["ready"])
    assert owner.shown == []  # its own answer is not delivered back to it


async def test_events_reach_the_other_instances_presentation_in_order_never_its_writers(
    nodes: tuple[Node, Node],
) -> None:
    owner, other = nodes
    for n in range(50):
        owner.bus.publish(_offer(f"c{n}"))
    owner.bus.publish(PbxResynced("main", (), 2.0))  # the owner's database matter only

    await eventually(lambda: len([e for e in other.shown if isinstance(e, CallOffered)]) == 50)
    assert [e.call_id for e in other.shown if isinstance(e, CallOffered)] == [f"c{n}" for n in range(50)]
    assert other.written == []
    assert len(owner.written) == 51 and len(owner.shown) == 51  # delivered once locally, not echoed
    assert not any(isinstance(e, PbxResynced) for e in other.shown)


async def test_user_changes_and_sign_outs_reach_the_other_instances(nodes: tuple[Node, Node]) -> None:
    owner, other = nodes
    await owner.relay.notify_users_changed()
    await owner.relay.notify_signed_out(42)

    await eventually(lambda: other.users_changed == 1 and other.closed == [42])
    assert owner.users_changed == 0 and owner.closed == []


async def test_while_redis_hangs_publishing_never_waits_the_queue_is_bounded_and_stop_is_prompt(
    redis: Any, namespace: str
) -> None:
    proxy = LoopbackProxy("127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    hung = aioredis.from_url(
        f"redis://127.0.0.1:{proxy.port}/0", socket_timeout=10.0, socket_connect_timeout=5.0
    )
    relay = EventRelay(hung, f"{namespace}:events", "hung", lambda _event: None)
    relay.out_max = 50
    try:
        await relay.start()
        proxy.cut()  # Redis stops answering, without closing anything
        began = time.monotonic()
        for i in range(200):
            await relay.send(_offer(f"c{i}"))
        assert time.monotonic() - began < 0.5  # the bus subscriber only queues
        assert relay.dropped >= 150  # the oldest went; counted (and logged)

        stopping = time.monotonic()
        await relay.stop(flush_seconds=0.5)
        assert time.monotonic() - stopping < 1.5  # not pending x (connect + reply time-out)
    finally:
        await relay.stop(flush_seconds=0)
        await hung.aclose()
        await proxy.stop()


async def test_an_undecodable_entry_is_skipped_and_the_next_ones_still_arrive(
    nodes: tuple[Node, Node], redis: Any, namespace: str
) -> None:
    _owner, other = nodes
    await redis.xadd(f"{namespace}:events", {b"o": b"\xff\xfe", b"k": b"event", b"b": b"\xff"})
    await redis.xadd(f"{namespace}:events", {"o": "elsewhere", "k": "signed_out", "b": "7"})
    await eventually(lambda: other.closed == [7], within=3.0)


async def test_a_reader_the_capped_stream_was_trimmed_past_notices_and_asks_for_fresh_seats(
    nodes: tuple[Node, Node], redis: Any, namespace: str
) -> None:
    stream = f"{namespace}:events"
    await redis.xadd(stream, {"o": "elsewhere", "k": "users", "b": ""})
    lagger = EventRelay(redis, stream, "lagger", lambda _event: None)
    await lagger.start()  # reads from that entry on
    reader, lagger._task = lagger._task, None  # its reads stall, as behind a slow link
    assert reader is not None
    reader.cancel()
    try:
        assert not await lagger.check_gap()
        for _ in range(20):
            await redis.xadd(stream, {"o": "elsewhere", "k": "users", "b": ""})
        await redis.xtrim(stream, maxlen=1, approximate=False)  # as MAXLEN ~ does to a reader far behind

        assert await lagger.check_gap() and lagger.gaps == 1

        async def owner_answered() -> bool:  # the hello made the owner send its seats again
            entries = await redis.xrange(stream)
            return any(f.get(b"o") == b"owner" and f.get(b"k") == b"event" for _id, f in entries)

        await eventually(owner_answered, within=3.0)
    finally:
        await lagger.stop(flush_seconds=1.0)
