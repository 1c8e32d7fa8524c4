"""A keyed number is no proof of identity: only the calling number makes it one.

Customer numbers are a sequential id plus a check digit and request numbers are printed
on receipts, so anyone can key someone else's. These tests call from a stranger's phone.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor
from crm_core.models import CallRecord
from crm_core.tickets.service import TicketService
from crm_core.tickets.views import TicketView
from ivr.numbers import customer_number, request_digits
from pbxsim.agi_channel import TIMEOUT, AgiChannelModel
from tests.ivr.helpers import OPEN_TIME, Ivr, running_ivr

OWNER, STRANGER = "13900000009", "13700000000"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def _vip_with_past_agent(ivr: Ivr) -> int:
    cid = await ivr.services.customers.create("王芳", [OWNER], tags=["vip"])
    await ivr.services.tickets.create(SYSTEM, cid, "late refund", type="complaint")
    async with ivr.services.db.write() as s:
        s.add(
            CallRecord(
                pbx="main",
                call_id="old-9",
                caller_number="+86" + OWNER,
                customer_id=cid,
                started_at=OPEN_TIME - timedelta(days=2),
                answered_at=OPEN_TIME - timedelta(days=2),
                agent_interface="Local/1001@agents/n",
                status="ended",
                notes="",
            )
        )
    return cid


async def test_given_vip_number_keyed_from_stranger_phone_then_only_a_claim(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _vip_with_past_agent(ivr)
        result, call = await ivr.call(["1", "4", customer_number(cid, 8), "1"], number=STRANGER)
    v = result.variables
    assert (v["CRM_CLAIMED_ID"], v["CRM_CUSTOMER_ID"]) == (str(cid), "")
    assert (v["CRM_PRIORITY"], v["CRM_VIP"], v["CRM_PREFERRED"]) == ("0", "0", "")
    assert v["CRM_REASON"] == "menu:support"
    assert (call.customer_id, call.claimed_id, call.outcome) == (None, cid, "queue:support")


async def test_given_vip_number_keyed_from_own_phone_then_identified_with_priority(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _vip_with_past_agent(ivr)
        await ivr.services.customers.create("王芳之妻", [OWNER])  # shared: the number alone is ambiguous
        result, call = await ivr.call(["1", "4", customer_number(cid, 8), "1"], number=OWNER)
    v = result.variables
    assert v["CRM_CUSTOMER_ID"] == str(cid) and "CRM_CLAIMED_ID" not in v
    assert (v["CRM_PRIORITY"], v["CRM_VIP"], v["CRM_PREFERRED"]) == ("10", "1", "Local/1001@agents/n")
    assert call.customer_id == cid


async def test_given_someone_elses_request_number_then_not_found(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await ivr.services.customers.create("王芳", [OWNER])
        sr = await ivr.services.tickets.create(SYSTEM, cid, "router broken")
        result, call = await ivr.call(["1", "3", request_digits(sr.number), TIMEOUT, "1"], number=STRANGER)
    assert sum(c.startswith("STREAM FILE crm/not-found ") for c in result.commands) == 2
    assert not any(c.startswith(("SAY DIGITS", "STREAM FILE crm/status-")) for c in result.commands)
    assert call.steps[-2:] == ["main_menu", "sales"]


async def test_given_request_keyed_for_identify_from_stranger_then_only_a_claim(db: Database) -> None:
    async with running_ivr(db, flows=_request_identify_flow()) as ivr:
        cid = await _vip_with_past_agent(ivr)
        sr = await ivr.services.tickets.create(SYSTEM, cid, "router broken")
        result, call = await ivr.call([request_digits(sr.number)], number=STRANGER)
    v = result.variables
    assert (v["CRM_CLAIMED_ID"], v["CRM_CUSTOMER_ID"], v["CRM_PRIORITY"]) == (str(cid), "", "0")
    assert call.customer_id is None


def _request_identify_flow() -> dict[str, Any]:
    nodes = {
        "who": {"type": "identify", "kind": "request", "prompt": "crm/enter-request-number", "next": "q"},
        "q": {"type": "queue", "queue": "support"},
    }
    return {"main": {"start": "who", "nodes": nodes}}


async def test_given_arabic_indic_digits_then_not_a_customer_number(db: Database) -> None:
    async with running_ivr(db) as ivr:
        await ivr.services.customers.create("王芳之妻", [OWNER])
        cid = await ivr.services.customers.create("王芳", [OWNER])
        keyed = customer_number(cid, 8)  # int() and isdigit() take these digits; the check digit stays ASCII
        foreign = keyed[:-1].translate(ARABIC_INDIC) + keyed[-1]
        result, call = await ivr.call(["1", "4", foreign, "1", foreign, "1"], number=OWNER)
    assert not any(c.startswith("SAY DIGITS") for c in result.commands)
    assert sum(c.startswith("STREAM FILE crm/invalid ") for c in result.commands) == 2
    assert call.customer_id is None and result.variables["CRM_CUSTOMER_ID"] == ""


class IgnoresMaxDigits(AgiChannelModel):
    """A peer that hands back every key scripted, whatever GET DATA's max digits says."""

    def _keys(self, name: str, args: list[str]) -> str:
        return super()._keys(name, args[:2])


