"""A deliberately dumb AMI client over a raw socket, and the recorded traces as message lists.

It shares no code with pbxsim or cti: it frames strictly on CRLF + blank line, so
a simulator that drifted from Asterisk's framing would fail here.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"
TIMEOUT = 3.0

Msg = list[tuple[str, str]]


def parse(text: str) -> Msg:
    pairs: Msg = []
    for line in text.split("\r\n"):
        if line:
            key, _, value = line.partition(": ")
            pairs.append((key, value))
    return pairs


def header(msg: Msg, key: str) -> str | None:
    return next((v for k, v in msg if k == key), None)


def keys(msg: Msg) -> list[str]:
    return [k for k, _ in msg]


def without_action_id(msg: Msg) -> Msg:
    """Replace ActionID values: they are the client's choice, not Asterisk's."""
    return [(k, "*" if k == "ActionID" else v) for k, v in msg]


def load_trace(scenario: str) -> list[Msg]:
    """Messages Asterisk sent in a recorded scenario, banner excluded."""
    raw = (FIXTURES / f"{scenario}.ami.raw").read_bytes()
    assert raw.startswith(BANNER)
    body = raw[len(BANNER) :].decode("utf-8")
    return [parse(chunk) for chunk in body.split("\r\n\r\n") if chunk]


def live_events(messages: list[Msg], names: set[str]) -> list[Msg]:
    """Events with those names that are not list items (list items carry an ActionID)."""
    return [m for m in messages if header(m, "Event") in names and header(m, "ActionID") is None]


class RawAmiClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._fence = 0

    @classmethod
    async def connect(cls, port: int) -> RawAmiClient:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        client = cls(reader, writer)
        assert await asyncio.wait_for(reader.readexactly(len(BANNER)), TIMEOUT) == BANNER
        return client

    async def send(self, *pairs: tuple[str, str]) -> None:
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in pairs).encode() + b"\r\n")
        await self.writer.drain()

    async def read(self) -> Msg:
        data = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        return parse(data.decode("utf-8"))

    async def read_until(self, key: str, value: str) -> list[Msg]:
        """Messages up to and including the first whose ``key`` is ``value``."""
        seen: list[Msg] = []
        async with asyncio.timeout(TIMEOUT):
            while not seen or header(seen[-1], key) != value:
                seen.append(await self.read())
        return seen

    async def login(self, secret: str = "crm-secret", events: str = "on") -> list[Msg]:
        await self.send(
            ("Action", "Login"),
            ("ActionID", "login"),
            ("Username", "crm"),
            ("Secret", secret),
            ("Events", events),
        )
        replies = await self.read_until("ActionID", "login")
        if header(replies[-1], "Response") == "Success":
            replies.append(await self.read())  # FullyBooted, sent whatever Events says
            if events != "off":
                replies.append(await self.read())  # SuccessfulAuth
        return replies

    async def fence(self) -> list[Msg]:
        """Everything sent before a Ping's reply: responses and events keep their order on the wire."""
        self._fence += 1
        action_id = f"fence-{self._fence}"
        await self.send(("Action", "Ping"), ("ActionID", action_id))
        return (await self.read_until("ActionID", action_id))[:-1]

    async def at_eof(self) -> bool:
        """True once the server closed the connection (whatever was still unread is discarded)."""
        try:
            await asyncio.wait_for(self.reader.read(), TIMEOUT)
        except ConnectionResetError:
            return True
        return self.reader.at_eof()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
