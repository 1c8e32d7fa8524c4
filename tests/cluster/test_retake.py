"""An owner fenced off its PBX and back on it: nothing it knew before the fence is replayed.

While fenced, another instance (or nobody) watched the PBX; the calls that ended then are
closed by the PbxResynced sweep from the database, not by CallEnded events this adapter
makes up from its stale trackers (they would overwrite the records the other owner finished).
Real adapter, real simulated Asterisk (pbxsim).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_core.events import CallEnded, CallQueued, PbxResynced
from cti.pbx_adapter import PbxAdapter
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import QueueCall, play
from tests.polling import eventually

SECRET = "retake-secret"


@pytest.fixture
async def pbx() -> AsyncIterator[Pbx]:
    server = AmiServer("crm", SECRET, timestampevents=True)
    await server.start()
    sim = Pbx(server)
    sim.add_queue("support")
    try:
        yield sim
    finally:
        await server.stop()


async def test_a_call_that_ended_while_fenced_is_left_to_the_sweep_not_replayed_on_retake(pbx: Pbx) -> None:
    events: list[Any] = []
    port = pbx.server.port
    adapter = PbxAdapter("main", events.append, host="127.0.0.1", port=port, username="crm", secret=SECRET)
    try:
        await adapter.start()
        await eventually(lambda: adapter.connected, within=3.0)
        call = asyncio.create_task(play(pbx, QueueCall("5550001", "A", "support", None, wait_seconds=1.0)))
        await eventually(lambda: any(isinstance(e, CallQueued) for e in events), within=3.0)
        call_id = next(e.call_id for e in events if isinstance(e, CallQueued))

        await adapter.stop()  # fenced: another instance holds the PBX while the caller gives up
        await asyncio.wait_for(call, 5.0)
        del events[:]
        await adapter.start()  # the lease came back to this instance
        await eventually(lambda: any(isinstance(e, PbxResynced) for e in events), within=3.0)

        resynced = next(e for e in events if isinstance(e, PbxResynced))
        assert call_id not in resynced.live_calls  # so the sweep closes its record from the database
        assert not [e for e in events if isinstance(e, CallEnded)]
    finally:
        await adapter.stop()
