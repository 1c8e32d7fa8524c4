"""Demo mode: the built-in simulated PBX and a gentle stream of calls to the demo agents.

It is the same Asterisk simulator the tests use, listening on loopback; the
service connects to it over AMI exactly as it would to a real Asterisk.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets

from callcenter.demo_data import DEMO_AGENTS, demo_numbers
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from pbxsim.scenarios import QueueCall, play

log = logging.getLogger(__name__)
DEMO_CALLER_NAMES = {"01012345678": "王小明", "02187654321": "张伟", "13912345678": "刘洋"}
MAX_CONCURRENT_CALLS = 6


class DemoPbx:
    """A simulated Asterisk plus a call generator; stop() ends both."""

    def __init__(self, port: int, call_every_seconds: float, seed: int | None = None) -> None:
        self.username = "crm"
        self.secret = secrets.token_urlsafe(16)
        self.server = AmiServer(self.username, self.secret, port=port, timestampevents=True)
        self.pbx = Pbx(self.server)
        self.pbx.add_queue("support", "rrmemory")
        self.pbx.add_members("support", [(a.interface, a.member_name) for a in DEMO_AGENTS])
        self.every = call_every_seconds
        self.random = random.Random(seed)
        self._generator: asyncio.Task[None] | None = None
        self._calls: set[asyncio.Task[object]] = set()

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.server.start()
        self._generator = asyncio.create_task(self._generate(), name="demo-calls")

    async def stop(self) -> None:
        tasks = [t for t in (self._generator, *self._calls) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.server.stop()

    def next_call(self) -> QueueCall:
        agent = self.random.choice(DEMO_AGENTS)
        number = re.sub(r"[^\d+]", "", self.random.choice(demo_numbers()))
        answered = self.random.random() < 0.85
        return QueueCall(
            caller_number=number,
            caller_name=DEMO_CALLER_NAMES.get(number, number),
            queue="support",
            agent_interface=agent.interface,
            member_name=agent.member_name,
            wait_seconds=self.random.uniform(1, 4),
            ring_seconds=self.random.uniform(3, 6),
            talk_seconds=self.random.uniform(8, 25),
            answer=answered,
        )

    async def _generate(self) -> None:
        await asyncio.sleep(2)  # let the service log in first
        while True:
            if len(self._calls) < MAX_CONCURRENT_CALLS and self.server.connections:
                task = asyncio.create_task(play(self.pbx, self.next_call()))
                self._calls.add(task)
                task.add_done_callback(self._call_done)
            await asyncio.sleep(self.random.uniform(0.5, 1.5) * self.every)

    def _call_done(self, task: asyncio.Task[object]) -> None:
        self._calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("demo call failed", exc_info=task.exception())
