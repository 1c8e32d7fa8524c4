"""The wallboard hub: keeps the board from the bus and pushes every change to the open screens.

A screen gets the whole board when it connects (a reconnecting screen simply gets a
fresh one: the board is small and always current, so there is nothing to replay), then
deltas. Changes made in one go (a burst of events handled without a pause) are merged
into one delta; each delta is encoded once per audience (see
:mod:`agent_ui.wallboard.render`), written at once to every screen that keeps up; a screen
that falls behind gets its own bounded backlog and writer (agent_ui.stream.ConsoleSocket),
so it never delays another; one that overflows is closed and reconnects to a fresh snapshot.

Alerts (alerts.py) are re-evaluated once per delta (a burst of changes: each evaluation walks
every seat, so not once per event), when a screen connects, and once a second by a ticker the
web app starts (a caller's wait or an agent's pause crosses its threshold with no event);
the same ticker starts today's figures again at midnight. Every screen gets the whole
list of alerts whenever it changed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from agent_ui.stream import ConsoleSocket, text_frame
from agent_ui.wallboard.alerts import Alert, Thresholds, evaluate
from agent_ui.wallboard.board import Agent, Board, CallerInfo, Change, call_key
from agent_ui.wallboard.render import Audience, delta, snapshot
from agent_ui.wallboard.today import Today
from crm_core.customers import CustomerService
from crm_core.events import CallAnswered, CallOffered
from crm_core.kpi import CallFact, KpiSettings
from crm_core.users import UserService, UserView

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def team_of(user: UserView) -> str | None:
    """The user's team name (User.team); None for no team."""
    return user.team or None


