"""The console hub: which browser sockets belong to which agent, and what each agent must see.

It turns call events into screen pops for the agent being offered the call and
into state updates on that pop (answered, withdrawn, ended). It remembers the
pops still open so that a console that (re)connects mid-call catches up.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from crm_core.customers import CustomerService
from crm_core.events import CallAnswered, CallEnded, CallEvent, CallOffered, CallQueued, OfferWithdrawn
from crm_core.users import UserService

log = logging.getLogger(__name__)


@dataclass
class _OpenCall:
    """A call that has popped on at least one console and has not ended yet."""

    card: dict[str, Any] | None = None
    pops: dict[int, dict[str, Any]] = field(default_factory=dict)  # user id -> last message sent


class ConsoleHub:
    def __init__(self, users: UserService, customers: CustomerService) -> None:
        self.users = users
        self.customers = customers
        self.sockets: dict[int, set[web.WebSocketResponse]] = defaultdict(set)
        self.calls: dict[str, _OpenCall] = {}
        self._agent_ids: dict[str, int | None] = {}

    # --- sockets -----------------------------------------------------------------------------

    async def attach(self, user_id: int, ws: web.WebSocketResponse) -> None:
        self.sockets[user_id].add(ws)
        for call in list(self.calls.values()):
            message = call.pops.get(user_id)
            if message is not None:
                await self._send(ws, message)

    def detach(self, user_id: int, ws: web.WebSocketResponse) -> None:
        socks = self.sockets.get(user_id)
        if socks is not None:
            socks.discard(ws)
            if not socks:
                del self.sockets[user_id]

    async def close_all(self) -> None:
        for socks in list(self.sockets.values()):
            for ws in list(socks):
                await ws.close(code=1001, message=b"server shutdown")

    # --- call events -------------------------------------------------------------------------

    async def handle(self, event: CallEvent) -> None:
        """Bus subscriber for call events."""
        if isinstance(event, CallQueued):
            return
        key = f"{event.pbx}:{event.call_id}"
        if isinstance(event, CallOffered):
            await self._offered(key, event)
            return
        call = self.calls.get(key)
        if call is None:
            return
        if isinstance(event, CallAnswered):
            agent_id = await self._agent_id(event.agent)
            await self._update(call, key, {agent_id} if agent_id else set(), state="answered")
        elif isinstance(event, OfferWithdrawn):
            agent_id = await self._agent_id(event.agent)
            if agent_id is not None:
                await self._update(call, key, {agent_id}, state="withdrawn", reason=event.reason)
        elif isinstance(event, CallEnded):
            await self._update(call, key, set(call.pops), state="ended", outcome=event.outcome)
            del self.calls[key]

    async def _offered(self, key: str, event: CallOffered) -> None:
        agent_id = await self._agent_id(event.agent)
        if agent_id is None:
            log.info("call offered to an interface with no agent pbx=%s call=%s", event.pbx, event.call_id)
            return
        call = self.calls.setdefault(key, _OpenCall())
        if agent_id in call.pops:
            return  # one pop per call per agent, whatever the PBX repeats
        if call.card is None:
            card = await self.customers.card_for_number(event.caller_number, (event.pbx, event.call_id))
            call.card = card.to_json()
        message = {
            "type": "pop",
            "pop_id": key,
            "state": "ringing",
            "call": {
                "pbx": event.pbx,
                "call_id": event.call_id,
                "queue": event.queue,
                "caller_number": event.caller_number,
                "caller_name": event.caller_name,
                "offered_at": event.at,
            },
            "customer": call.card,
        }
        call.pops[agent_id] = message
        await self._push(agent_id, message)

    async def _update(self, call: _OpenCall, key: str, agent_ids: set[int], **state: Any) -> None:
        for agent_id in agent_ids:
            pop = call.pops.get(agent_id)
            if pop is None:
                continue
            pop.update(state)  # a console connecting later sees the latest state
            await self._push(agent_id, {"type": "call_state", "pop_id": key, **state})

    async def _agent_id(self, interface: str) -> int | None:
        if interface not in self._agent_ids:
            user = await self.users.by_interface(interface)
            self._agent_ids[interface] = user.id if user else None
        return self._agent_ids[interface]

    def forget_agent_cache(self) -> None:
        """Called when users or their interfaces change."""
        self._agent_ids.clear()

    async def _push(self, user_id: int, message: dict[str, Any]) -> None:
        for ws in list(self.sockets.get(user_id, ())):
            await self._send(ws, message)

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        if ws.closed:
            return
        try:
            await ws.send_str(json.dumps(message, ensure_ascii=False))
        except ConnectionError:
            log.info("console socket went away while sending")
