"""The PBX lease in the real Redis: one holder at a time, lapses when not renewed, kept when renewed."""

from __future__ import annotations

import asyncio
from typing import Any

from callcenter.cluster.lease import Lease
from tests.polling import eventually


def _lease(redis: Any, namespace: str, holder: str, seconds: float = 0.5) -> Lease:
    return Lease(redis, f"{namespace}:pbx:main:owner", holder, seconds)


async def test_of_many_instances_racing_for_a_free_lease_exactly_one_wins(redis: Any, namespace: str) -> None:
    leases = [_lease(redis, namespace, f"i{n}", 5.0) for n in range(20)]

    won = await asyncio.gather(*(lease.acquire() for lease in leases))

    assert won.count(True) == 1
    winner = leases[won.index(True)]
    assert await winner.holder() == winner.token


async def test_a_lease_nobody_renews_lapses_and_another_instance_takes_it(redis: Any, namespace: str) -> None:
    first, second = _lease(redis, namespace, "a", 0.3), _lease(redis, namespace, "b", 0.3)
    assert await first.acquire()
    assert not await second.acquire()

    await eventually(second.acquire, within=2.0, step=0.05)

    assert await second.holder() == second.token


async def test_a_renewed_lease_is_kept_past_its_period(redis: Any, namespace: str) -> None:
    holder, rival = _lease(redis, namespace, "a", 0.3), _lease(redis, namespace, "b", 0.3)
    assert await holder.acquire()
    for _ in range(8):  # 0.8 s: well past the 0.3 s period
        await asyncio.sleep(0.1)
        assert await holder.renew()
        assert not await rival.acquire()
    assert 0 < await redis.pttl(holder.key) <= 300


async def test_a_holder_whose_lease_was_taken_can_neither_renew_nor_release_it(
    redis: Any, namespace: str
) -> None:
    stale, current = _lease(redis, namespace, "a", 0.2), _lease(redis, namespace, "b", 5.0)
    assert await stale.acquire()
    await eventually(current.acquire, within=2.0, step=0.05)

    assert not await stale.renew()
    assert not await stale.release()
    assert await current.holder() == current.token


async def test_a_released_lease_is_free_at_once(redis: Any, namespace: str) -> None:
    first, second = _lease(redis, namespace, "a", 30.0), _lease(redis, namespace, "b", 30.0)
    assert await first.acquire()
    assert await first.release()
    assert await second.acquire()


async def test_an_acquire_whose_reply_was_lost_is_recognised_as_ours_on_the_next_try(
    redis: Any, namespace: str
) -> None:
    mine, rival = _lease(redis, namespace, "a", 5.0), _lease(redis, namespace, "b", 5.0)
    # The first SET reached Redis but its reply timed out: the key holds our token, we think we lost.
    await redis.set(mine.key, mine.token, px=1000)

    assert await mine.acquire()  # at once, not after the key expires
    assert await redis.pttl(mine.key) > 1000  # and for a full period
    assert not await rival.acquire()
