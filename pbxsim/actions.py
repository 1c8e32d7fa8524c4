"""AMI actions that act on calls: Originate, Hangup, Redirect, BlindTransfer, Atxfer, MixMonitor*.

Reply texts are Asterisk 22's (s05a, s09a, s04b); the events they cause are sent by the
call's scenario after the reply, as on a real PBX.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from pbxsim import scenarios_campaign
from pbxsim import scenarios_direct as direct
from pbxsim.ami_codec import Message, get_header
from pbxsim.ami_server import AmiServer, Session, response, send_list
from pbxsim.control import Command
from pbxsim.pbx import CALL

if TYPE_CHECKING:
    from pbxsim.pbx import Pbx

log = logging.getLogger(__name__)
Handler = Callable[[Session, Message], Awaitable[None]]


def install(server: AmiServer, pbx: Pbx) -> None:
    """Register every action the simulator answers beyond the session ones (Login, Ping...)."""
    from pbxsim import actions_lists, actions_queue

    calls = CallActions(pbx)
    for name, handler in {
        "Originate": calls.originate,
        "Hangup": calls.hangup,
        "Redirect": calls.redirect,
        "BlindTransfer": calls.blind_transfer,
        "Atxfer": calls.atxfer,
        "MixMonitor": calls.mixmonitor,
        "StopMixMonitor": calls.stop_mixmonitor,
        "MixMonitorMute": calls.mixmonitor_mute,
    }.items():
        server.register_action(name, handler)
    actions_queue.install(server, pbx)
    actions_lists.install(server, pbx)


def parse_caller_id(text: str) -> tuple[str, str]:
    """``"Agent 1001" <1001>`` -> (``1001``, ``Agent 1001``); a bare number is both."""
    match = re.fullmatch(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*', text)
    if match:
        return match.group(2), match.group(1)
    return text.strip(), text.strip()


def parse_variables(message: Message) -> dict[str, str]:
    """Every ``Variable`` header, each possibly ``A=1,B=2``."""
    found: dict[str, str] = {}
    for key, value in message:
        if key.lower() == "variable":
            for part in value.split(","):
                name, _, val = part.partition("=")
                if name.strip():
                    found[name.strip()] = val
    return found


class CallActions:
    def __init__(self, pbx: Pbx) -> None:
        self.pbx = pbx
        self.tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("simulated call ended with %r", task.exception())

    async def originate(self, session: Session, message: Message) -> None:
        channel = get_header(message, "Channel")
        if not channel:
            session.send(response("Error", message, ("Message", "Channel not specified")))
            return
        spec = self._originated(message)
        play = self._scenario_for(spec, get_header(message, "Application"), get_header(message, "Data"))
        is_async = get_header(message, "Async").lower() in ("true", "yes", "1", "on")
        if play is None and not is_async:
            session.send(response("Error", message, ("Message", "Originate failed")))
            return
        session.send(response("Success", message, ("Message", "Originate successfully queued")))
        if play is None:
            play = _failed(self.pbx, spec)
        self.spawn(play)

    def _originated(self, message: Message) -> direct.Originated:
        return direct.Originated(
            channel=get_header(message, "Channel"),
            context=get_header(message, "Context"),
            exten=get_header(message, "Exten"),
            caller_id=parse_caller_id(get_header(message, "CallerID"))
            if get_header(message, "CallerID")
            else ("", ""),
            ids=(get_header(message, "ChannelId"), get_header(message, "OtherChannelId")),
            variables=parse_variables(message),
            action_id=get_header(message, "ActionID"),
            timeout=_seconds(get_header(message, "Timeout")),
        )

    def _scenario_for(self, spec: direct.Originated, app: str, data: str) -> Coroutine[Any, Any, Any] | None:
        """Which call the Originate plays, from its Channel/Context as the recorded dialplan routes them."""
        if app.lower() == "chanspy":
            spyee, _, options = data.partition(",")
            return direct.supervisor_spy(
                self.pbx, spyee, spec.channel, action_id=spec.action_id, uniqueid=spec.ids[0], options=options
            )
        match = re.fullmatch(r"Local/([^@]+)@([^/]+)(/n)?", spec.channel)
        if match is None:
            return None
        context = match.group(2)
        if context in ("agentphone", "agents") and spec.context:
            return direct.click_to_dial(self.pbx, spec)
        if context == "pstn" and spec.context == "campaign":
            return scenarios_campaign.campaign_call(self.pbx, spec, spec.timeout)
        if context == "pstn":
            queues = self.pbx.state.queues
            queue = next((n for n in (spec.context, spec.exten) if n in queues), "support")
            return direct.callback(self.pbx, spec, queue)
        return None

    def _channel_or_error(self, session: Session, message: Message, error: str) -> Any:
        name = get_header(message, "Channel")
        channel = self.pbx.state.find_channel(name) if name else None
        if channel is None:
            text = error.format(name=name) if name else "No channel specified"
            session.send(response("Error", message, ("Message", text)))
        return channel

    async def hangup(self, session: Session, message: Message) -> None:
        name = get_header(message, "Channel")
        if len(name) > 1 and name.startswith("/") and name.endswith("/"):
            await self._hangup_matching(session, message, name[1:-1])
            return
        channel = self._channel_or_error(session, message, "No such channel")
        if channel is None:
            return
        session.send(response("Success", message, ("Message", "Channel Hungup")))
        self._post_or_hangup(channel)

    def _post_or_hangup(self, channel: Any) -> None:
        if channel.owner is not None:
            channel.owner.post(Command("hangup", channel))
        else:
            self.pbx.hangup(channel, self.pbx.now())

    async def _hangup_matching(self, session: Session, message: Message, pattern: str) -> None:
        """``Channel: /regex/`` hangs up every match and lists them (ChannelsHungupListComplete)."""
        try:
            regex = re.compile(pattern)
        except re.error:
            session.send(response("Error", message, ("Message", "Invalid regex")))
            return
        matched = [c for c in list(self.pbx.state.channels.values()) if regex.search(c.name)]
        action_id = [("ActionID", get_header(message, "ActionID"))] if get_header(message, "ActionID") else []
        items = [[("Event", "ChannelHungup"), *action_id, ("Channel", c.name)] for c in matched]
        send_list(session, message, "Channels hung up will follow", items, "ChannelsHungupListComplete")
        for channel in matched:
            self._post_or_hangup(channel)

    async def redirect(self, session: Session, message: Message) -> None:
        channel = self._channel_or_error(session, message, "Channel does not exist: {name}")
        if channel is None:
            return
        session.send(response("Success", message, ("Message", "Redirect successful")))
        self._post(channel, "redirect", message)

    async def blind_transfer(self, session: Session, message: Message) -> None:
        channel = self._channel_or_error(session, message, "Channel specified does not exist")
        if channel is None:
            return
        session.send(response("Success", message, ("Message", "Transfer succeeded")))
        self._post(channel, "blind", message)

    async def atxfer(self, session: Session, message: Message) -> None:
        if get_header(message, "Channel") and not get_header(message, "Exten"):
            session.send(response("Error", message, ("Message", "No extension specified")))
            return
        channel = self._channel_or_error(session, message, "Channel specified does not exist")
        if channel is None:
            return
        session.send(response("Success", message, ("Message", "Atxfer successfully queued")))
        self._post(channel, "atxfer", message)

    def _post(self, channel: Any, kind: str, message: Message) -> None:
        if channel.owner is not None:
            context, exten = get_header(message, "Context"), get_header(message, "Exten")
            channel.owner.post(Command(kind, channel, context, exten))

    async def mixmonitor(self, session: Session, message: Message) -> None:
        channel = self._channel_or_error(session, message, "No such channel")
        if channel is not None:
            session.send(response("Success", message))
            channel.mixmonitor = True
            self.pbx.emit("MixMonitorStart", CALL, self.pbx.now(), self.pbx.channel_block(channel))

    async def stop_mixmonitor(self, session: Session, message: Message) -> None:
        channel = self._channel_or_error(session, message, "No such channel")
        if channel is not None:
            session.send(response("Success", message))
            if channel.mixmonitor:
                channel.mixmonitor = False
                self.pbx.emit("MixMonitorStop", CALL, self.pbx.now(), self.pbx.channel_block(channel))

    async def mixmonitor_mute(self, session: Session, message: Message) -> None:
        channel = self._channel_or_error(session, message, "No such channel")
        if channel is not None:
            session.send(response("Success", message))
            tail = [("Direction", get_header(message, "Direction") or "both")]
            tail.append(
                ("State", "1" if get_header(message, "State").lower() in ("1", "true", "yes") else "0")
            )
            self.pbx.emit("MixMonitorMute", CALL, self.pbx.now(), self.pbx.channel_block(channel), tail)


def _seconds(timeout_ms: str) -> float:
    """Originate's Timeout (milliseconds; Asterisk's default 30 s when absent or bad)."""
    return int(timeout_ms) / 1000 if timeout_ms.isdigit() and int(timeout_ms) > 0 else 30.0


async def _failed(pbx: Pbx, spec: direct.Originated) -> None:
    """An Originate the dialplan cannot place: OriginateResponse Failure, Reason 0 (s09a)."""
    await asyncio.sleep(0)
    direct.originate_response(pbx, spec, None, pbx.now())
