"""A tiny AMI server on 127.0.0.1:0 that answers like Asterisk 22 (see fixtures s09b, s00).

Enough for the link and adapter tests: banner, Login success/refusal (then close, as
Asterisk does), FullyBooted (optionally late, as while booting), Ping/Pong, the
Telephony actions (Success, or an Error the test scripts), list actions framed like
Asterisk (CoreShowChannels, QueueStatus with items the test sets), errors for the
rest. The test can push raw bytes, split them anywhere, stop answering pings, stall
(socket open, nothing answered), leave actions unanswered, announce a Shutdown, drop
every connection, or go away and come back on the same port.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def frame(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class FakeAmi:
    """A scriptable AMI server; one instance survives stop()/start() on the same port."""

    def __init__(self, secret: str = "crm-secret") -> None:
        self.secret = secret
        self.port = 0
        self.answer_pings = True
        self.stalled = False  # socket stays open, nothing is answered any more
        self.unanswered: set[str] = set()  # lower-case action names that get no reply
        self.refusals: dict[str, str] = {}  # lower-case action name -> Error message
        self.boot_delay = 0.0  # seconds between Login and FullyBooted
        self.list_delay = 0.0  # seconds before a list action is answered (events may come meanwhile)
        self.booted_at: list[float] = []
        self.lists: dict[str, list[list[str]]] = {"coreshowchannels": [], "queuestatus": []}
        self.action_times: list[tuple[str, float]] = []
        self.login_times: list[float] = []
        self.actions: list[dict[str, str]] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Go away: stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def push(self, data: bytes, split_at: int | None = None, pause: float = 0.05) -> None:
        """Send bytes to every logged-in client, optionally in two TCP writes ``pause`` s apart."""
        parts = [data] if split_at is None else [data[:split_at], data[split_at:]]
        for part in parts:
            for writer in list(self._writers):
                writer.write(part)
                await writer.drain()
            await asyncio.sleep(pause)

    async def drop(self) -> None:
        """Close every client connection but keep listening (a network blip)."""
        for writer in list(self._writers):
            writer.close()
        await asyncio.sleep(0)

    async def shutdown(self) -> None:
        """Announce a restart as Asterisk does (Shutdown event), close, and stop listening."""
        if self._server is not None:
            self._server.close()  # no new logins while it restarts
        shutdown = frame("Event: Shutdown", "Privilege: system,all", "Shutdown: Cleanly", "Restart: True")
        await self.push(shutdown, pause=0)
        await self.stop()

    def set_list(self, action: str, items: Iterable[Iterable[str]]) -> None:
        """Items (header lines, without ActionID) the list action ``action`` answers with."""
        self.lists[action.lower()] = [list(item) for item in items]

    def sent(self, name: str) -> list[dict[str, str]]:
        """Every action named ``name`` the client sent, in order."""
        return [a for a in self.actions if a.get("Action", "").lower() == name.lower()]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._handlers.add(asyncio.current_task())
        try:
            writer.write(BANNER)
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                if not await self._answer(self._parse(raw), writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(asyncio.current_task())
            writer.close()

    @staticmethod
    def _parse(raw: bytes) -> dict[str, str]:
        headers = {}
        for line in raw.decode("utf-8").split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                headers[key] = value
        return headers

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        """Reply to one action; False when the connection must close."""
        self.actions.append(action)
        name, action_id = action.get("Action", "").lower(), action.get("ActionID", "")
        self.action_times.append((name, time.monotonic()))
        if self.stalled or name in self.unanswered:
            return True
        if name == "login":
            return await self._login(action, writer)
        if name in self.refusals:
            writer.write(
                frame("Response: Error", f"ActionID: {action_id}", f"Message: {self.refusals[name]}")
            )
        elif name in self.lists:
            if self.list_delay:
                await asyncio.sleep(self.list_delay)
            writer.write(self._list_reply(name, action_id))
        elif name in _SUCCESS:
            writer.write(frame("Response: Success", f"ActionID: {action_id}", f"Message: {_SUCCESS[name]}"))
        elif name == "ping":
            if self.answer_pings:
                writer.write(
                    frame(
                        "Response: Success",
                        f"ActionID: {action_id}",
                        "Ping: Pong",
                        f"Timestamp: {time.time():.6f}",
                    )
                )
        else:
            writer.write(
                frame("Response: Error", f"ActionID: {action_id}", "Message: Invalid/unknown command")
            )
        await writer.drain()
        return True

    async def _login(self, action: dict[str, str], writer: asyncio.StreamWriter) -> bool:
        self.login_times.append(time.monotonic())
        action_id = action.get("ActionID", "")
        if action.get("Secret") != self.secret:
            await asyncio.sleep(0.05)  # Asterisk waits ~1 s; short here to keep tests quick
            writer.write(frame("Response: Error", f"ActionID: {action_id}", "Message: Authentication failed"))
            await writer.drain()
            return False
        writer.write(frame("Response: Success", f"ActionID: {action_id}", "Message: Authentication accepted"))
        self._writers.add(writer)
        if self.boot_delay:
            await writer.drain()
            await asyncio.sleep(self.boot_delay)
        self.booted_at.append(time.monotonic())
        writer.write(
            frame(
                "Event: FullyBooted",
                "Privilege: system,all",
                "Uptime: 7",
                "LastReload: 7",
                "Status: Fully Booted",
            )
        )
        await writer.drain()
        return True

    def _list_reply(self, name: str, action_id: str) -> bytes:
        """Response, one event per item, then the Complete event, as Asterisk frames a list."""
        item_event, complete = _LISTS[name]
        items = self.lists[name]
        out = [frame("Response: Success", f"ActionID: {action_id}", "EventList: start", "Message: follows")]
        for item in items:  # an item may name its own event (QueueStatus also sends QueueParams)
            head = [item[0]] if item and item[0].startswith("Event:") else [f"Event: {item_event}"]
            rest = item[1:] if item and item[0].startswith("Event:") else item
            out.append(frame(*head, f"ActionID: {action_id}", *rest))
        out.append(
            frame(
                f"Event: {complete}",
                f"ActionID: {action_id}",
                "EventList: Complete",
                f"ListItems: {len(items)}",
            )
        )
        return b"".join(out)


_SUCCESS = {
    "originate": "Originate successfully queued",
    "hangup": "Channel Hungup",
    "blindtransfer": "Transfer succeeded",
    "redirect": "Redirect successful",
    "atxfer": "Atxfer successfully queued",
    "queuepause": "Interface paused successfully",
    "queueadd": "Added interface to queue",
    "queueremove": "Removed interface from queue",
    "mixmonitor": "",
    "stopmixmonitor": "",
    "mixmonitormute": "",
}
_LISTS = {
    "coreshowchannels": ("CoreShowChannel", "CoreShowChannelsComplete"),
    "queuestatus": ("QueueMember", "QueueStatusComplete"),
}
