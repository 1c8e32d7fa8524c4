"""One FastAGI conversation with Asterisk: the environment block, then command / reply lines.

Hostile or broken peers are the normal case on a socket, so every read is bounded in
size (the StreamReader limit) and in time, and a hang-up in any of its three shapes
(`result=-1`, a `HANGUP` line, `511`) becomes one exception the flow can end on.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

MAX_ENV_LINES = 64
MAX_USAGE_LINES = 50
_KEYS = re.compile(r"[0-9*#]*")
_REPLY = re.compile(r"^(\d{3})(?: result=(\S*)(?: \((.*)\))?(.*)|(?: .*)?)$")


class AgiHangup(Exception):
    """The caller is gone: end the flow, write nothing more to the channel."""


class AgiProtocolError(Exception):
    """The peer does not speak FastAGI (or Asterisk refused our command); drop the session."""


@dataclass(frozen=True)
class Reply:
    code: int
    result: str
    data: str | None
    rest: str


def parse_reply(line: str) -> Reply:
    match = _REPLY.match(line)
    if match is None:
        raise AgiProtocolError("unparseable reply")
    code, result, data, rest = match.groups()
    return Reply(int(code), result or "", data, (rest or "").strip())


def quote(value: str) -> str:
    """An AGI argument in double quotes (Asterisk splits on spaces otherwise)."""
    flat = value.replace("\r", " ").replace("\n", " ")  # a line break would start a new command
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def read_env(reader: asyncio.StreamReader, within: float) -> dict[str, str]:
    """The agi_* block up to its blank line, within `within` seconds and MAX_ENV_LINES lines."""
    env: dict[str, str] = {}
    async with asyncio.timeout(within):
        for _ in range(MAX_ENV_LINES):
            line = await _line(reader)
            if line == "":
                if not env:
                    raise AgiProtocolError("empty environment")
                return env
            key, sep, value = line.partition(":")
            if not sep or not key.startswith("agi_"):
                raise AgiProtocolError("not an agi_ environment line")
            env[key] = value.strip()
    raise AgiProtocolError("environment block too long")


async def _line(reader: asyncio.StreamReader) -> str:
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        raise AgiHangup("connection closed") from exc
    except asyncio.LimitOverrunError as exc:
        raise AgiProtocolError("line too long") from exc
    return raw.decode("utf-8", "replace").rstrip("\r\n")


class AgiChannel:
    """Commands to one channel; `hung_up` turns true the moment Asterisk says the caller left."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader, self.writer, self.timeout = reader, writer, timeout
        self.hung_up = False

    async def command(self, line: str) -> Reply:
        """Send one command and return its reply; AgiHangup when the channel is dead."""
        if self.hung_up:
            raise AgiHangup("channel already hung up")
        self.writer.write(line.encode() + b"\n")
        async with asyncio.timeout(self.timeout):
            await self.writer.drain()
            reply = await self._reply()
        if reply.code == 511 or self.hung_up:  # a HANGUP line came before this reply: the caller left
            self.hung_up = True
            raise AgiHangup("dead channel")
        if reply.code != 200:
            raise AgiProtocolError(f"Asterisk refused {line.split(' ', 1)[0]}: {reply.code}")
        return reply

    async def _reply(self) -> Reply:
        line = await _line(self.reader)
        while line == "HANGUP" or line.startswith("100 "):
            self.hung_up = self.hung_up or line == "HANGUP"
            line = await _line(self.reader)
        if line.startswith("520-"):
            for _ in range(MAX_USAGE_LINES):
                if (await _line(self.reader)).startswith("520 "):
                    return Reply(520, "", None, "")
            raise AgiProtocolError("usage reply too long")
        return parse_reply(line)

    async def keyed(self, line: str) -> str:
        """A command that waits for keys (GET DATA, STREAM FILE): '' on timeout, AgiHangup on -1."""
        reply = await self.command(line)
        if reply.result == "-1":
            self.hung_up = True
            raise AgiHangup("caller hung up")
        return reply.result

    async def stream(self, prompt: str, escape: str = "") -> str:
        """Play a prompt; the key pressed to cut it short, or ''."""
        result = await self.keyed(f"STREAM FILE {prompt} {quote(escape)}")
        return chr(int(result)) if result.isdigit() and int(result) > 0 else ""

    async def get_data(self, prompt: str, wait: float, max_digits: int) -> str:
        result = await self.keyed(f"GET DATA {prompt} {int(wait * 1000)} {max_digits}")
        return result if _KEYS.fullmatch(result) else ""  # ASCII only: '١٢٣'.isdigit() is True

    async def set_variable(self, name: str, value: str) -> None:
        await self.command(f"SET VARIABLE {name} {quote(value)}")

    async def get_full(self, expression: str) -> str | None:
        reply = await self.command(f"GET FULL VARIABLE {expression}")
        return reply.data if reply.result == "1" else None
