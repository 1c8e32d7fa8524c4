"""Shared pieces of the pipeline benchmarks: the feeder process, a service wired to it, bulk agents."""

from __future__ import annotations

import asyncio
import hashlib
import os
import platform
import secrets
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.ami_feeder import SECRET, USER
from callcenter.gc_tuning import tune_for_latency
from callcenter.service import Service
from callcenter.settings import (
    CrmSettings,
    DatabaseSettings,
    DemoSettings,
    PbxSettings,
    RecordingsSettings,
    ServerSettings,
    Settings,
)
from crm_core.models import User, WebSession

ROOT = Path(__file__).resolve().parent.parent
PBX = "bench"


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"python {platform.python_version()}, {os.cpu_count()} CPU(s), load average {load:.1f} at start"


class Feeder:
    """bench/ami_feeder.py in a process of its own; stopped by closing its standard input."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "ami_feeder.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class _Muted:
    """No event is one of these: a subscription given only this type receives nothing."""


def mute_all_but(service: Service, *names: str) -> None:
    """Bench only: every bus subscriber but the named ones receives nothing (a path measured alone)."""
    for sub in service.bus._subs:
        if sub.name not in names:
            sub.types = (_Muted,)


def settings(folder: Path, ami_port: int) -> Settings:
    return Settings(
        server=ServerSettings(port=0),
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"),
        demo=DemoSettings(enabled="no"),
        crm=CrmSettings(callback_window="00:00-23:59:59"),
        recordings=RecordingsSettings(spool_dir=str(folder / "spool"), store_dir=str(folder / "store")),
        pbx=[PbxSettings(name=PBX, port=ami_port, username=USER, secret=SECRET, ping_seconds=60.0)],
    )


async def started(folder: Path, ami_port: int | None, **sections: object) -> Service:
    """The service as `callcenter run` starts it (garbage collection tuned after start-up too),
    linked to the feeder on ami_port; None: no PBX at all."""
    base = settings(folder, ami_port or 1)
    if ami_port is None:
        base = replace(base, pbx=[])
    service = Service(replace(base, **sections))  # type: ignore[arg-type]
    await service.start()
    tune_for_latency()
    if ami_port is not None:
        await until(lambda: service.pbx_links[PBX].connected, 15.0)
    return service


async def add_agents(
    service: Service, numbers: list[int], team: str | None = None, role: str = "agent"
) -> list[int]:
    """Agents on Local/<n>@agents/n (supervisors: no phone) in one statement (no password hashing: they
    never sign in; bench.harness.open_sessions gives them sessions)."""
    rows = [
        {"login": f"agent{n}", "password_hash": "!bench", "display_name": f"Agent {n}", "role": role,
         "interface": f"Local/{n}@agents/n" if role == "agent" else None, "extension": str(n), "team": team}
        for n in numbers
    ]  # fmt: skip
    async with service.db.write() as s:
        await s.execute(insert(User), rows)
    for listener in service.users.listeners:  # the hub's cache, the tracker's and wallboard's directories
        await listener()
    ids = []
    for n in numbers:
        user = await service.users.by_login(f"agent{n}")
        assert user is not None
        ids.append(user.id)
    return ids


async def open_sessions(service: Service, user_ids: list[int]) -> list[str]:
    """A signed-in session per user, in one statement (what SessionService.open stores)."""
    tokens = [secrets.token_urlsafe(32) for _ in user_ids]
    now = datetime.now(UTC)
    rows = [
        {"id": hashlib.sha256(t.encode()).hexdigest(), "user_id": u, "created_at": now, "last_seen_at": now}
        for t, u in zip(tokens, user_ids, strict=True)
    ]
    async with service.db.write() as s:
        await s.execute(insert(WebSession), rows)
    return tokens


async def until(probe: Callable[[], bool], within: float, step: float = 0.002) -> float:
    """Seconds until probe() holds (polled every step); TimeoutError past within."""
    began = time.perf_counter()
    while not probe():
        if time.perf_counter() - began > within:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)
    return time.perf_counter() - began


async def best_of(runs: int, measure: Callable[[], Awaitable[float]]) -> float:
    return min([await measure() for _ in range(runs)])
