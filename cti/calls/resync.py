"""After a reconnect: rebuild the picture from CoreShowChannels; and the reads actions need.

Rules of ``rebuild`` (events were lost while the link was down, so it settles
what it can without ever popping a console twice):
- a known call none of whose channels is listed any more ended while we were away:
  its pending offers are withdrawn and CallEnded comes out (at the rebuild time);
- a known call still listed keeps its state; its channel list is replaced by the
  listed one; a ringing offer whose leg now shares a bridge with the caller becomes
  CallAnswered (the answer happened while we were away), the other pending offers are
  withdrawn (answered_elsewhere), and a pending offer none of whose legs is listed
  any more is withdrawn (no_answer);
- a call we did not know is adopted silently (no CallQueued, no CallOffered: the
  console would pop twice); its agent is found with the direct_agent hook; its
  times are unknown, so waits are counted from the rebuild and it will end normally;
- a channel running ChanSpy/ExtenSpy makes its call a supervisor leg (never reported).
"""

from __future__ import annotations

from collections.abc import Iterable

from crm_core.events import CallAnswered, CallEvent, CallHoldChanged, CallOffered
from cti.calls.core import SPY_APPS
from cti.calls.devices import is_local_one
from cti.calls.model import ANSWERED, Call, Offer
from cti.calls.transfer_rules import TransferRules
from cti.headers import AmiEvent, Headers


