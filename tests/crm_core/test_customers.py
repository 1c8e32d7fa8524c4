"""Caller identification: one customer whatever way the number is written; unknown callers get a new card."""

from __future__ import annotations

import pytest

from crm_core.calls import CallRecordService
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.events import CallEnded, CallQueued


@pytest.mark.parametrize("written", ["+86 10 1234 5678", "010-12345678", "861012345678", "0086 10 1234 5678"])
async def test_given_number_stored_one_way_when_looked_up_another_then_same_customer(
    db: Database, written: str
) -> None:
    customers = CustomerService(db, "CN")
    wang = await customers.create("王小明", ["010-12345678"], company="北京示例科技")
    await customers.create("Someone Else", ["+86 21 8765 4321"])
    card = await customers.card_for_number(written)
    assert card.known and card.id == wang
    assert card.name == "王小明" and card.company == "北京示例科技"
    assert [p.e164 for p in card.phones] == ["+861012345678"]


async def test_given_unknown_number_then_new_customer_card_with_the_number(db: Database) -> None:
    customers = CustomerService(db, "CN")
    await customers.create("Known", ["13800000001"])
    card = await customers.card_for_number("138 1234 5678")
    assert not card.known
    assert card.number == "+8613812345678"
    assert card.number_display == "138 1234 5678"
    assert card.to_json()["known"] is False


async def test_card_lists_all_numbers_and_only_the_last_five_calls_newest_first(db: Database) -> None:
    customers = CustomerService(db, "CN")
    calls = CallRecordService(db, "CN")
    cid = await customers.create("Alice Example", ["+1 415 555 0100", "13912345678"], company="Example Inc")
    for i in range(7):
        at = 1_790_000_000.0 + i * 100
        await calls.handle(CallQueued("pbx", f"c{i}", "+14155550100", "Alice", "support", 1, at))
        await calls.handle(
            CallEnded(
                "pbx",
                f"c{i}",
                "abandoned",
                "+14155550100",
                "Alice",
                "support",
                None,
                at + 10,
                at,
                None,
                10.0,
                0.0,
                1,
            )
        )
    card = await customers.card(cid, number="+14155550100")
    assert [p.display for p in card.phones] == ["+1 415-555-0100", "139 1234 5678"]
    assert len(card.recent_calls) == 5
    starts = [c.started_at.timestamp() for c in card.recent_calls]
    assert starts == sorted(starts, reverse=True) and starts[0] == 1_790_000_600.0


async def test_given_shared_company_number_then_card_counts_other_matches(
    db: Database,
) -> None:
    customers = CustomerService(db, "CN")
    await customers.create("张伟", ["010-88886666"], company="示例集团")
    await customers.create("李娜", ["010-88886666"], company="示例集团")
    card = await customers.card_for_number("+861088886666")
    assert card.name == "张伟" and card.other_matches == 1
