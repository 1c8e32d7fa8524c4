"""A tiny AMI server on 127.0.0.1:0 that answers like Asterisk 22 (see fixtures s09b, s00).

Enough for the link tests: banner, Login success/refusal (then close, as Asterisk
does), Ping/Pong, Originate, errors for the rest; the test can push raw bytes,
split them anywhere, stop answering pings, or go away and come back on the same port.
"""

from __future__ import annotations

import asyncio
import time

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def frame(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


class FakeAmi:
    """A scriptable AMI server; one instance survives stop()/start() on the same port."""

    def __init__(self, secret: str = "crm-secret") -> None:
        self.secret = secret
        self.port = 0
        self.answer_pings = True
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
        if name == "login":
            return await self._login(action, writer)
        if name == "ping":
            if self.answer_pings:
                writer.write(
                    frame(
                        "Response: Success",
                        f"ActionID: {action_id}",
                        "Ping: Pong",
                        f"Timestamp: {time.time():.6f}",
                    )
                )
        elif name in ("originate", "hangup"):
            writer.write(
                frame(
                    "Response: Success",
                    f"ActionID: {action_id}",
                    "Message: Originate successfully queued"
                    if name == "originate"
                    else "Message: Channel Hungup",
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
        self._writers.add(writer)
        return True


async def eventually(predicate, within: float = 3.0, step: float = 0.01) -> None:
    """Wait until predicate() is true, failing the test after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within:.1f} s")
        await asyncio.sleep(step)
