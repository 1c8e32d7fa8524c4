"""Progressive dialing in the simulator: the customer's phone plays what the test set (pbx.outbound).

Unanswered: DialEnd with the status, both Local halves hung up with the cause, then
OriginateResponse Failure with Asterisk's Reason (3 rang out, 5 busy, 8 congestion; 0 and no
channel at all when unreachable). Answered: Reason 4, and only then is the agent's phone dialled.
"""

from __future__ import annotations

import pytest

from pbxsim.ami_server import AmiServer
from tests.pbxsim.amiclient import header
from tests.pbxsim.sim import names, recording, support_pbx

CUSTOMER = "+8613800000001"


def _originate(action_id: str) -> tuple[tuple[str, str], ...]:
    return (
        ("Action", "Originate"), ("ActionID", action_id), ("Channel", f"Local/{CUSTOMER}@pstn"),
        ("Context", "campaign"), ("Exten", "s"), ("Priority", "1"), ("Timeout", "5000"), ("Async", "true"),
        ("ChannelId", "pd-1"), ("OtherChannelId", "pd-1-2"),
        ("Variable", "CAMPAIGN_AGENT=Local/1001@agents/n"),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("behaviour", "status", "cause", "reason"),
    [
        ("no_answer", "NOANSWER", "19", "3"),
        ("busy", "BUSY", "17", "5"),
        ("congestion", "CONGESTION", "34", "8"),
    ],
)
async def test_an_unanswered_customer_ends_the_originate_and_never_dials_the_agent(
    server: AmiServer, behaviour: str, status: str, cause: str, reason: str
) -> None:
    pbx = support_pbx(server)
    pbx.outbound[CUSTOMER] = behaviour
    async with recording(server) as rec:
        await rec.action(*_originate("o1"))
        response = await rec.event("OriginateResponse")
    assert (header(response, "Response"), header(response, "Reason")) == ("Failure", reason)
    dials = [m for m in rec.messages if header(m, "Event") in ("DialBegin", "DialEnd")]
    assert [header(m, "DialStatus") for m in dials] == [None, status]
    assert {header(m, "Cause") for m in rec.messages if header(m, "Event") == "Hangup"} == {cause}
    assert not any("agents" in (header(m, "Channel") or "") for m in rec.messages)


async def test_an_unreachable_customer_fails_with_reason_0_and_no_channel(server: AmiServer) -> None:
    pbx = support_pbx(server)
    pbx.outbound[CUSTOMER] = "unreachable"
    async with recording(server) as rec:
        await rec.action(*_originate("o2"))
        response = await rec.event("OriginateResponse")
    assert (header(response, "Reason"), header(response, "Uniqueid")) == ("0", "<unknown>")
    assert "Newchannel" not in names(rec.messages)


async def test_an_answered_customer_is_connected_to_the_campaigns_agent(server: AmiServer) -> None:
    support_pbx(server)
    async with recording(server) as rec:
        await rec.action(*_originate("o3"))
        response = await rec.event("OriginateResponse")
        agent_dial = await rec.event("DialEnd", DialStatus="ANSWER", count=2)
    assert (header(response, "Response"), header(response, "Reason")) == ("Success", "4")
    assert header(agent_dial, "Uniqueid") == "pd-1"  # the customer's channel dials the agent
    assert (header(agent_dial, "DestChannel") or "").startswith("Local/1001@agents-")
    assert header(agent_dial, "DestLinkedid") == "pd-1"