class WallboardHub:
    """One per process: subscribed to the bus as "wallboard"; screens attach through /ws/wallboard."""

    def __init__(
        self,
        users: UserService,
        customers: CustomerService,
        clock: Callable[[], float] = time.time,
        thresholds: Thresholds | None = None,
        kpi: KpiSettings | None = None,
    ) -> None:
        self.users = users
        self.customers = customers
        self.clock = clock
        self.board = Board(Today(kpi or KpiSettings()))
        self.thresholds = thresholds or Thresholds()
        self.alerts: dict[str, Alert] = {}
        self.screens: dict[ConsoleSocket, Audience] = {}
        self.owners: dict[ConsoleSocket, int] = {}  # screen -> the signed-in user watching it
        self._pending: Change | None = None  # changes not yet sent; flushed once the current burst is done

    # -- inputs ---------------------------------------------------------------------

    async def handle(self, event: object) -> None:
        """A bus event: fold it in (naming the caller from the CRM first), then fan the change out."""
        caller = await self._caller(event)
        change = self.board.apply(event)
        if caller is not None:
            change.merge(self.board.name_caller(*caller))
        self._send(change)  # alerts are re-checked once per flushed burst, not per event (O(seats) each)

    def tick(self) -> None:
        """Once a second: a new day starts today's figures again; waits and pauses may cross a threshold."""
        now = self.clock()
        change = self.board.new_day(now)
        self._send(change.merge(self._recheck(now)))

    async def seed_today(self, load: Callable[[datetime, datetime], Awaitable[Iterable[CallFact]]]) -> None:
        """Today's ended calls from the call records, read once at start-up before the PBX links start
        (so no call is both read and seen ending live); load(start, end) reads those begun in the range."""
        now = self.clock()
        start, end = self.board.today.bounds(now)
        change = self.board.seed_today(await load(start, end), now)
        self._send(change.merge(self._recheck(now)))

    def _recheck(self, now: float) -> Change:
        alerts = evaluate(self.board, now, self.thresholds)
        if alerts == self.alerts:
            return Change()
        raised = alerts.keys() - self.alerts.keys()
        cleared = self.alerts.keys() - alerts.keys()
        if raised or cleared:
            log.info("wallboard alerts raised=%s cleared=%s", sorted(raised), sorted(cleared))
        self.alerts = alerts
        return Change(alerts=True)

    async def run_ticker(self, every: float = TICK_SECONDS) -> None:
        """The ticker's loop (a task the web app owns); a failed tick is logged, the next one runs."""
        while True:
            await asyncio.sleep(every)
            try:
                self.tick()
            except Exception:
                log.exception("wallboard tick failed")

    async def refresh_directory(self) -> None:
        """Agent names and teams from the accounts; called at start."""
        users = await self.users.agents()
        agents = [
            Agent(u.interface, u.display_name, team_of(u), u.id, u.role)
            for u in users
            if u.interface and u.active
        ]
        self._send(self.board.set_directory(agents))

    async def users_changed(self) -> None:
        """UserService listener: a failed refresh must not fail the change that was made (it is logged)."""
        try:
            await self.refresh_directory()
        except Exception:
            log.exception("wallboard could not refresh the agent directory")

    async def _caller(self, event: object) -> tuple[str, CallerInfo] | None:
        """Who is calling, once per call; a failed lookup leaves the number alone on the board."""
        if not isinstance(event, CallOffered | CallAnswered) or not event.caller_number:
            return None
        key = call_key(event.pbx, event.call_id)
        if key in self.board.callers:
            return None
        try:
            card = await self.customers.card_for_number(event.caller_number, (event.pbx, event.call_id))
        except Exception:
            log.exception("wallboard caller lookup failed pbx=%s call=%s", event.pbx, event.call_id)
            return None
        number = card.number_display or event.caller_number
        return key, CallerInfo(number, card.name if card.known else "")

    # -- screens --------------------------------------------------------------------

    def attach(
        self,
        ws: web.WebSocketResponse,
        audience: Audience,
        user_id: int | None = None,
        transport: asyncio.Transport | None = None,
    ) -> ConsoleSocket:
        """A screen connected: the whole board, then every change (nothing awaited between: none missed)."""
        screen = ConsoleSocket(ws, transport)
        now = self.clock()
        self._recheck(now)  # changes made while no screen was open were not re-checked
        screen.offer(_encode(snapshot(self.board, audience, now, self.alerts.values())))
        self.screens[screen] = audience
        if user_id is not None:
            self.owners[screen] = user_id
        return screen

    async def detach(self, screen: ConsoleSocket) -> None:
        self.screens.pop(screen, None)
        self.owners.pop(screen, None)
        await screen.close()

    async def close_user(self, user_id: int) -> None:
        """Signing out closes that user's screens at once, not at the next session check."""
        mine = [s for s, owner in self.owners.items() if owner == user_id]
        await asyncio.gather(
            *(s.ws.close(code=4401, message=b"session ended") for s in mine), return_exceptions=True
        )

    def screen_count(self) -> int:
        return len(self.screens)

    def _send(self, change: Change) -> None:
        """Queue the change for the next flush: a burst (300 seats after a PBX reconnect) is one delta."""
        if not change or not self.screens:
            return  # a screen that connects later gets the snapshot, which has it
        if self._pending is None:
            self._pending = Change()
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.merge(change)

    def _flush(self) -> None:
        change, self._pending = self._pending, None
        if change is None:
            return
        now = self.clock()
        change.merge(self._recheck(now))
        alerts = self.alerts.values() if change.alerts else None
        texts: dict[str, tuple[str, bytes]] = {}  # per audience: encoded and framed once
        for screen, audience in list(self.screens.items()):
            framed = texts.get(audience.key)
            if framed is None:
                text = _encode(delta(self.board, change, audience, now, alerts))
                framed = texts[audience.key] = (text, text_frame(text))
            screen.offer(framed[0], frame=framed[1])
            if screen.dead:
                self.screens.pop(screen, None)  # closed as too slow: it reconnects to a fresh snapshot

    async def close_all(self) -> None:
        closing = [s.ws.close(code=1001, message=b"server shutdown") for s in self.screens]
        await asyncio.gather(*closing, return_exceptions=True)


WALLBOARD = web.AppKey("wallboard", WallboardHub)
