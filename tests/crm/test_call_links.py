"""Requests, callbacks and notes name their call the same way (crm_core.call_links), on each database:
by (pbx, call id) as the pop-up knows it or by the record's id; a call that is not there is refused
naming the field, and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crm_core.contacts.timeline import Timeline
from crm_core.domain_errors import Invalid
from crm_core.models import CallRecord
from tests.crm.support import Crm


async def _call(crm: Crm, call_id: str = "1700000000.7") -> int:
    async with crm.db.write() as s:
        record = CallRecord(pbx="main", call_id=call_id, started_at=datetime(2026, 3, 2, tzinfo=UTC))
        s.add(record)
        await s.flush()
        return record.id


async def test_given_a_call_named_by_pbx_and_call_id_then_request_callback_and_note_link_its_record(
    crm: Crm,
) -> None:
    record_id = await _call(crm)
    cid = await crm.customers.create("Tim", ["13800138300"])
    call = ("main", "1700000000.7")
    request = await crm.tickets.create(crm.agent, cid, "Broken", call=call)
    callback = await crm.callbacks.create(crm.agent, "13800138300", customer_id=cid, call=call)
    note = await crm.profiles.add_note(cid, "called about the router", crm.agent, call=call)
    by_id = await crm.profiles.add_note(cid, "again", crm.agent, call_record_id=record_id)
    assert {request.call_record_id, callback.call_record_id, note.call_record_id, by_id.call_record_id} == {
        record_id
    }
    assert (await crm.callbacks.get(callback.id)).call_record_id == record_id


@pytest.mark.parametrize(
    ("link", "field"),
    [
        ({"call": ("main", "no-such-call")}, "call_id"),
        ({"call": ("elsewhere", "1700000000.7")}, "call_id"),
        ({"call_record_id": 999999}, "call_record_id"),
        ({"call": ("main", "1700000000.7"), "call_record_id": 1}, "call_record_id"),  # both: could differ
    ],
)
async def test_given_a_call_that_is_not_there_then_invalid_names_the_field_and_nothing_is_made(
    crm: Crm, link: dict[str, Any], field: str
) -> None:
    await _call(crm)
    cid = await crm.customers.create("Tim", ["13800138301"])
    for make in (
        lambda: crm.callbacks.create(crm.agent, "13800138301", customer_id=cid, **link),
        lambda: crm.profiles.add_note(cid, "x", crm.agent, **link),
        lambda: crm.tickets.create(crm.agent, cid, "Broken", **link),
    ):
        with pytest.raises(Invalid) as refused:
            await make()
        assert refused.value.field == field
    assert await Timeline(crm.db).for_customer(cid) == []
