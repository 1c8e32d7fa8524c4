"""The progressive dialer: one customer dialed per ready agent of a running progressive campaign.

An agent is "ready" from their seat events (AgentStateChanged); while they have an open attempt
(the customer is being dialed, or they talk) the database refuses them another, so there are never
more lines than ready agents. The customer is dialed first and the agent rung only if they answer
(Telephony.originate_campaign). With the PBX link down nothing is reserved; an originate the link
could not even send is put back uncounted; one the PBX refused counts as a failed attempt.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from crm_core.campaigns.work import CampaignWork, CannotDialNow
from crm_core.domain_errors import Conflict
from crm_core.events import AgentStateChanged
from crm_core.ports import Telephony, TelephonyError

log = logging.getLogger(__name__)
AgentLookup = Callable[[str], Awaitable[Any]]  # interface -> the agent (UserView) or None


class ProgressiveDialer:
    def __init__(
        self,
        work: CampaignWork,
        telephony: Mapping[str, Telephony],
        agents: AgentLookup,
        ring_seconds: float = 25.0,
    ) -> None:
        self.work = work
        self.telephony = telephony  # by PBX name (the service's live dict: links added later count)
        self.agents = agents
        self.ring_seconds = ring_seconds
        self.ready: dict[str, str] = {}  # agent interface -> the PBX they are ready on
        self._pass = asyncio.Lock()

    async def on_seat(self, event: AgentStateChanged) -> None:
        """Bus subscriber: a seat became ready (dial for it now) or stopped being ready."""
        if event.state == "ready":
            self.ready[event.agent] = event.pbx
            await self.dial_ready()
        else:
            self.ready.pop(event.agent, None)

    async def tick(self) -> None:
        """The timer: link attempts to call records written since, then a dialing pass."""
        await self.work.link_records()
        await self.dial_ready()

    async def dial_ready(self) -> None:
        """One pass over the ready agents (the timer, a seat event or an ended attempt runs it)."""
        async with self._pass:
            if not self.ready:
                return
            teams = await self.work.progressive_campaigns()
            for interface, pbx in list(self.ready.items()) if teams else ():
                try:
                    await self._dial_for(interface, pbx, teams)
                except Exception:
                    log.exception("progressive dial failed agent=%s", interface)

    async def _dial_for(self, interface: str, pbx: str, teams: dict[str, list[int]]) -> None:
        telephony = self.telephony.get(pbx)
        if telephony is None or not telephony.connected:
            return  # the PBX is down: nothing is reserved, so nothing is lost
        agent = await self.agents(interface)
        if agent is None or not agent.team:
            return
        for campaign_id in teams.get(agent.team, ()):
            call_id = f"pd-{uuid.uuid4().hex[:16]}"
            try:
                attempt_id = await self.work.reserve(campaign_id, agent, mode="progressive")
                if attempt_id is None:
                    continue
                dial = await self.work.start_dial(attempt_id, agent, pbx, call_id)
            except CannotDialNow:
                continue  # the rules changed between reserving and dialing: the next entry, next pass
            except Conflict:
                return  # the agent has an open attempt: one line per ready agent
            await self._originate(telephony, dial, interface, pbx)
            return

    async def _originate(self, telephony: Telephony, dial: Any, interface: str, pbx: str) -> None:
        try:
            await telephony.originate_campaign(
                dial.number, interface, dial.call_id, dial.caller_id, self.ring_seconds
            )
        except TelephonyError as exc:
            log.warning("progressive originate refused agent=%s code=%s", interface, exc.code)
            if exc.code == "not_connected":
                await self.work.dial_failed(dial.attempt_id)
            else:
                await self.work.network_outcome(pbx, dial.call_id, "failed", answered=False)
