"""A lease in Redis: at most one holder of a key at a time, and it lapses when the holder dies.

Taken with SET NX PX (only when nobody holds it; refreshed when already ours), renewed
and released only by the holder, recognised by its random token, in one Lua step each
(compare-and-extend, compare-and-delete), so a holder whose lease already lapsed and was
taken by another can neither extend nor delete the new holder's lease.

Why Redis rather than PostgreSQL: the instances need Redis anyway for the shared event
bus, SQLite deployments have no advisory locks, and a PostgreSQL session lock lives as
long as a TCP connection (minutes behind a dead peer), while a PX lease lapses on time.
"""

from __future__ import annotations

import secrets
from typing import Any

_ACQUIRE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return 1
end
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('pexpire', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class Lease:
    """One key, one holder: this object's token (instance id + random part)."""

    def __init__(self, redis: Any, key: str, holder: str, seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.token = f"{holder}:{secrets.token_hex(8)}"
        self.ttl_ms = max(1, round(seconds * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it, or refresh it if it is already ours: an acquire whose
        reply was lost (time-out, cancelled stop) set our token, and a plain SET NX would then fail
        until the key expired. True when this holder now has it."""
        return bool(await self._acquire(keys=[self.key], args=[self.token, self.ttl_ms]))

    async def renew(self) -> bool:
        """Extend the lease by its full period; False when it lapsed or another holds it."""
        return bool(await self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    async def release(self) -> bool:
        """Give the lease up now (clean stop), so another instance need not wait for it to lapse."""
        return bool(await self._release(keys=[self.key], args=[self.token]))

    async def holder(self) -> str | None:
        """The token of whoever holds the lease now (tests, logs)."""
        value = await self.redis.get(self.key)
        return value.decode() if isinstance(value, bytes) else value