async def test_given_two_keys_at_a_one_key_menu_then_invalid_not_a_crash(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1", "12", "1"], model=IgnoresMaxDigits)
    assert call.outcome == "queue:sales"
    assert sum(c.startswith("STREAM FILE crm/invalid ") for c in result.commands) == 1


async def test_given_12_as_survey_answer_then_invalid_and_asked_again(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(
            ["12", "4"], script="survey", linkedid="call-12", model=IgnoresMaxDigits
        )
    async with db.read() as s:
        score = await s.scalar(select(CallRecord.survey_score).where(CallRecord.call_id == "call-12"))
    assert score == 4 and call.outcome == "survey"
    assert sum(c.startswith("STREAM FILE crm/invalid ") for c in result.commands) == 1


class AgentFollowsUpFirst(TicketService):
    """An agent records the follow-up between the IVR's score commit and its own step."""

    raced = False

    async def transition(self, request_id: int, action: str, actor: Actor, **data: Any) -> TicketView:
        if action == "follow_up" and not self.raced:
            self.raced = True
            await super().transition(request_id, "follow_up", actor, satisfaction=5, comment="by phone")
        return await super().transition(request_id, action, actor, **data)


async def test_given_follow_up_refused_after_score_then_still_thanked(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with running_ivr(db, tickets=AgentFollowsUpFirst) as ivr:
        cid = await ivr.services.customers.create("王芳", [OWNER])
        async with db.write() as s:
            s.add(
                CallRecord(
                    pbx="main",
                    call_id="call-90",
                    caller_number="",
                    customer_id=cid,
                    started_at=OPEN_TIME,
                    status="ended",
                    notes="",
                )
            )
        sr = await ivr.services.tickets.create(SYSTEM, cid, "no signal", call=("main", "call-90"))
        for action, extra in (("dispatch", {"team": "l1"}), ("start", {}), ("resolve", {"resolution": "r"})):
            await TicketService.transition(ivr.services.tickets, sr.id, action, SYSTEM, **extra)  # no race
        result, call = await ivr.call(["4"], script="survey", linkedid="call-90")
        after = await ivr.services.tickets.by_number(sr.number)
    async with db.read() as s:
        score = await s.scalar(select(CallRecord.survey_score).where(CallRecord.call_id == "call-90"))
    assert score == 4 and call.outcome == "survey"
    assert sum(c.startswith("STREAM FILE crm/thanks ") for c in result.commands) == 1
    assert after is not None and (after.status, after.satisfaction) == ("follow_up", 5)
    assert "TransitionNotAllowed" in caplog.text and "Traceback" not in caplog.text


async def test_by_number_is_exact_and_skips_deleted(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await ivr.services.customers.create("王芳", [OWNER])
        sr = await ivr.services.tickets.create(SYSTEM, cid, "router broken")
        found = await ivr.services.tickets.by_number(sr.number)
        partial = await ivr.services.tickets.by_number(sr.number[:-1])
    assert found is not None and found.id == sr.id and partial is None
