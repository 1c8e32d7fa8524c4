"""Runs one call through a configured flow: identify by number, pick the start, walk the nodes."""

from __future__ import annotations

import logging

from crm_core.ivr_results import CallKey, IvrResults
from ivr.agi import AgiChannel, AgiHangup
from ivr.config import IvrConfig
from ivr.hours import is_open
from ivr.services import IvrServices
from ivr.session import Call
from ivr.steps import Steps

log = logging.getLogger(__name__)
MAX_STEPS = 100  # a caller looping through menus forever still ends


class FlowRunner:
    def __init__(self, config: IvrConfig, services: IvrServices) -> None:
        self.config, self.services = config, services
        self.steps = Steps(config, services, IvrResults(services.db, services.tickets, services.clock))

    async def run(self, channel: AgiChannel, env: dict[str, str]) -> Call:
        """The whole IVR part of one call; returns it with its outcome (never raises AgiHangup)."""
        script = env.get("agi_network_script", "").strip("/") or self.config.default_flow
        call = Call(channel, CallKey(self.config.pbx, env.get("agi_uniqueid", "")), "")
        flow = self.config.flows.get(script)
        if flow is None:
            call.outcome = "unknown-flow"
            return call
        try:
            await self._prepare(call, env)
            open_now = is_open(self.config.hours, self.config.timezone, self.services.clock())
            node = flow.start if open_now or not flow.after_hours else flow.after_hours
            await self._walk(call, flow.nodes, node)
        except AgiHangup:
            call.outcome = f"caller-hung-up:{call.steps[-1] if call.steps else 'start'}"
        return call

    async def _prepare(self, call: Call, env: dict[str, str]) -> None:
        await call.channel.command("ANSWER")
        linkedid = await call.channel.get_full("${CHANNEL(linkedid)}")
        raw_number = env.get("agi_callerid", "")
        number = "" if raw_number in ("", "unknown") else self.services.customers.normalize(raw_number)
        call.number = number
        call.key = CallKey(self.config.pbx, linkedid or call.key.call_id, number)
        ids = await self.services.customers.find_ids_by_number(number) if number else []
        call.with_customer(ids[0] if len(ids) == 1 else None)
        if call.customer_id is not None:
            await call.channel.set_variable("__CRM_CUSTOMER_ID", str(call.customer_id))

    async def _walk(self, call: Call, nodes: dict, start: str) -> None:
        name: str | None = start
        while name is not None and len(call.steps) < MAX_STEPS:
            node = nodes[name]
            call.steps.append(name)
            name = await getattr(self.steps, node.type)(call, node)
        if name is not None:
            call.outcome = "too-many-steps"
            await call.channel.command("HANGUP")
