"""PBX ownership: exactly one instance's AMI link is up; takeover after death; fencing on partition.

Real PBX adapters talk to the simulated Asterisk (pbxsim) and lease through the real Redis;
an "instance" here is an adapter with its own lease loop and its own Redis connection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from callcenter.cluster.lease import Lease
from callcenter.cluster.ownership import PbxOwnership
from crm_core.events import PbxLinkChanged
from cti.pbx_adapter import PbxAdapter
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.cluster.conftest import REDIS_URL
from tests.polling import eventually
from tests.tcp_proxy import LoopbackProxy

SECRET = "lease-secret"
LEASE, RENEW = 0.9, 0.3


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    server = AmiServer("crm", SECRET, timestampevents=True)
    await server.start()
    Pbx(server).add_queue("support")
    try:
        yield server
    finally:
        await server.stop()


class Instance:
    def __init__(self, name: str, ami: AmiServer, redis: Any, namespace: str) -> None:
        self.events: list[Any] = []
        self.adapter = PbxAdapter(
            "main", self.events.append, host="127.0.0.1", port=ami.port, username="crm", secret=SECRET,
            backoff_max=0.5, ping_interval=1.0,
        )  # fmt: skip
        lease = Lease(redis, f"{namespace}:pbx:main:owner", name, LEASE)
        self.owner = PbxOwnership("main", lease, self.adapter, LEASE, RENEW)

    async def die(self) -> None:
        """As after SIGKILL: the loop and the link vanish, the lease is not handed back."""
        task, self.owner._task = self.owner._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self.adapter.stop()


@pytest.fixture
async def instances(ami: AmiServer, redis: Any, namespace: str) -> AsyncIterator[list[Instance]]:
    made = [Instance(name, ami, redis, namespace) for name in ("a", "b")]
    try:
        yield made
    finally:
        for inst in made:
            await inst.owner.stop()
            await inst.adapter.stop()


def _up(instances: list[Instance]) -> list[Instance]:
    return [i for i in instances if i.adapter.link.connected]


async def test_two_instances_starting_together_give_the_pbx_one_ami_link(
    instances: list[Instance], ami: AmiServer
) -> None:
    await asyncio.gather(*(i.owner.start() for i in instances))
    await eventually(lambda: len(_up(instances)) == 1, within=3.0)
    for _ in range(10):  # renewals keep it that way
        await asyncio.sleep(RENEW / 2)
        assert len(_up(instances)) == 1 and ami.connections == 1


async def test_when_the_owner_dies_without_releasing_the_other_takes_over_within_the_lease(
    instances: list[Instance],
) -> None:
    first, second = instances
    await first.owner.start()
    await eventually(lambda: first.adapter.connected, within=3.0)
    await second.owner.start()

    await first.die()
    died = time.monotonic()
    await eventually(lambda: second.adapter.connected, within=LEASE + 2.0)

    took = time.monotonic() - died
    assert took <= LEASE + RENEW + 0.5, took
    assert second.owner.takeovers == 1


async def test_a_clean_stop_hands_the_pbx_over_at_once(instances: list[Instance]) -> None:
    first, second = instances
    await first.owner.start()
    await eventually(lambda: first.adapter.connected, within=3.0)
    await second.owner.start()

    stopped = time.monotonic()
    await first.owner.stop()
    await eventually(lambda: second.adapter.connected, within=LEASE)

    assert time.monotonic() - stopped < LEASE  # no waiting for the lease to lapse


async def test_an_owner_cut_off_from_redis_drops_its_link_before_anybody_can_take_over(
    ami: AmiServer, redis: Any, namespace: str
) -> None:
    proxy = LoopbackProxy("127.0.0.1", int(REDIS_URL.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    cut_client = aioredis.from_url(f"redis://127.0.0.1:{proxy.port}/0", socket_timeout=RENEW)
    isolated, survivor = Instance("a", ami, cut_client, namespace), Instance("b", ami, redis, namespace)
    try:
        await isolated.owner.start()
        await eventually(lambda: isolated.adapter.connected, within=3.0)
        await survivor.owner.start()
        proxy.cut()
        overlaps: list[bool] = []

        def taken_over() -> bool:
            overlaps.append(len(_up([isolated, survivor])) == 2)
            return survivor.adapter.connected

        await eventually(taken_over, within=LEASE + 3.0, step=0.01)
        assert not any(overlaps)
        assert not isolated.owner.owned and not isolated.adapter.link.connected
        dropped = next(e.at for e in isolated.events if isinstance(e, PbxLinkChanged) and not e.up)
        came_up = next(e.at for e in survivor.events if isinstance(e, PbxLinkChanged) and e.up)
        assert dropped < came_up
    finally:
        await isolated.owner.stop()
        await survivor.owner.stop()
        await cut_client.aclose()
        await proxy.stop()


async def test_a_stopping_owner_keeps_the_lease_until_its_queued_events_are_written(
    instances: list[Instance],
) -> None:
    first, second = instances
    await first.owner.start()
    await eventually(lambda: first.adapter.connected, within=3.0)
    await second.owner.start()

    await first.owner.fence()  # link down; the bus drains now (Cluster.release_leases)
    assert not first.adapter.link.connected
    await asyncio.sleep(RENEW)  # the standby tries meanwhile and must not get the PBX yet
    assert await first.owner.lease.holder() == first.owner.lease.token and not second.owner.owned

    await first.owner.release()
    await eventually(lambda: second.adapter.connected, within=LEASE)
