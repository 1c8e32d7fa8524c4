"""One PBX plugged into the CRM: AMI link + call and seat trackers + event bus, and the Telephony port.

This is the only place where AMI events become domain events: every event goes
through the call tracker and then the seat tracker, in arrival order, and whatever
they say is published (each call event also feeds the seat tracker). After every
(re)connect the state is rebuilt from the PBX's own lists (CoreShowChannels,
QueueStatus) before "link up" is published, so nobody acts on a stale picture;
live events that arrive meanwhile are held and applied after the snapshot.

Telephony actions are validated by cti.actions before anything is sent; a PBX
refusal is ``TelephonyError(code="refused")`` with the PBX's message, a down link
``"not_connected"``, an unknown call ``"not_found"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from panoramisk.message import Message

from crm_core.events import AgentStateChanged, DomainEvent, PbxLinkChanged, PbxResynced
from crm_core.ports import TelephonyError
from cti import actions
from cti.actions import ActionBuilder, AmiAction, Dialplan
from cti.ami_link import AmiLink
from cti.seats import SeatTracker
from cti.tracker import CallTracker

log = logging.getLogger(__name__)

Publish = Callable[[DomainEvent], None]

_BACKLOG_MAX = 10_000  # events held during a resync; older ones are covered by the snapshot


def _items(reply: list[Message], event: str) -> list[Message]:
    """The items of a list action's reply (the Response and the Complete event left out)."""
    return [m for m in reply if str(m.get("Event", "")).lower() == event.lower()]


