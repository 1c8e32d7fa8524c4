"""A running IVR on 127.0.0.1:0 over a real database, and calls placed to it by the pbxsim client."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ivr
from crm_core.callbacks.service import CallbackService
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.tickets.service import TicketService
from ivr.session import Call
from pbxsim.agi_channel import AgiChannelModel
from pbxsim.fastagi_client import AgiSessionResult, call_ivr, environment

EXAMPLE = Path(__file__).parents[2] / "ivr" / "example_flow.toml"
OPEN_TIME = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
CLOSED_TIME = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday 20:00 in Shanghai
HOLIDAY_TIME = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)  # Thursday 11:00, a holiday


def example_config(**overrides: Any) -> dict[str, Any]:
    raw = tomllib.loads(EXAMPLE.read_text())["ivr"]
    raw.update({"port": 0, **overrides})
    return raw


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Ivr:
    server: ivr.IvrServer
    services: ivr.IvrServices
    clock: Clock
    seq: int = 0

    async def call(
        self,
        keys: list[str],
        number: str = "13800138000",
        script: str = "main",
        hangup_before: int | None = None,
        linkedid: str = "",
        model: type[AgiChannelModel] = AgiChannelModel,
    ) -> tuple[AgiSessionResult, Call]:
        """One caller through the IVR; returns what Asterisk saw and how the server ended the call."""
        self.seq += 1
        uniqueid = f"1795383366.{self.seq}"
        env = environment(script, uniqueid, number, self.server.port)
        channel = model(env, keys=list(keys), linkedid=linkedid or uniqueid, hangup_before=hangup_before)
        result = await call_ivr("127.0.0.1", self.server.port, channel, deadline=15)
        ids = {linkedid or uniqueid, uniqueid}  # a hang-up before the linkedid is asked leaves the uniqueid
        done = await wait_for(lambda: next((c for c in self.server.finished if c.key.call_id in ids), None))
        assert not result.errors, f"Asterisk refused commands: {result.errors}"
        return result, done


async def wait_for(probe: Any, within: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        value = probe()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met before the deadline")


@asynccontextmanager
async def running_ivr(
    db: Database, now: datetime = OPEN_TIME, tickets: type[TicketService] = TicketService, **overrides: Any
) -> AsyncIterator[Ivr]:
    clock = Clock(now)
    customers = CustomerService(db, "CN")
    services = ivr.IvrServices(
        db=db,
        customers=customers,
        tickets=tickets(db, clock=clock),
        callbacks=CallbackService(db, customers, clock=clock),
        clock=clock,
    )
    server = ivr.build(example_config(**overrides), services)
    await server.start()
    try:
        yield Ivr(server, services, clock)
    finally:
        await server.stop()
