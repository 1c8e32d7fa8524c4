"""How long a PBX is without an owner when the instance holding it dies (issue 10 target g: <= 5 s).

Two real service processes (`python -m callcenter run`) share one database and one Redis and
point at one simulated Asterisk (pbxsim) run here. Each round SIGKILLs the instance holding
the PBX's lease (no clean release) and times how long until the other one holds the AMI link
and is in sync with the PBX (its /metrics shows crm_ami_link_up 1), with a call talking across the kill;
then a fresh instance is started as the new standby. Run:
`.venv/bin/python bench/failover.py [kills]` (default 5, at most 20). Needs Redis at
CRM_TEST_REDIS_URL or redis://127.0.0.1:6379/0; the database is a PostgreSQL one of its own
(CRM_TEST_PG_DSN, dropped at the end) or, when unreachable, a SQLite file.
Prints the setup, each round, then the median and max.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import redis.asyncio as aioredis

from crm_core.db import Database
from crm_core.migrate import upgrade
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import queue_call
from tests.cluster.conftest import REDIS_URL
from tests.cluster.instances import ClusterSetup, Instance
from tests.conftest import _pg_database, _pg_drop, _pg_reachable

SECRET = "bench-secret"
AGENT = "Local/1001@agents/n"
KILLS_MAX = 20
TARGET = 5.0


async def _wait(check, within: float, step: float = 0.02) -> float:  # type: ignore[no-untyped-def]
    """Seconds until check() is true; TimeoutError after `within`."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(step)
    raise TimeoutError(f"not within {within:.1f} s")


async def _database(folder: Path) -> tuple[str, str | None]:
    if await _pg_reachable() is None:
        name, url = await _pg_database()
        return url, name
    return f"sqlite+aiosqlite:///{folder / 'crm.sqlite3'}", None


async def _owner(redis: aioredis.Redis, key: str, live: list[Instance]) -> Instance:
    async def held() -> bool:
        return bool(await redis.get(key))

    await _wait(held, 30.0, 0.05)
    token = (await redis.get(key) or b"").decode()
    return next(i for i in live if token.startswith(f"{i.name}:"))


async def _round(http, pbx: Pbx, redis, key: str, live: list[Instance]) -> float:  # type: ignore[no-untyped-def]
    owner = await _owner(redis, key, live)
    survivor = next(i for i in live if i is not owner)
    await _wait(lambda: owner.pbx_up(http), 30.0)
    call = asyncio.create_task(queue_call(pbx, "13800000000", "Bench", "support", AGENT, wait_seconds=1,
                                          ring_seconds=1, talk_seconds=120))  # fmt: skip
    await asyncio.sleep(0.5)  # the call is talking when the owner dies
    owner.kill()
    took = await _wait(lambda: survivor.pbx_up(http), 15.0)
    await owner.proc.wait()  # type: ignore[union-attr]
    live.remove(owner)
    await call
    return took


async def main(kills: int) -> None:
    namespace = f"crm-bench-{uuid.uuid4().hex[:8]}"
    redis = aioredis.from_url(REDIS_URL)
    ami = AmiServer("crm", SECRET, timestampevents=True)
    await ami.start()
    pbx = Pbx(ami, speed=20.0)
    pbx.add_queue("support")
    pbx.add_members("support", [(AGENT, "Agent 1001")])
    with tempfile.TemporaryDirectory() as tmp:
        url, pg_name = await _database(Path(tmp))
        db = Database(url)
        await upgrade(db)
        await db.dispose()
        setup = ClusterSetup(url, REDIS_URL, namespace, ami.port, SECRET)
        version = (await redis.info("server"))["redis_version"]
        print(
            f"setup: python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpu(s); "
            f"redis {version}; database {url.split(':', 1)[0]}; lease {setup.lease_seconds:g} s, "
            f"renew {setup.renew_seconds:g} s; {kills} SIGKILLs of the owner, a call talking across each"
        )  # fmt: skip
        live: list[Instance] = []
        figures: list[float] = []
        try:
            for n in range(kills + 1):
                while len(live) < 2:
                    inst = Instance(f"bench-{n}-{len(live)}", Path(tmp) / f"i{n}-{len(live)}", setup)
                    await inst.start()
                    live.append(inst)
                if n == kills:
                    break
                async with aiohttp.ClientSession() as http:
                    took = await _round(http, pbx, redis, f"{namespace}:pbx:{setup.pbx}:owner", live)
                figures.append(took)
                print(f"kill {n + 1}: PBX held again after {took:.2f} s")
        finally:
            await asyncio.gather(*(i.stop() for i in live))
            await ami.stop()
            keys = [k async for k in redis.scan_iter(match=f"{namespace}:*")]
            if keys:
                await redis.delete(*keys)
            await redis.aclose()
            if pg_name:
                await _pg_drop(pg_name)
    verdict = "meets" if max(figures) <= TARGET else "MISSES"
    median = statistics.median(figures)
    print(f"takeover: median {median:.2f} s, max {max(figures):.2f} s over {len(figures)} kills "
          f"({verdict} the {TARGET:g} s target)")  # fmt: skip


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    asyncio.run(main(max(1, min(count, KILLS_MAX))))