class Resync(TransferRules):
    """rebuild() and the pure queries used by the adapter's actions."""

    def rebuild(self, channels: Iterable[AmiEvent], at: float) -> list[CallEvent]:
        """Reconcile with the PBX's CoreShowChannel list items; see the module docstring."""
        by_call: dict[str, list[Headers]] = {}
        for item in channels:
            h = Headers(item)
            if h.get("Linkedid") and h.get("Uniqueid"):
                by_call.setdefault(h.get("Linkedid"), []).append(h)
        events: list[CallEvent] = []
        for call in list(self._calls.values()):
            if call.call_id not in by_call:
                events += self._end(call, at)
        for call_id, items in by_call.items():
            self._pair_locals(items)
            call = self._calls.get(call_id)
            if call is None:
                self._adopt(call_id, items, at)
            else:
                events += self._refresh(call, items, at)
        return events

    def _pair_locals(self, items: list[Headers]) -> None:
        names = {h.get("Channel"): h.get("Uniqueid") for h in items}
        for name, uid in names.items():
            peer = names.get(name[:-1] + "2") if is_local_one(name) else None
            if peer:
                self._local_peer[uid], self._local_peer[peer] = peer, uid

    def _set_channels(self, call: Call, items: list[Headers]) -> None:
        for uid in list(call.channels):
            self._channel_call.pop(uid, None)
        call.channels = {h.get("Uniqueid"): h.get("Channel") for h in items}
        for uid in call.channels:
            self._channel_call[uid] = call.call_id
        call.held &= set(call.channels)
        if any(h.get("ChannelState") == "6" for h in items):
            call.reportable = True
        if any(h.get("Application").lower() in SPY_APPS for h in items):
            call.spy = True
        if call.caller_uid not in call.channels:
            first = call.call_id if call.call_id in call.channels else next(iter(call.channels))
            call.caller_uid = first

    def _refresh(self, call: Call, items: list[Headers], at: float) -> list[CallEvent]:
        self._set_channels(call, items)
        bridge = {h.get("Uniqueid"): h.get("BridgeId") for h in items}
        caller_bridge = bridge.get(call.caller_uid or "", "")
        events: list[CallEvent] = []
        for offer in call.pending():
            if caller_bridge and any(bridge.get(leg) == caller_bridge for leg in offer.legs):
                self._answered_offer(call, offer, at)
                wait = at - call.joined_at if call.joined_at is not None else 0.0
                events.append(
                    CallAnswered(
                        self.pbx,
                        call.call_id,
                        offer.agent,
                        offer.queue,
                        call.caller_number,
                        at,
                        wait,
                        at - offer.at,
                    )
                )
                events += self._withdraw_pending(call, "answered_elsewhere", at)
            elif not any(leg in call.channels for leg in offer.legs):
                events.append(self._withdraw(call, offer, "no_answer", at))
        return events

    def _adopt(self, call_id: str, items: list[Headers], at: float) -> None:
        self._ended.pop(call_id, None)
        call = self._calls[call_id] = Call(call_id=call_id)
        queued = next((h for h in items if h.get("Application").lower() == "queue"), None)
        if queued is not None:
            call.caller_uid = queued.get("Uniqueid")
            call.queue = queued.get("ApplicationData").split(",")[0] or None
        self._set_channels(call, items)
        caller = next(h for h in items if h.get("Uniqueid") == call.caller_uid)
        call.caller_number = caller.caller_id("CallerIDNum")
        call.caller_name = caller.caller_id("CallerIDName")
        if self._direct_agent is not None:
            self._adopt_agents(call, items, caller.get("BridgeId"), at)

    def _adopt_agents(self, call: Call, items: list[Headers], caller_bridge: str, at: float) -> None:
        for h in items:
            agent = self._direct_agent(h.get("Channel")) if self._direct_agent else None
            if agent is None or h.get("Uniqueid") == call.caller_uid:
                continue
            uid = h.get("Uniqueid")
            offer = Offer(agent, call.queue, at, "queue" if call.queue else "direct", "dial", [uid])
            if self._peer(uid):
                offer.legs.append(self._peer(uid) or "")
            call.add_offer(offer)
            if caller_bridge and h.get("BridgeId") == caller_bridge:
                offer.state = ANSWERED
                call.answered_at, call.agent = at, agent

    # -- queries for actions (pure reads) -------------------------------------------

    def live_activity(self, at: float) -> list[CallEvent]:
        """What agents are doing on the calls followed now, for a seat rebuild (never published).

        A seat rebuild forgets call activity; calls that are still live and did not change
        while the link was down produce no rebuild event, so without this their agents
        would show ready while they ring or talk.
        """
        events: list[CallEvent] = []
        for call in self._calls.values():
            if call.spy:
                continue
            for offer in call.pending():
                events.append(
                    CallOffered(
                        self.pbx, call.call_id, offer.agent, call.caller_number, call.caller_name,
                        offer.queue, offer.at, reason=offer.reason, direction=call.direction,
                    )
                )  # fmt: skip
            if call.agent is not None and self._agent_legs(call.call_id, call.agent):
                since = call.answered_at if call.answered_at is not None else at
                events.append(
                    CallAnswered(
                        self.pbx, call.call_id, call.agent, call.queue, call.caller_number, since, 0.0, 0.0
                    )
                )
                if call.hold_since is not None:
                    events.append(CallHoldChanged(self.pbx, call.call_id, call.agent, True, call.hold_since))
        return events

    def channels(self, call_id: str) -> list[str]:
        """Live channel names of the call, the caller's first."""
        call = self._calls.get(call_id)
        if call is None:
            return []
        first = call.channels.get(call.caller_uid or "")
        rest = [name for uid, name in call.channels.items() if uid != call.caller_uid]
        return [first, *rest] if first else rest

    def caller_channel(self, call_id: str) -> str | None:
        call = self._calls.get(call_id)
        return call.channels.get(call.caller_uid or "") if call else None

    def agent_channel(self, call_id: str, agent: str) -> str | None:
        """The agent's device-side channel: a Local member's ;2 half (or what it dialled), else the device."""
        live = self._agent_legs(call_id, agent)
        device = [name for name in live if not is_local_one(name)]
        return device[-1] if device else (live[0] if live else None)

    def agent_leg(self, call_id: str, agent: str) -> str | None:
        """The agent's channel facing the caller (a Local member's ;1): what BlindTransfer/Atxfer act on."""
        live = self._agent_legs(call_id, agent)
        return live[0] if live else None

    def _agent_legs(self, call_id: str, agent: str) -> list[str]:
        call = self._calls.get(call_id)
        if call is None:
            return []
        for offer in reversed(call.offers):
            if offer.agent == agent and offer.state != "withdrawn":
                live = [call.channels[leg] for leg in offer.legs if leg in call.channels]
                if live:
                    return live
        return []

    def call_of_agent(self, agent: str) -> str | None:
        """The call the agent is talking on, else the one ringing them."""
        ringing = None
        for call in self._calls.values():
            if call.spy:
                continue
            if call.agent == agent and self._agent_legs(call.call_id, agent):
                return call.call_id
            if ringing is None and any(o.agent == agent for o in call.pending()):
                ringing = call.call_id
        return ringing
