"""Demo mode: the built-in simulated PBX and a gentle stream of calls to the demo agents.

It is the same Asterisk simulator the tests use, listening on loopback; the
service connects to it over AMI exactly as it would to a real Asterisk. When the
service runs an IVR, each demo caller first goes through it over FastAGI (keying
a language and a menu choice), and the IVR's routing variables ride on the call
to the agent's pop-up, as the dialplan in docs/IVR.md makes them on a real PBX.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
import secrets

from callcenter.demo_data import DEMO_AGENTS, demo_numbers
from pbxsim.agi_channel import AgiChannelModel
from pbxsim.ami_server import AmiServer
from pbxsim.fastagi_client import call_ivr, environment
from pbxsim.pbx import Pbx
from pbxsim.scenarios import QueueCall, play

log = logging.getLogger(__name__)
DEMO_CALLER_NAMES = {"01012345678": "王小明", "02187654321": "张伟", "13912345678": "刘洋"}
MAX_CONCURRENT_CALLS = 6
IVR_VARIABLES = [
    "CRM_VIP", "CRM_PRIORITY", "CRM_REASON", "CRM_LANG", "CRM_PREFERRED", "CRM_CUSTOMER_ID", "CRM_CLAIMED_ID",
]  # fmt: skip


class DemoPbx:
    """A simulated Asterisk plus a call generator; stop() ends both."""

    def __init__(self, port: int, call_every_seconds: float, seed: int | None = None) -> None:
        self.username = "crm"
        self.secret = secrets.token_urlsafe(16)
        self.server = AmiServer(
            self.username, self.secret, port=port, timestampevents=True, channelvars=IVR_VARIABLES
        )
        self.pbx = Pbx(self.server)
        self.pbx.add_queue("support", "rrmemory")
        self.pbx.add_members("support", [(a.interface, a.member_name) for a in DEMO_AGENTS])
        self.every = call_every_seconds
        self.random = random.Random(seed)
        self._generator: asyncio.Task[None] | None = None
        self._calls: set[asyncio.Task[object]] = set()
        self.ivr_port: int | None = None  # set when the service runs an IVR

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
                task = asyncio.create_task(self._one_call())
                self._calls.add(task)
                task.add_done_callback(self._call_done)
            await asyncio.sleep(self.random.uniform(0.5, 1.5) * self.every)

    async def _one_call(self) -> object:
        spec = self.next_call()
        if self.ivr_port is not None:
            spec = await self._through_ivr(spec)
        return await play(self.pbx, spec)

    async def _through_ivr(self, spec: QueueCall) -> QueueCall:
        """The caller keys a language and "support" in the IVR; its variables go with the call."""
        uniqueid = self.pbx.new_uniqueid(self.pbx.now())
        env = environment("main", uniqueid, spec.caller_number, self.ivr_port or 0)
        keys = [self.random.choice(["1", "2"]), "2"]
        model = AgiChannelModel(env, keys=keys, linkedid=uniqueid)
        await call_ivr("127.0.0.1", self.ivr_port or 0, model, deadline=30)
        chosen = {k: v for k, v in model.variables.items() if k in IVR_VARIABLES and v}
        return dataclasses.replace(spec, uniqueid=uniqueid, variables=chosen)

    def _call_done(self, task: asyncio.Task[object]) -> None:
        self._calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("demo call failed", exc_info=task.exception())
