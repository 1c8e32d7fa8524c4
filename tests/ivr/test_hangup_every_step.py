"""The caller hangs up before each command of a flow, and at each prompt: the flow ends
cleanly (no command after the hang-up but what Asterisk still allows) and the CRM holds
either the whole result of a step or nothing of it."""

from __future__ import annotations

from sqlalchemy import func, select

from crm_core.callbacks.models import Callback
from crm_core.db import Database
from pbxsim.agi_channel import HANGUP
from tests.ivr.helpers import running_ivr
from tests.ivr.test_flow_branches import _customer, _resolved_request_on_call, record_of


async def test_hangup_before_every_command_of_the_queue_path(db: Database) -> None:
    async with running_ivr(db) as ivr:
        await _customer(ivr, tags=["vip"])
        full, first = await ivr.call(["1", "1"])
        assert await record_of(db, first.key.call_id) is not None
        last_set = max(i for i, c in enumerate(full.commands, 1) if c.startswith("SET VARIABLE"))
        for n in range(1, len(full.commands) + 1):
            result, call = await ivr.call(["1", "1"], hangup_before=n)
            assert call.outcome.startswith("caller-hung-up"), (n, call.outcome)
            assert len(result.commands) == n  # nothing sent after the dead channel answered 511
            record = await record_of(db, call.key.call_id)
            assert (record is not None) == (n > last_set), n  # stored only once fully handed over
            if record is not None:
                assert (record.language, record.route_reason) == ("zh", "menu:sales,vip")


async def test_hangup_during_each_prompt_of_the_callback_path(db: Database) -> None:
    async with running_ivr(db) as ivr:
        keys = ["1", "9"]
        for k in range(len(keys)):
            _, call = await ivr.call([*keys[:k], HANGUP])
            assert call.outcome.startswith("caller-hung-up"), call.outcome
        async with db.read() as s:
            assert await s.scalar(select(func.count()).select_from(Callback)) == 0
        full, _ = await ivr.call(keys)
        for n in range(1, len(full.commands) + 1):
            await ivr.call(keys, hangup_before=n)
        async with db.read() as s:
            rows = list(await s.scalars(select(Callback)))
    # the full call made one; a hang-up after the choice was keyed still keeps it, whole
    assert all((r.source, r.queue, r.status) == ("ivr", "support", "pending") for r in rows)
    assert len(rows) == 1 + sum(
        1
        for n in range(1, len(full.commands) + 1)
        if n > full.commands.index("GET DATA crm/main-menu 5000 1") + 1
    )


async def test_hangup_at_every_step_of_the_survey(db: Database) -> None:
    async with running_ivr(db) as ivr:
        numbers = {}
        for n in range(1, 6):
            numbers[n] = await _resolved_request_on_call(ivr, f"sv-{n}")
            _, call = await ivr.call(["4"], script="survey", linkedid=f"sv-{n}", hangup_before=n)
            assert call.outcome.startswith("caller-hung-up") or n > 4
        for n, number in numbers.items():
            record = await record_of(db, f"sv-{n}")
            views, _ = await ivr.services.tickets.list(q=number)
            assert record is not None
            stored = record.survey_score == 4
            assert stored == (views[0].status == "follow_up"), n  # both or neither
            assert stored == (n >= 4), (
                n
            )  # ANSWER, linkedid, customer id, GET DATA: the score counts once keyed
