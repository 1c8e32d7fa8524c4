"""The recorded clients' actions replayed against the simulator: every reply must have the recorded
shape (header names in order) and the recorded words (Response, Message, EventList, ListItems)."""

from __future__ import annotations

import pytest

from pbxsim.ami_server import AmiServer
from tests.pbxsim.amiclient import Msg, header, keys, load_trace
from tests.pbxsim.conftest import TRACE_CHANNELVARS, MakeServer
from tests.pbxsim.sim import cti, load_sent, names, recording, support_pbx

REPLAYED = {
    "Hangup", "Redirect", "BlindTransfer", "Originate", "QueueAdd", "QueueRemove", "QueuePause",
    "QueuePenalty", "QueueStatus", "QueueSummary", "Status", "CoreShowChannels", "MixMonitor",
    "StopMixMonitor", "PauseMixMonitor", "Ping",
}  # fmt: skip
WORDS = ("Response", "Message", "EventList", "ListItems", "Event", "Ping", "Queue", "Name", "Location")


async def _replay(server: AmiServer, scenario: str) -> list[tuple[Msg, list[Msg], list[Msg]]]:
    """(action, recorded replies, simulator replies) for each replayed action, plus live events."""
    trace = load_trace(scenario)
    done = []
    async with recording(server) as rec:
        for action in load_sent(scenario):
            if header(action, "Action") not in REPLAYED:
                continue
            action_id = header(action, "ActionID")
            recorded = [m for m in trace if header(m, "ActionID") == action_id]
            ours = await rec.action(*action, replies=len(recorded))
            done.append((action, recorded, ours))
        done.append(([], cti(trace), cti(rec.messages)))
    return done


def _members_sorted(messages: list[Msg]) -> list[Msg]:
    """Asterisk lists queue members in hash-table order: compare them sorted by Location."""
    members = sorted(
        (m for m in messages if header(m, "Event") == "QueueMember"),
        key=lambda m: header(m, "Location") or "",
    )
    slots = iter(members)
    return [next(slots) if header(m, "Event") == "QueueMember" else m for m in messages]


def _assert_same(recorded: list[Msg], ours: list[Msg], words: tuple[str, ...] = WORDS) -> None:
    recorded, ours = _members_sorted(recorded), _members_sorted(ours)
    assert names(ours) == names(recorded)
    for mine, theirs in zip(ours, recorded, strict=True):
        assert keys(mine) == keys(theirs), header(theirs, "Event") or header(theirs, "Message")
        for word in words:
            assert header(mine, word) == header(theirs, word), (word, theirs)


@pytest.mark.parametrize("scenario", ["s00_connect_and_lists", "s09a_action_errors", "s07_agent_login_pause"])
async def test_given_recorded_actions_when_replayed_then_replies_match_the_trace(
    make_server: MakeServer, scenario: str
) -> None:
    server = await make_server(channelvars=TRACE_CHANNELVARS)
    support_pbx(server)
    replayed = await _replay(server, scenario)

    assert len(replayed) > 5
    for action, recorded, ours in replayed[:-1]:
        assert recorded, action
        _assert_same(recorded, ours)


async def test_given_s07_lifecycle_then_queue_member_events_match_in_order_and_fields(
    make_server: MakeServer,
) -> None:
    server = await make_server(channelvars=TRACE_CHANNELVARS)
    support_pbx(server)
    *_, (_, recorded, ours) = await _replay(server, "s07_agent_login_pause")

    member_events = {"QueueMemberAdded", "QueueMemberPause", "QueueMemberPenalty", "QueueMemberRemoved"}
    recorded = [m for m in recorded if header(m, "Event") in member_events]
    _assert_same(
        recorded,
        [m for m in ours if header(m, "Event") in member_events],
        ("Event", "Queue", "MemberName", "Interface", "Membership", "Penalty", "Paused", "PausedReason"),
    )
    assert [header(m, "PausedReason") for m in recorded if header(m, "Event") == "QueueMemberPause"] == [
        "Lunch", "Back from lunch", "Coaching", "",
    ]  # fmt: skip


async def test_given_duplicate_login_then_error_is_asterisks_already_there(make_server: MakeServer) -> None:
    server = await make_server()
    support_pbx(server)
    async with recording(server) as rec:
        login = [("Queue", "support"), ("Interface", "Local/1003@agents/n"), ("MemberName", "Agent 1003")]
        first = await rec.action(("Action", "QueueAdd"), ("ActionID", "a1"), *login)
        second = await rec.action(("Action", "QueueAdd"), ("ActionID", "a2"), *login)
        added = await rec.event("QueueMemberAdded", Interface="Local/1003@agents/n")

    assert header(first[0], "Message") == "Added interface to queue"
    assert second[0] == [
        ("Response", "Error"),
        ("ActionID", "a2"),
        ("Message", "Unable to add interface: Already there"),
    ]
    assert header(added, "Membership") == "dynamic" and header(added, "MemberName") == "Agent 1003"
