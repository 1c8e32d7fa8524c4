"""The AMI session as a real Asterisk 22 runs it, checked against the recorded s09a/s09b traces."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable

from pbxsim.ami_server import AmiServer
from tests.pbxsim.amiclient import (
    BANNER,
    FIXTURES,
    RawAmiClient,
    header,
    keys,
    load_trace,
    without_action_id,
)
from tests.pbxsim.conftest import MakeServer

Connect = Callable[[AmiServer], Awaitable[RawAmiClient]]


def _trace_reply(scenario: str, action_id_suffix: str) -> list[tuple[str, str]]:
    messages = load_trace(scenario)
    return next(m for m in messages if (header(m, "ActionID") or "").endswith(action_id_suffix))


def test_fixture_banner_is_the_one_the_simulator_sends() -> None:
    assert (FIXTURES / "s09b_bad_secret.ami.raw").read_bytes().startswith(BANNER)


async def test_given_connection_then_banner_line_first(server: AmiServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        assert await asyncio.wait_for(reader.readexactly(len(BANNER)), 2) == BANNER
    finally:
        writer.close()


async def test_given_bad_secret_then_replies_like_s09b_after_delay_and_closes(
    make_server: MakeServer, connect: Connect
) -> None:
    server = await make_server(login_fail_delay=0.3)
    client = await connect(server)
    await client.send(("Action", "CoreShowChannels"), ("ActionID", "a1"))
    denied = await client.read()
    started = time.monotonic()
    await client.send(
        ("Action", "Login"), ("ActionID", "a2"), ("Username", "crm"), ("Secret", "wrong-secret")
    )
    failed = await client.read()
    elapsed = time.monotonic() - started

    assert [without_action_id(denied), without_action_id(failed)] == [
        without_action_id(m) for m in load_trace("s09b_bad_secret")
    ]
    assert header(denied, "ActionID") == "a1" and header(failed, "ActionID") == "a2"
    assert elapsed >= 0.25
    assert await client.at_eof()


async def test_given_good_login_then_accepted_fullybooted_and_successfulauth(
    server: AmiServer, connect: Connect
) -> None:
    client = await connect(server)
    accepted, booted, auth = await client.login()
    trace = load_trace("s09a_action_errors")

    assert without_action_id(accepted) == without_action_id(trace[0])
    assert keys(booted) == keys(trace[1])
    assert header(booted, "Status") == "Fully Booted"
    assert keys(auth) == keys(trace[2])
    assert header(auth, "AccountID") == "crm"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", header(auth, "EventTV") or "")


async def test_given_ping_then_pong_with_timestamp_as_asterisk(server: AmiServer, connect: Connect) -> None:
    client = await connect(server)
    await client.login()
    await client.send(("Action", "Ping"), ("ActionID", "p-1"))
    pong = await client.read()

    assert keys(pong) == keys(_trace_reply("s09a_action_errors", "-026"))
    assert pong[:3] == [("Response", "Success"), ("ActionID", "p-1"), ("Ping", "Pong")]
    assert re.fullmatch(r"\d+\.\d{6}", header(pong, "Timestamp") or "")


async def test_given_logoff_then_goodbye_and_connection_closed(server: AmiServer, connect: Connect) -> None:
    client = await connect(server)
    await client.login()
    await client.send(("Action", "Logoff"), ("ActionID", "bye"))
    goodbye = await client.read()

    assert without_action_id(goodbye) == without_action_id(_trace_reply("s09a_action_errors", "-027"))
    assert await client.at_eof()


async def test_given_unknown_or_missing_action_then_errors_worded_as_s09a(
    server: AmiServer, connect: Connect
) -> None:
    client = await connect(server)
    await client.login()
    await client.send(("Action", "PauseMixMonitor"), ("ActionID", "u1"), ("Channel", "Local/x@y-00000000;2"))
    unknown = await client.read()
    await client.send(("ActionID", "u2"), ("Foo", "bar"))
    missing = await client.read()

    assert without_action_id(unknown) == without_action_id(_trace_reply("s09a_action_errors", "-022"))
    assert without_action_id(missing) == without_action_id(_trace_reply("s09a_action_errors", "-noaction"))


async def test_given_action_ids_then_each_reply_echoes_its_own_and_none_without(
    server: AmiServer, connect: Connect
) -> None:
    client = await connect(server)
    await client.login()
    await client.send(("Action", "Ping"), ("ActionID", "x 1 ä"))
    await client.send(("Action", "NoSuchThing"), ("ActionID", "x-2"))
    await client.send(("Action", "Ping"))
    replies = [await client.read() for _ in range(3)]

    assert [header(r, "ActionID") for r in replies] == ["x 1 ä", "x-2", None]
    assert replies[2][0] == ("Response", "Success")


async def test_given_actions_then_server_records_them_for_assertions(
    server: AmiServer, connect: Connect
) -> None:
    client = await connect(server)
    await client.login()
    await client.fence()

    assert [a.get("Action") for a in server.received_actions] == ["Login", "Ping"]
    assert server.received_actions[0]["Username"] == "crm"


async def test_given_drop_all_then_clients_see_eof_and_can_reconnect(
    server: AmiServer, connect: Connect
) -> None:
    first, second = await connect(server), await connect(server)
    await first.login()
    assert server.connections == 2

    await server.drop_all()

    assert server.connections == 0
    assert await first.at_eof() and await second.at_eof()
    again = await connect(server)
    assert (await again.login())[0][0] == ("Response", "Success")


async def test_given_stop_then_sessions_closed_and_port_refused(
    make_server: MakeServer, connect: Connect
) -> None:
    server = await make_server()
    client = await connect(server)
    await client.login()
    port = server.port

    await asyncio.wait_for(server.stop(), 5)

    assert await client.at_eof()
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return
    writer.close()
    raise AssertionError("server still accepting after stop()")
