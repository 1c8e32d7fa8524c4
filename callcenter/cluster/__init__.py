"""Several instances of the service as one: shared events and one owner per PBX (issue 10).

Built only when [cluster] redis_url is set; without it the service is a single
process and nothing here runs. See relay.py (the shared event stream), lease.py and
ownership.py (who holds each PBX's AMI link), forwarding.py and executor.py (Telephony
actions asked on one instance, done by the PBX's owner) and docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import redis.asyncio as aioredis

from callcenter.cluster.executor import RequestServer
from callcenter.cluster.forwarding import Forwarder, ForwardingTelephony
from callcenter.cluster.lease import Lease
from callcenter.cluster.ownership import Link, PbxOwnership
from callcenter.cluster.relay import EventRelay
from callcenter.settings import ClusterSettings
from crm_core.bus import EventBus
from crm_core.ports import Telephony

log = logging.getLogger(__name__)


def instance_name(settings: ClusterSettings) -> str:
    return settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"


class Cluster:
    """This instance's part of the cluster: its relay and the lease loop of each PBX."""

    def __init__(self, settings: ClusterSettings, bus: EventBus) -> None:
        self.settings = settings
        self.instance_id = instance_name(settings)
        # Lease commands must fail within a renew interval; the relay's blocking read must not.
        self._leases = aioredis.from_url(
            settings.redis_url,
            socket_timeout=settings.renew_seconds,
            socket_connect_timeout=settings.renew_seconds,
        )
        self._stream = aioredis.from_url(settings.redis_url, socket_timeout=10.0, socket_connect_timeout=5.0)
        self.owners: dict[str, PbxOwnership] = {}
        self.relay = EventRelay(
            self._stream, self.key("events"), self.instance_id, bus.publish_remote, self._owned_seats
        )
        self._links: dict[str, Any] = {}
        # Forwarded actions: a caller blocks up to the timeout, the owner's pop up to poll.
        self._forward = aioredis.from_url(
            settings.redis_url,
            socket_timeout=settings.forward_timeout_seconds + 5.0,
            socket_connect_timeout=settings.renew_seconds,
        )
        poll = settings.renew_seconds / 2
        self.forwarder = Forwarder(
            self._forward, self.key, self.instance_id, settings.forward_timeout_seconds, poll
        )
        self.servers: dict[str, RequestServer] = {}

    def key(self, *parts: str) -> str:
        return ":".join((self.settings.namespace, *parts))

    async def start(self) -> None:
        await self.relay.start()
        await self.forwarder.start()

    def forward(self, name: str, local: Telephony) -> ForwardingTelephony:
        """What consoles and the API act through for this PBX: local while linked here, else the owner."""
        self.servers[name] = RequestServer(
            self._forward,
            self.key,
            self.instance_id,
            name,
            local,
            poll=self.settings.renew_seconds / 2,
            ready_seconds=self.settings.renew_seconds * 2,
        )
        return self.forwarder.wrap(name, local)

    async def own(self, name: str, link: Link) -> PbxOwnership:
        """Run this PBX's link only while this instance holds its lease."""
        lease = Lease(
            self._leases, self.key("pbx", name, "owner"), self.instance_id, self.settings.lease_seconds
        )
        owner = PbxOwnership(name, lease, link, self.settings.lease_seconds, self.settings.renew_seconds)
        self.owners[name], self._links[name] = owner, link
        await owner.start()
        if name in self.servers:
            await self.servers[name].start()
        return owner

    async def stop_links(self) -> None:
        """Stop serving forwarded actions, then every PBX link this instance holds; the leases are
        kept until release_leases(), after the bus drained (see PbxOwnership.fence)."""
        for server in self.servers.values():
            await server.stop()
        for owner in self.owners.values():
            await owner.fence()

    async def release_leases(self, drain: Callable[[], Awaitable[None]]) -> None:
        """Once the bus drained (this instance's call events written), hand the PBX leases back:
        another instance takes over at once and its resync sweep sees those writes. The wait is
        bounded by the lease period: past it the lease lapses anyway."""
        try:
            await asyncio.wait_for(drain(), self.settings.lease_seconds)
        except TimeoutError:
            log.warning("bus not drained in %.1f s; PBX leases handed back", self.settings.lease_seconds)
        for owner in self.owners.values():
            await owner.release()

    async def close(self) -> None:
        """After the bus has drained (its last events are appended): stop reading, close Redis."""
        await self.relay.stop()
        await self.forwarder.stop()
        await self._forward.aclose()
        await self._stream.aclose()
        await self._leases.aclose()

    def _owned_seats(self) -> Iterable[Any]:
        for name, owner in self.owners.items():
            if owner.owned:
                yield from self._links[name].seat_snapshot()
