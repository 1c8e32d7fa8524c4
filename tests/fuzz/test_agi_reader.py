"""The FastAGI reader (ivr.agi) against any cut of its byte stream, and the IVR server against any bytes.

Asterisk's environment block and command replies reach us in reads of any size. Whatever the cuts
(inside a line, a CRLF, a UTF-8 character), the reader must see the same environment and replies;
arbitrary bytes must end in AgiHangup / AgiProtocolError, never another exception or a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_core.db import Database
from ivr.agi import AgiChannel, AgiHangup, AgiProtocolError, read_env
from ivr.server import LINE_LIMIT
from pbxsim.fastagi_client import environment
from tests.fuzz.strategies import TEXT, chunks
from tests.ivr.helpers import running_ivr

FUZZ = settings(database=None, max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
BOUND = 3.0  # seconds any one conversation may take, whatever the bytes


def env_block(callerid: str, name: str) -> bytes:
    env = environment("main", "1700000000.99", callerid, 4573) | {"agi_calleridname": name}
    return "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n"


REPLIES = st.lists(
    st.one_of(
        st.builds(lambda t: f"200 result=1 ({t})\n".encode(), TEXT),
        st.sampled_from([b"200 result=0\n", b"200 result=-1\n", b"511 Command Not Permitted\n", b"HANGUP\n"]),
        st.just(b"520-Invalid command syntax.  Proper usage follows:\nUsage: x\n520 End of proper usage.\n"),
        st.builds(lambda t: f"100 result=0 Trying...\n200 result=1 ({t})\r\n".encode(), TEXT),
    ),
    max_size=5,
)
CONVERSATION = st.builds(
    lambda env, replies: env + b"".join(replies), st.builds(env_block, TEXT, TEXT), REPLIES
)
ANY_BYTES = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda c, junk: c + junk, CONVERSATION, st.binary(max_size=200)),
    st.builds(
        lambda n: b"agi_network: yes\nagi_x: " + b"a" * n + b"\n\n", st.integers(LINE_LIMIT - 40, 5000)
    ),
)


async def converse(reads: list[bytes]) -> list[object]:
    """Read the environment and answer up to 6 NOOPs from `reads`, fed one read per loop turn."""
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    ours, theirs = socket.socketpair()
    _, writer = await asyncio.open_connection(sock=ours)

    async def feed() -> None:
        for read in reads:
            reader.feed_data(read)
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    seen: list[object] = []
    try:
        async with asyncio.timeout(BOUND):
            seen.append(await read_env(reader, BOUND))
            channel = AgiChannel(reader, writer, BOUND)
            for _ in range(6):
                seen.append(await channel.command("NOOP"))
    except (AgiHangup, AgiProtocolError) as exc:
        seen.append(type(exc).__name__)
    finally:
        await feeder
        writer.close()
        theirs.close()
    return seen


def outcome(reads: list[bytes]) -> list[object]:
    return asyncio.run(converse(reads))


@FUZZ
@given(st.data())
def test_any_cut_of_a_conversation_gives_the_same_environment_and_replies(data: st.DataObject) -> None:
    stream = data.draw(CONVERSATION)
    whole = outcome([stream])
    assert isinstance(whole[0], dict) and whole[0]["agi_network_script"] == "main"
    assert outcome(data.draw(chunks(stream))) == whole


@FUZZ
@given(st.data())
def test_any_bytes_cut_anywhere_end_in_a_hangup_or_protocol_error(data: st.DataObject) -> None:
    stream = data.draw(ANY_BYTES)
    whole = outcome([stream])  # TimeoutError or any other exception fails the example
    assert whole[-1] in ("AgiHangup", "AgiProtocolError")
    assert outcome(data.draw(chunks(stream))) == whole


async def send(port: int, reads: list[bytes]) -> None:
    """Play a peer sending `reads`, then half-closing: the server must hang up on us within BOUND."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        with contextlib.suppress(ConnectionError):
            for read in reads:
                writer.write(read)
                await writer.drain()
            writer.write_eof()
        async with asyncio.timeout(BOUND):
            while await reader.read(65536):
                pass
    finally:
        writer.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_ivr_server_survives_any_bytes_and_keeps_serving(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ivr")
    async with running_ivr(db, env_timeout=1.0, command_timeout=1.0) as ivr:
        loop = asyncio.get_running_loop()

        @settings(FUZZ, max_examples=40)
        @given(st.data())
        def example(data: st.DataObject) -> None:
            stream = data.draw(ANY_BYTES)
            asyncio.run_coroutine_threadsafe(send(ivr.server.port, data.draw(chunks(stream))), loop).result(
                10
            )

        await asyncio.to_thread(example)  # hypothesis drives from a thread; the server runs on this loop
        _, call = await ivr.call(["1", "2"])
        assert call.outcome.startswith("queue:"), "a real caller is still served"
    assert not [r for r in caplog.records if "crashed" in r.getMessage()]
