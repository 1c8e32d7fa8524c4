"""Fault injection for the CRM's link tests, and list actions that describe what is live."""

from __future__ import annotations

import asyncio
import contextlib

from pbxsim.scenarios import BY_STRATEGY, QueueCall, play
from tests.pbxsim.amiclient import RawAmiClient, header
from tests.pbxsim.conftest import MakeServer
from tests.pbxsim.sim import recording, support_pbx


async def test_given_stall_then_nothing_answered_until_resume(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server)
    async with recording(server) as rec:
        server.stall()
        await rec.client.send(("Action", "Ping"), ("ActionID", "p1"))
        pbx.emit("UserEvent", "user,all", pbx.now(), [("UserEvent", "x")])
        with contextlib.suppress(TimeoutError):
            await rec.wait_for(lambda m: True, count=len(rec.messages) + 1, within=0.3)
        silent = [header(m, "ActionID") or header(m, "Event") for m in rec.messages[3:]]
        server.resume()
        pong = await rec.wait_for(lambda m: header(m, "ActionID") == "p1")
        await rec.event("UserEvent")

    assert silent == []
    assert header(pong, "Ping") == "Pong"
    assert server.connections == 1


async def test_given_restart_then_shutdown_close_and_new_boot_on_same_port(make_server: MakeServer) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=100)
    port = server.port
    await asyncio.wait_for(play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=1)), 5)
    client = await RawAmiClient.connect(port)
    await client.login()

    await asyncio.wait_for(server.restart(), 5)

    shutdown = await client.read()
    assert shutdown[:4] == [
        ("Event", "Shutdown"),
        ("Privilege", "system,all"),
        ("Shutdown", "Cleanly"),
        ("Restart", "True"),
    ]
    assert await client.at_eof()
    await client.close()
    assert server.port == port and server.boot_count == 1
    async with recording(server) as rec:
        booted = rec.messages[1]
        await asyncio.wait_for(
            play(pbx, QueueCall("5550002", "B", "support", BY_STRATEGY, talk_seconds=1)), 5
        )
        first = await rec.event("Newchannel")
    assert header(booted, "Uptime") == "0"
    assert (header(first, "Uniqueid") or "").endswith(".0")


async def test_given_resend_and_swap_then_duplicates_and_reordering_on_the_wire(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server)
    async with recording(server) as rec:
        for n in ("a", "b"):
            pbx.emit("UserEvent", "user,all", pbx.now(), [("UserEvent", n)])
        server.resend_last(2)
        server.swap_next()
        for n in ("c", "d"):
            pbx.emit("UserEvent", "user,all", pbx.now(), [("UserEvent", n)])
        await rec.event("UserEvent", count=6)

    assert [header(m, "UserEvent") for m in rec.messages if header(m, "Event") == "UserEvent"] == [
        "a", "b", "a", "b", "d", "c",
    ]  # fmt: skip


async def test_given_talking_call_then_lists_describe_live_channels_and_members(
    make_server: MakeServer,
) -> None:
    server = await make_server()
    pbx = support_pbx(server, speed=50)
    async with recording(server) as rec:
        call = asyncio.create_task(
            play(pbx, QueueCall("5550001", "A", "support", BY_STRATEGY, talk_seconds=20))
        )
        connect = await rec.event("AgentConnect")
        shown = await rec.action(("Action", "CoreShowChannels"), ("ActionID", "c"), replies=6)
        status = await rec.action(("Action", "Status"), ("ActionID", "s"), replies=6)
        live = pbx_channels(rec.messages)
        queue = await rec.action(
            ("Action", "QueueStatus"), ("ActionID", "q"), ("Queue", "support"), replies=5
        )
        await rec.action(
            ("Action", "Hangup"), ("ActionID", "h"), ("Channel", header(connect, "Channel") or "")
        )
        await asyncio.wait_for(call, 5)
        after = await rec.action(("Action", "CoreShowChannels"), ("ActionID", "c2"), replies=2)

    items = shown[1:-1]
    assert sorted(header(m, "Channel") or "" for m in items) == sorted(live)
    bridged = {header(m, "Channel") for m in items if header(m, "BridgeId")}
    assert bridged == {header(connect, "Channel"), header(connect, "DestChannel")}
    assert header(shown[-1], "ListItems") == "4" and header(status[-1], "Items") == "4"
    members = {
        header(m, "Location"): header(m, "Status") for m in queue if header(m, "Event") == "QueueMember"
    }
    assert members == {"Local/1001@agents/n": "2", "Local/1002@agents/n": "1"}
    assert header(after[-1], "ListItems") == "0"


def pbx_channels(messages: list[list[tuple[str, str]]]) -> list[str]:
    """Channels created and not yet hung up, from the events a client saw."""
    live: list[str] = []
    for m in messages:
        if header(m, "Event") == "Newchannel":
            live.append(header(m, "Channel") or "")
        elif header(m, "Event") == "Hangup" and header(m, "Channel") in live:
            live.remove(header(m, "Channel") or "")
    return live
