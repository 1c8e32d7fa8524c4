"""One supervised AMI connection per PBX.

The CRM is blind without its AMI link, so the link must come back by itself
after any failure without hammering the PBX: a supervisor task connects, logs
in, pings, and on any failure waits with exponential back-off and jitter
before trying again. A refused login is one clear log line per attempt (never
the secret), a silent PBX (no Pong) is treated like a dead one: a stall is
noticed within ping_interval + ping_timeout (ping_timeout is capped at
ping_interval, so within 2x the interval). A ``Shutdown`` event (PBX restart)
ends the session like a dropped socket. After each login the link waits for
``FullyBooted`` (a restarting Asterisk accepts logins before it is ready), then
runs the ``on_login`` hook (the adapter's resync) and only then reports "up".
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping

from panoramisk.actions import Action
from panoramisk.message import Message

from crm_core.ports import TelephonyError
from cti.ami_protocol import LinkManager

log = logging.getLogger(__name__)

EventCallback = Callable[[Message, float], None]
StateCallback = Callable[[bool, str], None]
LoginHook = Callable[[], Awaitable[None]]


STABLE_SESSION_SECONDS = 10.0  # a session shorter than this does not reset the backoff


class _LoginRefused(Exception):
    """Asterisk answered the Login with an error (wrong user or secret, ACL)."""


class AmiLink:
    """A logged-in AMI session to one PBX that reconnects with back-off until stopped."""

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        username: str,
        secret: str,
        on_event: EventCallback,
        on_state: StateCallback | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        ping_interval: float = 10.0,
        clock: Callable[[], float] = time.time,
        *,
        ping_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        action_timeout: float = 10.0,
        jitter: float = 0.2,
        boot_timeout: float = 10.0,
        on_login: LoginHook | None = None,
    ) -> None:
        self.name, self.host, self.port, self.username = name, host, port, username
        self._secret = secret
        self._on_event, self._on_state, self._clock = on_event, on_state, clock
        self.backoff_initial, self.backoff_max, self.jitter = backoff_initial, backoff_max, jitter
        self.ping_interval, self.ping_timeout = ping_interval, min(ping_timeout, ping_interval)
        self.boot_timeout, self.on_login = boot_timeout, on_login
        self.connect_timeout, self.action_timeout = connect_timeout, action_timeout
        self.attempts = 0
        self._failure: str | None = None  # why the last attempt never came up, for the log
        self._logged_in = False  # what on_state last said
        self._session_up = False  # logged in on the current connection (actions may be sent)
        self._booted: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._manager = LinkManager(host, port)
        self._manager.register_event("*", self._dispatch)

    def __repr__(self) -> str:  # the secret stays out of any accidental log of this object
        return f"<AmiLink pbx={self.name} {self.username}@{self.host}:{self.port} up={self.connected}>"

    @property
    def connected(self) -> bool:
        """Logged in on a live connection (true during the on_login resync too)."""
        return self._session_up and self._manager.is_open

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"ami-link:{self.name}")

    async def stop(self) -> None:
        """Close the link for good: no reconnect, no task or connection left behind."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._manager.close("link stopped")
        await asyncio.sleep(0)  # let the transport deliver its connection_lost

    async def send_action(self, action: Mapping[str, str | list[str]]) -> Message:
        """Send one action and return its reply; TelephonyError when down or refused."""
        reply = await self._checked(action, as_list=False)
        assert isinstance(reply, Message)
        return reply

    async def send_list_action(self, action: Mapping[str, str | list[str]]) -> list[Message]:
        """Send a list action (CoreShowChannels, QueueStatus…): reply, items and Complete event."""
        reply = await self._checked(action, as_list=None)
        return reply if isinstance(reply, list) else [reply]

    async def _checked(
        self, action: Mapping[str, str | list[str]], as_list: bool | None
    ) -> Message | list[Message]:
        if not self.connected:
            raise TelephonyError(f"AMI link to pbx={self.name} is down", code="not_connected")
        reply = await self._request(action, self.action_timeout, as_list)
        first = reply[0] if isinstance(reply, list) else reply
        if not first.success:
            name = action.get("Action", "?")
            raise TelephonyError(
                f"AMI {name} refused by pbx={self.name}: {first.get('Message', '')}", code="refused"
            )
        return reply

    async def _request(
        self, headers: Mapping[str, str | list[str]], within: float, as_list: bool | None = False
    ) -> Message | list[Message]:
        """Send on the current connection; wait for the reply, the link's end or ``within`` seconds."""
        lost = self._manager.lost
        if not self._manager.is_open or lost is None:
            raise TelephonyError(f"AMI link to pbx={self.name} is not connected", code="not_connected")
        action = Action(dict(headers), as_list=as_list)
        try:
            future = self._manager.send_action(action, as_list=as_list)
        except ConnectionError as exc:
            raise TelephonyError(f"AMI link to pbx={self.name} is closing", code="not_connected") from exc
        await asyncio.wait({future, lost}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        if future.done() and not future.cancelled():
            return future.result()
        future.cancel()
        if self._manager.protocol is not None:
            self._manager.protocol.responses.pop(action.id, None)
        if lost.done():
            raise TelephonyError(f"AMI link to pbx={self.name} lost: {lost.result()}", code="not_connected")
        raise TelephonyError(
            f"AMI {headers.get('Action')} got no reply from pbx={self.name} in {within:g} s", code="timeout"
        )

    # -- supervision ---------------------------------------------------------------

    async def _supervise(self) -> None:
        delay = self.backoff_initial
        try:
            while True:
                self.attempts += 1
                began = time.monotonic()
                lost = await self._attempt(delay)
                if lost and time.monotonic() - began >= STABLE_SESSION_SECONDS:
                    delay = self.backoff_initial  # it ran a while: come back quickly
                retry = self._jittered(delay)
                self._log_retry(lost, retry)
                await asyncio.sleep(retry)
                delay = min(delay * 2, self.backoff_max)
        finally:
            self._manager.close("link stopped")
            self._set_state(False, "link stopped")

    async def _attempt(self, delay: float) -> str | None:
        """One connection, from connect to loss; the reason it was lost, or None if it never came up."""
        self._failure = None
        try:
            return await self._session()
        except _LoginRefused as exc:
            self._failure = f"AMI login refused for pbx={self.name} user={self.username}: {exc}"
        except (OSError, TimeoutError, TelephonyError) as exc:
            detail = exc or type(exc).__name__
            self._failure = f"AMI connect failed pbx={self.name} {self.host}:{self.port}: {detail}"
        except Exception:
            log.exception("AMI link failed unexpectedly pbx=%s (attempt %d)", self.name, self.attempts)
            self._failure = f"AMI link failed unexpectedly pbx={self.name}"
        finally:
            self._manager.close()
        return None

    def _log_retry(self, lost: str | None, retry: float) -> None:
        """One line per failure, never a secret: what happened and when the next try is."""
        if lost is not None:
            log.warning("AMI link lost pbx=%s: %s; reconnecting in %.1f s", self.name, lost, retry)
        else:
            log.warning("%s (attempt %d, retry in %.1f s)", self._failure, self.attempts, retry)

    def _jittered(self, delay: float) -> float:
        """Spread retries so that several links (or instances) do not reconnect in lockstep."""
        return min(delay * random.uniform(1 - self.jitter, 1 + self.jitter), self.backoff_max)

    async def _session(self) -> str:
        """Connect, log in and watch one connection; return why it ended."""
        await self._manager.open(self.connect_timeout)
        self._booted = asyncio.get_running_loop().create_future()
        reply = await self._request(
            {"Action": "Login", "Username": self.username, "Secret": self._secret, "Events": "on"},
            self.action_timeout,
        )
        assert isinstance(reply, Message)
        if not reply.success:
            raise _LoginRefused(reply.get("Message", "") or reply.get("Response", "refused"))
        log.info("AMI logged in pbx=%s user=%s %s:%d", self.name, self.username, self.host, self.port)
        self._session_up = True
        reason = "stopped"
        try:
            if await self._prepare():
                self._set_state(True, "logged in")
                reason = await self._watch()
            else:
                reason = self._manager.lost.result() if self._manager.lost else reason
            return reason
        finally:
            self._session_up = False
            self._set_state(False, reason)

    async def _prepare(self) -> bool:
        """Wait for FullyBooted, then run the on_login hook; False if the connection ended meanwhile."""
        lost, booted = self._manager.lost, self._booted
        assert lost is not None and booted is not None
        await asyncio.wait({lost, booted}, timeout=self.boot_timeout, return_when=asyncio.FIRST_COMPLETED)
        if lost.done():
            return False
        if not booted.done():
            log.warning(
                "AMI pbx=%s sent no FullyBooted within %g s (manager user lacks the system class?); going on",
                self.name,
                self.boot_timeout,
            )
        if self.on_login is not None:
            await self.on_login()
        return not lost.done()

    async def _watch(self) -> str:
        """Ping on an interval; a missing Pong or a closed socket ends the session."""
        lost = self._manager.lost
        assert lost is not None
        while True:
            await asyncio.wait({lost}, timeout=self.ping_interval)
            if lost.done():
                return lost.result()
            try:
                await self._request({"Action": "Ping"}, self.ping_timeout)
            except TelephonyError:
                if lost.done():
                    return lost.result()
                return f"no Pong within {self.ping_timeout:g} s"

    def _set_state(self, up: bool, reason: str) -> None:
        if up == self._logged_in:
            return
        self._logged_in = up
        if self._on_state is None:
            return
        try:
            self._on_state(up, reason)
        except Exception:
            log.exception("AMI link state callback failed pbx=%s", self.name)

    def _dispatch(self, _manager: object, message: Message) -> None:
        """Hand every unsolicited event to on_event; a failing handler must not kill the link."""
        if self._booted is not None and not self._booted.done() and message.get("Event") == "FullyBooted":
            self._booted.set_result(None)
        try:
            self._on_event(message, self._clock())
        except Exception:
            log.exception("AMI event handler failed pbx=%s event=%s", self.name, message.get("Event"))
