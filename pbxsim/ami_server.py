"""A TCP server speaking the Asterisk 22 Manager Interface, for tests, demos and load.

Reply texts, header order and framing are those recorded from a real Asterisk in
``tests/fixtures/asterisk`` (s09a, s09b): the CRM's AMI client must not be able to
tell the difference on the paths it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pbxsim.ami_codec import Message, MessageParser, encode_message, get_header

log = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
UNAUTHENTICATED_ACTIONS = frozenset({"login", "logoff", "challenge"})


def _event_tv(ts: float) -> str:
    """Asterisk's EventTV/SessionTV form: ``2026-11-22T21:38:58.918+0000``."""
    moment = datetime.fromtimestamp(ts, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


def _address(sockname: object) -> str:
    host, port = sockname[:2] if isinstance(sockname, tuple) else ("0.0.0.0", 0)
    return f"IPV4/TCP/{host}/{port}"


class _Session:
    """One client connection and its manager-session state."""

    def __init__(self, writer: asyncio.StreamWriter, session_id: int, opened_at: float) -> None:
        self.writer = writer
        self.session_id = session_id
        self.opened_at = opened_at
        self.authenticated = False
        self.events_on = True
        self.closing = False
        self.challenge = ""

    def send(self, pairs: Message) -> None:
        if not self.closing and not self.writer.is_closing():
            self.writer.write(encode_message(pairs))

    def close(self) -> None:
        """Flush what was written, then close, as Asterisk does after Logoff or a failed Login."""
        self.closing = True
        self.writer.close()


def _first_values(message: Message) -> dict[str, str]:
    """Header -> first value, the way astman_get_header reads an action."""
    values: dict[str, str] = {}
    for key, value in message:
        values.setdefault(key, value)
    return values


def response(kind: str, action: Message, *extra: tuple[str, str]) -> Message:
    """Asterisk puts ActionID right after Response, and omits it when the action had none."""
    pairs: Message = [("Response", kind)]
    action_id = get_header(action, "ActionID")
    if action_id:
        pairs.append(("ActionID", action_id))
    pairs.extend(extra)
    return pairs


Session = _Session
ActionHandler = Callable[[_Session, Message], Awaitable[None]]


def send_list(
    session: _Session,
    action: Message,
    start: str,
    items: list[Message],
    complete: str,
    *tail: tuple[str, str],
) -> None:
    """A list answer framed as Asterisk does: ``EventList: start``, the items, then ``...Complete``."""
    action_id = get_header(action, "ActionID")
    session.send(response("Success", action, ("EventList", "start"), ("Message", start)))
    for item in items:
        session.send(item)
    done: Message = [("Event", complete)]
    if action_id:
        done.append(("ActionID", action_id))
    done += [("EventList", "Complete"), ("ListItems", str(len(items))), *tail]
    session.send(done)


class AmiServer:
    """AMI listener on 127.0.0.1 with one user; events are broadcast with :meth:`send_event`.

    Fault injection for link tests: :meth:`stall`/:meth:`resume`, :meth:`restart`,
    :meth:`drop_all`, :meth:`resend_last` (duplicates) and :meth:`swap_next` (reordering).
    """

    def __init__(
        self,
        username: str,
        secret: str,
        *,
        timestampevents: bool = False,
        clock: Callable[[], float] = time.time,
        login_fail_delay: float = 1.0,
        channelvars: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.username = username
        self._secret = secret
        self.timestampevents = timestampevents
        self.clock = clock
        self.login_fail_delay = login_fail_delay
        self.channelvars: list[str] = list(channelvars)
        self.host = host
        self.port = port
        self.received_actions: list[dict[str, str]] = []
        self._started_at = clock()
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._session_ids = itertools.count(0x7F07B0034AF0, 0x1010)
        self._restart_hooks: list[Callable[[], None]] = []
        self._recent: deque[Message] = deque(maxlen=256)
        self._swap_pending = False
        self._held: Message | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._stalled_events: list[Message] = []
        self.boot_count = 0
        self._handlers: dict[str, ActionHandler] = {
            "login": self._action_login,
            "challenge": self._action_challenge,
            "logoff": self._action_logoff,
            "ping": self._action_ping,
        }

    def register_action(self, name: str, handler: ActionHandler) -> None:
        """Answer Action ``name`` (case-insensitive) with ``handler(session, message)``."""
        self._handlers[name.lower()] = handler

    def add_restart_hook(self, hook: Callable[[], None]) -> None:
        """Called when :meth:`restart` brings the PBX back: the PBX model forgets its live calls."""
        self._restart_hooks.append(hook)

    @property
    def started_at(self) -> float:
        return self._started_at

    @property
    def connections(self) -> int:
        """Open client connections, for tests asserting reconnects and clean shutdowns."""
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every session, waiting for their handlers to finish."""
        if self._server is not None:
            self._server.close()
        await self.drop_all()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def drop_all(self) -> None:
        """Abort every client connection without a goodbye, like a PBX crash; the listener stays up."""
        for session in list(self._sessions):
            session.writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    def send_event(self, pairs: Message, timestamp: float | None = None) -> None:
        """Send one event (``Event``, ``Privilege``, ...) to every logged-in session that wants events.

        ``timestamp`` lets a scenario stamp events with its simulated time; it is
        used only with timestampevents, where Asterisk adds it after Privilege.
        """
        if self.timestampevents:
            stamp = ("Timestamp", f"{self.clock() if timestamp is None else timestamp:.6f}")
            pairs = [*pairs[:2], stamp, *pairs[2:]]
        if self._swap_pending:
            self._swap_pending, self._held = False, pairs
            return
        self._broadcast(pairs)
        if self._held is not None:
            held, self._held = self._held, None
            self._broadcast(held)

    def _broadcast(self, pairs: Message) -> None:
        self._recent.append(pairs)
        if not self._resumed.is_set():
            self._stalled_events.append(pairs)
            return
        self._write_event(pairs)

    def _write_event(self, pairs: Message) -> None:
        data = encode_message(pairs)
        for session in list(self._sessions):
            if session.authenticated and session.events_on and not session.closing:
                session.writer.write(data)

    # Fault injection -----------------------------------------------------------

    def resend_last(self, count: int = 1) -> None:
        """Send the last ``count`` events again, in order: the duplicates a flaky PBX path can cause."""
        for pairs in list(self._recent)[-count:]:
            self._broadcast(pairs)

    def swap_next(self) -> None:
        """Hold the next event and send it right after the one following it (out-of-order delivery)."""
        self._swap_pending = True

    def stall(self) -> None:
        """Keep sockets open but answer nothing (not even Ping) and send no events until :meth:`resume`."""
        self._resumed.clear()

    def resume(self) -> None:
        """Answer the actions that waited, then deliver the events held back, as a PBX coming unstuck."""
        self._resumed.set()
        held, self._stalled_events = self._stalled_events, []
        for pairs in held:
            self._write_event(pairs)

    async def restart(self, downtime: float = 0.0) -> None:
        """A PBX restart: Shutdown event, every connection closed, then the same port with a new boot time."""
        self.resume()
        self.send_event(
            [("Event", "Shutdown"), ("Privilege", "system,all"), ("Shutdown", "Cleanly"), ("Restart", "True")]
        )
        if self._server is not None:
            self._server.close()
        for session in list(self._sessions):
            session.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        await asyncio.sleep(downtime)
        self._started_at = self.clock()
        self.boot_count += 1
        self._recent.clear()
        for hook in self._restart_hooks:
            hook()
        await self.start()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        session = _Session(writer, next(self._session_ids), self.clock())
        self._sessions.add(session)
        try:
            writer.write(BANNER)
            await self._read_loop(reader, session)
        except ConnectionError:
            log.debug("AMI client connection lost")
        finally:
            self._sessions.discard(session)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def _read_loop(self, reader: asyncio.StreamReader, session: _Session) -> None:
        parser = MessageParser()
        while not session.closing:
            data = await reader.read(65536)
            if not data:
                return
            for message in parser.feed(data):
                await self._resumed.wait()
                await self._dispatch(session, message)
                if session.closing:
                    return
            await session.writer.drain()

    async def _dispatch(self, session: _Session, message: Message) -> None:
        """Route one action the way manager.c does: missing action, permission, unknown, handler."""
        self.received_actions.append(_first_values(message))
        action = get_header(message, "Action")
        if not action:
            session.send(response("Error", message, ("Message", "Missing action in request")))
            return
        name = action.lower()
        if not session.authenticated and name not in UNAUTHENTICATED_ACTIONS:
            session.send(response("Error", message, ("Message", "Permission denied")))
            return
        handler = self._handlers.get(name)
        if handler is None:
            text = f"Invalid/unknown command: {action}. Use Action: ListCommands to show available commands."
            session.send(response("Error", message, ("Message", text)))
            return
        await handler(session, message)

    def _credentials_ok(self, session: _Session, message: Message) -> bool:
        if get_header(message, "Username").lower() != self.username.lower():
            return False
        if get_header(message, "AuthType").lower() == "md5" and session.challenge:
            expected = hashlib.md5((session.challenge + self._secret).encode()).hexdigest()
            return secrets.compare_digest(get_header(message, "Key").lower(), expected)
        return secrets.compare_digest(get_header(message, "Secret"), self._secret)

    async def _action_login(self, session: _Session, message: Message) -> None:
        if not self._credentials_ok(session, message):
            await asyncio.sleep(self.login_fail_delay)
            session.send(response("Error", message, ("Message", "Authentication failed")))
            session.close()
            return
        session.authenticated = True
        session.events_on = get_header(message, "Events", "on").lower() != "off"
        session.send(response("Success", message, ("Message", "Authentication accepted")))
        uptime = str(int(self.clock() - self._started_at))
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
        self.send_event(self._successful_auth(session))

    def _successful_auth(self, session: _Session) -> Message:
        now = self.clock()
        return [
            ("Event", "SuccessfulAuth"),
            ("Privilege", "security,all"),
            ("EventTV", _event_tv(now)),
            ("Severity", "Informational"),
            ("Service", "AMI"),
            ("EventVersion", "1"),
            ("AccountID", self.username),
            ("SessionID", f"0x{session.session_id:x}"),
            ("LocalAddress", _address(session.writer.get_extra_info("sockname"))),
            ("RemoteAddress", _address(session.writer.get_extra_info("peername"))),
            ("UsingPassword", "0"),
            ("SessionTV", _event_tv(session.opened_at)),
        ]

    async def _action_challenge(self, session: _Session, message: Message) -> None:
        if get_header(message, "AuthType").lower() != "md5":
            session.send(response("Error", message, ("Message", "Must specify AuthType")))
            return
        if not session.challenge:
            session.challenge = str(secrets.randbelow(2**31))
        session.send(response("Success", message, ("Challenge", session.challenge)))

    async def _action_logoff(self, session: _Session, message: Message) -> None:
        session.send(response("Goodbye", message, ("Message", "Thanks for all the fish.")))
        session.close()

    async def _action_ping(self, session: _Session, message: Message) -> None:
        session.send(response("Success", message, ("Ping", "Pong"), ("Timestamp", f"{self.clock():.6f}")))
