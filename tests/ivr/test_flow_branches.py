"""Every branch of ivr/example_flow.toml, played by the Asterisk simulator over a real socket."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crm_core.callbacks.models import Callback
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM
from crm_core.models import CallRecord
from ivr.numbers import customer_number, request_digits
from pbxsim.agi_channel import TIMEOUT
from tests.ivr.helpers import CLOSED_TIME, HOLIDAY_TIME, OPEN_TIME, Ivr, running_ivr

CALLER = "13800138000"


async def record_of(db: Database, call_id: str) -> CallRecord | None:
    async with db.read() as s:
        return await s.scalar(select(CallRecord).where(CallRecord.call_id == call_id))


async def callbacks(db: Database) -> list[Callback]:
    async with db.read() as s:
        return list(await s.scalars(select(Callback)))


def streamed(commands: list[str], prompt: str) -> int:
    return sum(1 for c in commands if c.startswith(f"STREAM FILE {prompt} "))


async def test_given_chinese_and_sales_then_queue_sales_in_zh(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1", "1"])
    assert call.outcome == "queue:sales"
    v = result.variables
    assert (v["CHANNEL(language)"], v["CRM_LANG"], v["CRM_QUEUE"]) == ("zh", "zh", "sales")
    assert (v["CRM_PRIORITY"], v["CRM_REASON"], v["CRM_VIP"], v["CRM_PREFERRED"]) == (
        "0",
        "menu:sales",
        "0",
        "",
    )
    record = await record_of(db, call.key.call_id)
    assert record is not None and (record.language, record.route_reason) == ("zh", "menu:sales")


async def test_given_english_and_support_then_queue_support_in_en(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["2", "2"])
    assert call.outcome == "queue:support"
    assert (result.variables["CRM_LANG"], result.variables["CRM_QUEUE"]) == ("en", "support")


async def test_given_no_language_choice_then_retries_then_chinese(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call([TIMEOUT, "7", TIMEOUT, "1"])
    assert streamed(result.commands, "crm/invalid") == 2  # retries = 2: three asks, two "invalid"
    assert call.steps[:3] == ["language", "lang_zh", "main_menu"]
    assert call.outcome == "queue:sales" and result.variables["CRM_LANG"] == "zh"


async def test_given_invalid_main_menu_keys_then_support_after_retries(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1", "7", "8", "0"])
    assert call.outcome == "queue:support"
    assert streamed(result.commands, "crm/invalid") == 2


async def _customer(ivr: Ivr, number: str = CALLER, **extra: object) -> int:
    return await ivr.services.customers.create("王芳", [number], **extra)


async def test_given_request_number_then_status_read_back(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _customer(ivr)  # the caller's own request
        sr = await ivr.services.tickets.create(SYSTEM, cid, "router broken")
        result, call = await ivr.call(["1", "3", request_digits(sr.number), "2"])
    digits = request_digits(sr.number)
    assert f'SAY DIGITS {digits} ""' in result.commands
    assert streamed(result.commands, "crm/status-registered") == 1
    assert any(c.startswith("SAY DATETIME ") for c in result.commands)
    assert call.steps == ["language", "lang_zh", "main_menu", "status", "main_menu", "support"]


async def test_given_unknown_request_number_then_not_found_and_back_to_menu(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1", "3", "2026999999", "12", "1"])
    assert streamed(result.commands, "crm/not-found") == 2  # each wrong number is told
    assert not any(c.startswith("SAY DIGITS") for c in result.commands)
    assert call.steps[-2:] == ["main_menu", "sales"]


async def test_given_keyed_customer_number_confirmed_then_identified(db: Database) -> None:
    async with running_ivr(db) as ivr:
        await _customer(ivr, "13900000002")  # a shared phone: the calling number alone is ambiguous
        cid = await _customer(ivr, "13900000002")
        keyed = customer_number(cid, 8)
        wrong = keyed[:-1] + str((int(keyed[-1]) + 1) % 10)
        result, call = await ivr.call(["1", "4", wrong, keyed, "1"], number="13900000002")
    assert streamed(result.commands, "crm/invalid") == 1  # the bad check digit
    assert f'SAY DIGITS {keyed} ""' in result.commands  # read back before confirming
    assert call.outcome == "queue:support" and call.customer_id == cid
    assert result.variables["CRM_CUSTOMER_ID"] == str(cid) and "CRM_CLAIMED_ID" not in result.variables


async def test_given_keyed_number_not_confirmed_then_unidentified(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _customer(ivr, "13900000003")
        keyed = customer_number(cid, 8)
        result, call = await ivr.call(["1", "4", keyed, "2", keyed, "3"], number="13700000000")
    assert call.customer_id is None and result.variables["CRM_CUSTOMER_ID"] == ""
    assert call.outcome == "queue:support"


async def test_given_vip_with_past_agent_then_high_priority_and_preferred_agent(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _customer(ivr, tags=["vip"])
        async with db.write() as s:
            s.add(
                CallRecord(
                    pbx="main",
                    call_id="old-1",
                    caller_number="+8613800138000",
                    customer_id=cid,
                    started_at=OPEN_TIME - timedelta(days=2),
                    answered_at=OPEN_TIME - timedelta(days=2),
                    agent_interface="Local/1001@agents/n",
                    status="ended",
                    notes="",
                )
            )
        result, call = await ivr.call(["1", "1"])
    v = result.variables
    assert (v["CRM_PRIORITY"], v["CRM_VIP"], v["CRM_REASON"]) == ("10", "1", "menu:sales,vip")
    assert (v["CRM_PREFERRED"], v["CRM_PREFERRED_TIMEOUT"]) == ("Local/1001@agents/n", "15")
    assert v["CRM_CUSTOMER_ID"] == str(cid) and call.customer_id == cid


async def test_given_open_complaint_then_high_priority(db: Database) -> None:
    async with running_ivr(db) as ivr:
        cid = await _customer(ivr)
        await ivr.services.tickets.create(SYSTEM, cid, "late refund", type="complaint")
        result, _ = await ivr.call(["2", "2"])
    assert (result.variables["CRM_PRIORITY"], result.variables["CRM_REASON"]) == (
        "10",
        "menu:support,open-complaint",
    )


async def test_given_callback_choice_then_callback_at_front_and_confirmed(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1", "9"])
    rows = await callbacks(db)
    assert [(r.source, r.queue, r.number, r.status) for r in rows] == [
        ("ivr", "support", "+8613800138000", "pending")
    ]
    assert rows[0].next_attempt_at <= OPEN_TIME  # due now: ahead of anything scheduled later
    assert call.outcome == "callback" and streamed(result.commands, "crm/callback-confirmed") == 1
    assert result.commands[-1] == "HANGUP" and result.variables["CRM_CALLBACK"] == "1"


async def test_given_do_not_call_number_then_sorry_and_support_queue(db: Database) -> None:
    async with running_ivr(db) as ivr:
        await ivr.services.callbacks.set_do_not_call(CALLER, SYSTEM)
        result, call = await ivr.call(["1", "9"])
    assert await callbacks(db) == []
    assert streamed(result.commands, "crm/callback-not-possible") == 1 and call.outcome == "queue:support"


async def test_given_after_hours_and_9_then_callback(db: Database) -> None:
    async with running_ivr(db, now=CLOSED_TIME) as ivr:
        _, call = await ivr.call(["9"])
    assert call.steps == ["closed", "callback_closed"] and call.outcome == "callback"
    assert [r.source for r in await callbacks(db)] == ["ivr"]


async def test_given_holiday_and_no_key_then_goodbye_and_hangup(db: Database) -> None:
    async with running_ivr(db, now=HOLIDAY_TIME) as ivr:
        result, call = await ivr.call([TIMEOUT])
    assert call.steps == ["closed", "goodbye"] and call.outcome == "hangup"
    assert streamed(result.commands, "crm/goodbye") == 1 and result.commands[-1] == "HANGUP"
    assert "CRM_QUEUE" not in result.variables


async def _resolved_request_on_call(ivr: Ivr, call_id: str) -> str:
    cid = await _customer(ivr)
    async with ivr.services.db.write() as s:
        s.add(
            CallRecord(
                pbx="main",
                call_id=call_id,
                caller_number="+8613800138000",
                customer_id=cid,
                started_at=OPEN_TIME,
                status="ended",
                notes="",
            )
        )
    sr = await ivr.services.tickets.create(SYSTEM, cid, "no signal", call=("main", call_id))
    for action, data in (("dispatch", {"team": "l1"}), ("start", {}), ("resolve", {"resolution": "reset"})):
        await ivr.services.tickets.transition(sr.id, action, SYSTEM, **data)
    return sr.number


async def test_given_survey_score_then_on_call_record_and_request_follow_up(db: Database) -> None:
    async with running_ivr(db) as ivr:
        number = await _resolved_request_on_call(ivr, "call-77")
        result, call = await ivr.call(["9", "4"], script="survey", linkedid="call-77")
        views, _ = await ivr.services.tickets.list(q=number)
    record = await record_of(db, "call-77")
    assert record is not None and (record.survey_score, record.survey_at) == (4, OPEN_TIME)
    assert (views[0].status, views[0].satisfaction) == ("follow_up", 4)
    assert call.outcome == "survey" and streamed(result.commands, "crm/thanks") == 1


async def test_given_no_survey_answer_then_nothing_stored(db: Database) -> None:
    async with running_ivr(db) as ivr:
        _, call = await ivr.call([TIMEOUT, "0"], script="survey", linkedid="call-78")
    assert call.outcome == "survey-skipped" and await record_of(db, "call-78") is None


async def test_given_unknown_flow_then_session_closed_without_commands(db: Database) -> None:
    async with running_ivr(db) as ivr:
        result, call = await ivr.call(["1"], script="nosuchflow")
    assert call.outcome == "unknown-flow" and result.commands == [] and result.closed_by_server
