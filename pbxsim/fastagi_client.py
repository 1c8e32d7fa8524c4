"""A FastAGI client that connects to an IVR the way Asterisk does, for tests, demo and load.

It sends the agi_ environment block (LF lines, then a blank line), then answers every
command through AgiChannelModel until the server closes the connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pbxsim.agi_channel import AgiChannelModel

ENV_ORDER = (
    "agi_network",
    "agi_network_script",
    "agi_request",
    "agi_channel",
    "agi_language",
    "agi_type",
    "agi_uniqueid",
    "agi_version",
    "agi_callerid",
    "agi_calleridname",
    "agi_callingpres",
    "agi_callingani2",
    "agi_callington",
    "agi_callingtns",
    "agi_dnid",
    "agi_rdnis",
    "agi_context",
    "agi_extension",
    "agi_priority",
    "agi_enhanced",
    "agi_accountcode",
    "agi_threadid",
)


def environment(script: str, uniqueid: str, callerid: str, port: int, **extra: str) -> dict[str, str]:
    """The block a Local channel sends for agi://127.0.0.1:<port>/<script> (as recorded from Asterisk 22)."""
    env = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://127.0.0.1:{port}/{script}",
        "agi_channel": f"Local/{callerid}@inbound-00000000;2",
        "agi_language": "en",
        "agi_type": "Local",
        "agi_uniqueid": uniqueid,
        "agi_version": "22.10.1",
        "agi_callerid": callerid,
        "agi_calleridname": f"Customer {callerid}",
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": "unknown",
        "agi_rdnis": "unknown",
        "agi_context": "inbound",
        "agi_extension": callerid,
        "agi_priority": "5",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "139671435343552",
    }
    env.update(extra)
    return env


def encode_environment(env: dict[str, str]) -> bytes:
    ordered = [k for k in ENV_ORDER if k in env] + [k for k in env if k not in ENV_ORDER]
    return "".join(f"{k}: {env[k]}\n" for k in ordered).encode() + b"\n"


@dataclass
class AgiSessionResult:
    commands: list[str]
    replies: list[list[str]]
    variables: dict[str, str]
    dead: bool
    closed_by_server: bool
    errors: list[str] = field(default_factory=list)  # 510 / 520 replies: commands Asterisk refused


async def call_ivr(
    host: str, port: int, channel: AgiChannelModel, deadline: float = 10.0, max_commands: int = 500
) -> AgiSessionResult:
    """Play one call against the IVR at host:port until it closes (bounded by deadline seconds)."""
    reader, writer = await asyncio.open_connection(host, port)
    replies: list[list[str]] = []
    closed = False
    try:
        writer.write(encode_environment(channel.env))
        await writer.drain()
        async with asyncio.timeout(deadline):
            for _ in range(max_commands):
                raw = await reader.readline()
                if not raw:
                    closed = True
                    break
                lines = channel.answer(raw.decode().rstrip("\n"))
                replies.append(lines)
                writer.write("".join(f"{line}\n" for line in lines).encode())
                await writer.drain()
    finally:
        writer.close()
    errors = [c for c, r in zip(channel.commands, replies, strict=False) if r[-1][:3] in ("510", "520")]
    return AgiSessionResult(channel.commands, replies, channel.variables, channel.dead, closed, errors)