class PbxAdapter:
    """Feeds one PBX's AMI events to the bus and fulfils crm_core.ports.Telephony for it."""

    def __init__(
        self,
        pbx: str,
        publish: Publish,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        clock: Callable[[], float] = time.time,
        tracker: CallTracker | None = None,
        dialplan: Dialplan | None = None,
        wrapup_seconds: float = 0.0,
        tick_interval: float = 0.5,
        **link_options: Any,
    ) -> None:
        self.pbx = pbx
        self._publish = publish
        self._clock = clock
        self.tracker = tracker or CallTracker(pbx)
        self.seats = SeatTracker(pbx, wrapup_seconds)
        self.actions = ActionBuilder(dialplan)
        self.tick_interval = tick_interval
        self._synced = False
        self._stale = False  # stopped since the trackers were filled: forget them on the next start
        self.events_received = 0  # AMI events from this PBX (/metrics reads it: nothing per event)
        self._backlog: deque[tuple[Message, float]] = deque(maxlen=_BACKLOG_MAX)
        self._ticker: asyncio.Task[None] | None = None
        self.link = AmiLink(
            pbx,
            host,
            port,
            username,
            secret,
            on_event=self._on_event,
            on_state=self._on_state,
            clock=clock,
            on_login=self._resync,
            **link_options,
        )

    async def start(self) -> None:
        if self._stale:
            # Started again after a stop (a cluster owner fenced, then back): another instance may
            # have held the PBX meanwhile, so what the trackers hold is stale; the resync must not
            # replay it as CallEnded for old calls (PbxResynced lets the sweep close what ended).
            self.tracker.forget()
            self.seats = SeatTracker(self.pbx, self.seats.wrapup_seconds)
            self._stale = False
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick_loop(), name=f"seat-wrapup:{self.pbx}")
        await self.link.start()

    async def stop(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        await self.link.stop()
        self._stale = True

    @property
    def connected(self) -> bool:
        """Logged in and in sync with the PBX (false while the state is being rebuilt)."""
        return self.link.connected and self._synced

    # -- seats ----------------------------------------------------------------------

    def seat_snapshot(self) -> list[AgentStateChanged]:
        """Every seat's current state, for a console or wallboard that just connected."""
        return self.seats.snapshot()

    def end_wrap_up(self, agent_interface: str) -> None:
        """The agent chose a disposition: the seat leaves wrap-up now."""
        self._emit(self.seats.end_wrap_up(agent_interface, self._clock()))

    # -- Telephony --------------------------------------------------------------------

    async def originate(self, agent_interface: str, number: str, call_id: str) -> None:
        """Click-to-dial: ring the agent first, then dial ``number``; the call's Linkedid is call_id."""
        action = self.actions.click_to_dial(agent_interface, number, call_id)
        self._require_link()
        self.tracker.expect_origination(call_id, "click_to_dial", agent_interface, number)
        await self._send(action)

    async def originate_callback(self, number: str, queue: str, call_id: str, caller_id: str = "") -> None:
        """Callback: dial the customer first, then put them in ``queue``."""
        action = self.actions.callback(number, queue, call_id, caller_id)
        self._require_link()
        self.tracker.expect_origination(call_id, "callback", None, number)
        await self._send(action)

    async def originate_campaign(
        self, number: str, agent_interface: str, call_id: str, caller_id: str = "", ring_seconds: float = 30.0
    ) -> None:
        """Progressive dialing: the customer first; when they answer the dialplan dials the agent."""
        action = self.actions.campaign(number, agent_interface, call_id, ring_seconds, caller_id)
        self._require_link()
        self.tracker.expect_origination(call_id, "campaign", agent_interface, number)
        await self._send(action)

    async def hangup(self, call_id: str) -> None:
        """End the call by hanging up its caller: the bridge and the agent legs follow."""
        await self._send(self.actions.hangup(self._caller_channel(call_id)))

    async def blind_transfer(self, call_id: str, target: str) -> None:
        """Send the caller to target; the agent is released.

        AMI BlindTransfer moves the channels bridged to the given one, so it is sent on
        the connected agent's leg; with no agent leg (caller still queued) the caller is
        Redirected instead.
        """
        actions.call_id(call_id)
        self.actions.destination(target)
        self._require_link()
        for agent in self.seats.agents_on_call(call_id):
            leg = self.tracker.agent_leg(call_id, agent)
            if leg:
                await self._send(self.actions.blind_transfer(leg, target))
                return
        await self._send(self.actions.redirect(self._caller_channel(call_id), target))

    async def attended_transfer(self, agent_interface: str, target: str) -> None:
        actions.channel(agent_interface)
        self.actions.destination(target)
        await self._send(self.actions.attended_transfer(self._agent_leg(agent_interface), target))

    async def set_paused(self, agent_interface: str, paused: bool, reason: str = "", queue: str = "") -> None:
        await self._send(self.actions.queue_pause(agent_interface, paused, reason, queue))

    async def login(self, agent_interface: str, queue: str, member_name: str = "", penalty: int = 0) -> None:
        await self._send(self.actions.queue_add(agent_interface, queue, member_name, penalty))

    async def logout(self, agent_interface: str, queue: str) -> None:
        await self._send(self.actions.queue_remove(agent_interface, queue))

    async def spy(self, supervisor_interface: str, agent_interface: str, mode: str) -> None:
        """Ring the supervisor, who then listens to / whispers to / joins the agent's call.

        ChanSpy gets the agent's device-side channel when they are on a call (else the
        stem of their interface); the spy leg is announced to the tracker so it never
        shows up as a call.
        """
        actions.channel(agent_interface)
        self.actions.supervisor_channel(supervisor_interface)
        self._require_link()
        call = self.tracker.call_of_agent(agent_interface)
        leg = self.tracker.agent_channel(call, agent_interface) if call else None
        spy_id = f"spy-{uuid.uuid4().hex[:16]}"
        action = self.actions.spy(
            supervisor_interface, actions.spy_prefix(leg or agent_interface), mode, spy_id
        )
        self.tracker.expect_origination(spy_id, "spy", supervisor_interface, "")
        await self._send(action)

    async def recording_start(self, call_id: str, filename: str) -> None:
        """Record the call. The file is named from PBX + call id; only filename's format is used."""
        fmt = filename.rsplit(".", 1)[-1] if isinstance(filename, str) and "." in filename else "wav"
        fmt = fmt if fmt in actions.RECORDING_FORMATS else "wav"
        channel = self._caller_channel(call_id)
        await self._send(self.actions.mix_monitor(channel, self.pbx, call_id, fmt))

    async def recording_stop(self, call_id: str) -> None:
        await self._send(self.actions.stop_mix_monitor(self._caller_channel(call_id)))

    async def recording_mute(self, call_id: str, muted: bool) -> None:
        await self._send(self.actions.mix_monitor_mute(self._caller_channel(call_id), muted))

    # -- helpers for actions --------------------------------------------------------

    def _require_link(self) -> None:
        if not self.connected:
            raise TelephonyError(f"AMI link to pbx={self.pbx} is down", code="not_connected")

    async def _send(self, action: AmiAction) -> Message:
        self._require_link()
        return await self.link.send_action(action)

    def _caller_channel(self, call_id: str) -> str:
        actions.call_id(call_id)
        self._require_link()
        channel = self.tracker.caller_channel(call_id)
        if not channel:
            raise TelephonyError(f"no call {call_id} on pbx={self.pbx}", code="not_found")
        return channel

    def _agent_leg(self, agent: str) -> str:
        self._require_link()
        call = self.tracker.call_of_agent(agent)
        leg = self.tracker.agent_leg(call, agent) if call else None
        if not leg:
            raise TelephonyError(f"agent {agent} is on no call on pbx={self.pbx}", code="not_found")
        return leg

    # -- events -----------------------------------------------------------------------

    def _on_event(self, event: Message, received_at: float) -> None:
        self.events_received += 1
        if self._synced:
            self._apply(event, received_at)
        else:
            self._backlog.append((event, received_at))

    def _apply(self, event: Mapping[str, Any], received_at: float) -> None:
        """Both trackers, in order; synchronous and cheap (no task per event)."""
        for call_event in self.tracker.feed(event, received_at):
            self._publish(call_event)
            self._emit(self.seats.feed_call(call_event))
        stamp = event.get("Timestamp")
        at = received_at
        if stamp:
            with contextlib.suppress(TypeError, ValueError):
                at = float(stamp)
        self._emit(self.seats.feed_ami(event, at))

    def _emit(self, events: Iterable[DomainEvent]) -> None:
        for event in events:
            self._publish(event)

    async def _resync(self) -> None:
        """Rebuild calls and seats from the PBX's lists; then replay what arrived meanwhile."""
        self._synced = False
        self._backlog.clear()  # what came before the snapshot was asked for is in the snapshot
        channels = await self._list("CoreShowChannels", "CoreShowChannel")
        members = await self._list("QueueStatus", "QueueMember")
        at = self._clock()
        call_events = self.tracker.rebuild(channels, at) if channels is not None else []
        self._emit(call_events)
        if channels is not None:  # calls that ended unseen (no instance watched) get closed
            self._publish(PbxResynced(self.pbx, self.tracker.live_call_ids(), at))
        if members is not None:
            live = self.tracker.live_activity(at)  # calls that did not change still occupy seats
            self._emit(self.seats.rebuild(members, at, [*call_events, *live]))
        while self._backlog:
            self._apply(*self._backlog.popleft())
        self._synced = True
        log.info(
            "AMI resync pbx=%s channels=%s queue_members=%s",
            self.pbx,
            "?" if channels is None else len(channels),
            "?" if members is None else len(members),
        )

    async def _list(self, action: str, item: str) -> list[Message] | None:
        """A list action's items; None when the PBX refuses it (no permission, old version).

        A refusal will not change on retry, and a CRM that never comes up is worse than one
        that keeps its last picture: say so once per connect and go on. A timeout or a lost
        connection still fails the resync (the link reconnects and tries again).
        """
        try:
            return _items(await self.link.send_list_action({"Action": action}), item)
        except TelephonyError as exc:
            if exc.code != "refused":
                raise
            log.warning("AMI resync pbx=%s: %s; state not rebuilt from it", self.pbx, exc)
            return None

    def _on_state(self, up: bool, reason: str) -> None:
        if not up:
            self._synced = False
        self._publish(PbxLinkChanged(self.pbx, up, reason, self._clock()))

    async def _tick_loop(self) -> None:
        """The one timer that ends wrap-ups (seat state is pure; time comes from here)."""
        while True:
            await asyncio.sleep(self.tick_interval)
            try:
                self._emit(self.seats.tick(self._clock()))
            except Exception:
                log.exception("seat wrap-up tick failed pbx=%s", self.pbx)
