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
from datetime import timedelta
from typing import Any

from crm_core.campaigns import inflight
from crm_core.campaigns.work import CampaignWork, CannotDialNow
from crm_core.domain_errors import Conflict
from crm_core.events import AgentStateChanged
from crm_core.ports import Telephony, TelephonyError

log = logging.getLogger(__name__)
LEFT = ("paused", "logged_out")  # seat states that mean the agent went away, not that a call reached them
STALE_MARGIN = 60.0  # seconds past the ring time after which a dial with no call is given up
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
            return
        self.ready.pop(event.agent, None)
        if event.state not in LEFT:
            return  # ringing/on a call: the campaign's own call may be reaching them
        agent = await self.agents(event.agent)
        if agent is not None and agent.id is not None:  # left while their customer rings: withdraw it
            await self._withdraw(await inflight.dialing(self.work, agent_id=agent.id), "agent_left")

    async def tick(self) -> None:
        """The timer: link attempts to call records written since, withdraw the dials of paused or
        stopped campaigns, give up on dials whose call never showed up, then a dialing pass."""
        await self.work.link_records()
        await self._withdraw(await inflight.dialing(self.work, idle=True), "campaign_halted")
        await inflight.give_up_stale(self.work, timedelta(seconds=self.ring_seconds + STALE_MARGIN))
        await self.dial_ready()

    async def _withdraw(self, dials: list[inflight.InFlight], why: str) -> None:
        """Hang up customers still ringing; the attempts close uncounted, their entries go back."""
        for dial in dials:
            if not await inflight.withdraw(self.work, dial.attempt_id, why):
                continue
            telephony = self.telephony.get(dial.pbx)
            if telephony is None or not telephony.connected or not dial.call_id:
                continue
            try:
                await telephony.hangup(dial.call_id)
            except TelephonyError as exc:  # not_found: the PBX has not made the channel yet / it ended
                log.info("withdrawn dial not hung up call=%s code=%s", dial.call_id, exc.code)

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
        """Ask the PBX. Down before the send, or refused as invalid: the attempt is not counted. A reply
        lost after the send (timeout, link dropped) may still be a call: the attempt stays dialing
        (its CallEnded, a resync or the stale sweep in tick() closes it)."""
        was_up = telephony.connected  # no await before the adapter checks the link itself
        try:
            await telephony.originate_campaign(
                dial.number, interface, dial.call_id, dial.caller_id, self.ring_seconds
            )
        except TelephonyError as exc:
            log.warning("progressive originate refused agent=%s code=%s", interface, exc.code)
            if was_up and exc.code in ("timeout", "not_connected"):
                return
            if exc.code in ("not_connected", "invalid"):  # never reached the PBX: not the customer's fault
                await self.work.dial_failed(dial.attempt_id)
            else:
                await self.work.network_outcome(pbx, dial.call_id, "failed", answered=False)
