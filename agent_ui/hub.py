"""The console hub: turns call and seat events into what each agent's console must show.

A pop goes to the agent being offered the call (one per call per agent, however
many tabs), then follows the call: answered, withdrawn (taken elsewhere, no
answer, caller left) or ended. Calls still open and each agent's seat state are
kept so that a console (re)connecting without a resumable position gets a snapshot.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from agent_ui.stream import ConsoleSocket, StreamRegistry
from crm_core.customers import CustomerService
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallEvent,
    CallOffered,
    OfferWithdrawn,
    SystemAlarm,
)
from crm_core.metrics import PopClock
from crm_core.users import UserService, UserView

log = logging.getLogger(__name__)
UNKNOWN_AGENT_TTL = 30.0  # seconds an interface with no agent is remembered as such


@dataclass
class _OpenCall:
    """A call that has popped on at least one console and has not ended yet."""

    card: dict[str, Any] | None = None
    pops: dict[int, dict[str, Any]] = field(default_factory=dict)  # user id -> latest pop state


class ConsoleHub:
    def __init__(
        self, users: UserService, customers: CustomerService, pop_clock: PopClock | None = None
    ) -> None:
        self.users = users
        self.customers = customers
        self.pop_clock = pop_clock or PopClock()  # when each offer arrived (the pop-up latency metric)
        self.streams = StreamRegistry()
        self.calls: dict[str, _OpenCall] = {}
        self.seats: dict[str, dict[str, Any]] = {}  # agent interface -> latest seat message
        self._agents: dict[str, tuple[int | None, float]] = {}
        self.supervisors: set[int] = set()  # users who see alarms (supervisors, administrators)

    # --- consoles ------------------------------------------------------------------------------

    def attach(
        self,
        user: UserView,
        ws: Any,
        epoch: str | None = None,
        since: int | None = None,
        transport: Any = None,
    ) -> ConsoleSocket:
        """Register a console; replay what it missed, or send it a snapshot to reset from."""
        console = self.streams.attach(user.id, ws, transport)
        if user.role in ("supervisor", "admin"):
            self.supervisors.add(user.id)
        console.offer(self._hello())
        missed = self.streams.missed(user.id, epoch, since)
        if missed is None:
            console.offer(self._snapshot(user))
        else:
            for text in missed:
                console.offer(text)
        return console

    async def detach(self, user_id: int, console: ConsoleSocket) -> None:
        await self.streams.detach(user_id, console)
        if not self.streams.has_consoles(user_id):
            self.supervisors.discard(user_id)  # re-added (with a fresh role check) when they reconnect

    async def close_all(self) -> None:
        await self.streams.close_all()

    def _hello(self) -> str:
        return json.dumps({"type": "hello", "stream": self.streams.epoch})

    def _snapshot(self, user: UserView) -> str:
        pops = [call.pops[user.id] for call in self.calls.values() if user.id in call.pops]
        return json.dumps(
            {
                "type": "snapshot",
                "stream": self.streams.epoch,
                "seq": self.streams.last_seq(user.id),
                "pops": pops,
                "seat": self.seats.get(user.interface or ""),
            },
            ensure_ascii=False,
        )

    # --- events --------------------------------------------------------------------------------

    async def handle(self, event: CallEvent | AgentStateChanged | SystemAlarm) -> None:
        """Bus subscriber for call, seat and alarm events."""
        if isinstance(event, SystemAlarm):
            self._alarm(event)
        elif isinstance(event, AgentStateChanged):
            await self._seat(event)
        elif isinstance(event, CallOffered):
            await self._offered(event)
        elif isinstance(event, CallAnswered | OfferWithdrawn | CallEnded):
            await self._follow(event)

    def _alarm(self, event: SystemAlarm) -> None:
        message = {
            "type": "alarm",
            "source": event.source,
            "kind": event.kind,
            "detail": event.detail,
            "at": event.at,
            "pbx": event.pbx,
            "call_id": event.call_id,
        }
        for user_id in self.supervisors:
            self.streams.push(user_id, message)

    async def _seat(self, event: AgentStateChanged) -> None:
        message = {
            "type": "seat",
            "state": event.state,
            "reason": event.reason,
            "queues": list(event.queues),
            "since": event.at,
        }
        self.seats[event.agent] = message  # kept even before the agent has an account
        agent_id = await self._agent_id(event.agent)
        if agent_id is not None:
            self.streams.push(agent_id, message)

    async def _offered(self, event: CallOffered) -> None:
        agent_id = await self._agent_id(event.agent, trust_miss=False)
        if agent_id is None:
            log.info("call offered to an interface with no agent pbx=%s call=%s", event.pbx, event.call_id)
            return
        key = f"{event.pbx}:{event.call_id}"
        call = self.calls.setdefault(key, _OpenCall())
        current = call.pops.get(agent_id)
        if current is not None and current["state"] in ("ringing", "answered"):
            return  # one pop per call per agent, whatever the PBX repeats
        if call.card is None:
            card = await self.customers.card_for_number(event.caller_number, (event.pbx, event.call_id))
            call.card = card.to_json()
        message = {
            "type": "pop",
            "pop_id": key,
            "state": "ringing",
            "call": await self._call_info(event),
            "customer": call.card,
        }
        call.pops[agent_id] = message
        stamp = self.pop_clock.take(event.pbx, event.call_id, event.agent)
        self.streams.push(agent_id, message, stamp)

    async def _call_info(self, event: CallOffered) -> dict[str, Any]:
        """What the pop-up says about the call, including why it came to this agent."""
        transferred_by = None
        if event.transferred_by:
            user = await self.users.by_interface(event.transferred_by)
            transferred_by = user.display_name if user else event.transferred_by
        return {
            "pbx": event.pbx,
            "call_id": event.call_id,
            "queue": event.queue,
            "caller_number": event.caller_number,
            "caller_name": event.caller_name,
            "offered_at": event.at,
            "direction": event.direction,
            "reason": event.reason,
            "transferred_by": transferred_by,
            "variables": {k: v for k, v in event.variables.items() if k.startswith("CRM_") and v},
        }

    async def _follow(self, event: CallAnswered | OfferWithdrawn | CallEnded) -> None:
        key = f"{event.pbx}:{event.call_id}"
        call = self.calls.get(key)
        if call is None:
            return
        try:
            if isinstance(event, CallEnded):
                self._update(call, key, set(call.pops), state="ended", outcome=event.outcome)
                return
            agent_id = await self._agent_id(event.agent)
            if agent_id is None:
                return
            if isinstance(event, CallAnswered):
                self._update(call, key, {agent_id}, state="answered")
            else:
                self._update(call, key, {agent_id}, state="withdrawn", reason=event.reason)
        finally:
            if isinstance(event, CallEnded):
                self.calls.pop(key, None)

    def _update(self, call: _OpenCall, key: str, agent_ids: set[int], **state: Any) -> None:
        for agent_id in agent_ids:
            pop = call.pops.get(agent_id)
            if pop is None or pop["state"] == "ended":
                continue
            if pop["state"] == "withdrawn" and state.get("outcome") == "answered":
                continue  # the card already says the call went elsewhere; its end is not this agent's
            pop.update(state)  # a console connecting later sees the latest state
            self.streams.push(agent_id, {"type": "call_state", "pop_id": key, **state})

    async def _agent_id(self, interface: str, trust_miss: bool = True) -> int | None:
        """The agent answering on this interface.

        An interface with no agent is remembered for a while (seat events are frequent);
        a call offered to it always asks again, so a newly created agent's first call pops.
        """
        cached = self._agents.get(interface)
        now = time.monotonic()
        if cached is not None and cached[0] is not None:
            return cached[0]
        if cached is not None and trust_miss and now - cached[1] < UNKNOWN_AGENT_TTL:
            return None
        user = await self.users.by_interface(interface)
        self._agents[interface] = (user.id if user else None, now)
        return user.id if user else None

    def forget_agent_cache(self) -> None:
        """Called when users or their interfaces change."""
        self._agents.clear()

    async def load_agents(self) -> None:
        """Every agent's interface in one query (at start and whenever users change), so that no
        pop-up waits on an interface lookup; interfaces not found here are still asked one by one."""
        now = time.monotonic()
        agents = {u.interface: (u.id, now) for u in await self.users.agents() if u.interface}
        self._agents = agents  # replaced whole: a lookup running meanwhile only adds to the old map
