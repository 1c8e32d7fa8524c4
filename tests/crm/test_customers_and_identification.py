"""Customers: companies and contacts, lists, ownership, sharing, notes, identification with confidence."""

from __future__ import annotations

import pytest

from crm_core.audit.service import AuditService
from crm_core.contacts.timeline import Timeline
from crm_core.domain_errors import Conflict, Forbidden, Invalid
from crm_core.users import UserService
from tests.crm.support import Crm


async def test_company_with_contacts_emails_tags_segments(crm: Crm) -> None:
    acme = await crm.customers.create("Acme", ["010-88886666"], kind="company", industry="retail")
    li = await crm.customers.create(
        "李雷", ["13800138000"], company_id=acme, emails=["Li@Acme.cn"], tags=["VIP", "vip", "beta"],
        value_segment="gold", region="north",
    )  # fmt: skip
    view = await crm.profiles.get(li)
    assert view.company_id == acme and view.company == "Acme"
    assert view.emails == ["li@acme.cn"] and view.tags == ["vip", "beta"]
    assert (view.value_segment, view.region, view.timezone) == ("gold", "north", "Asia/Shanghai")
    contacts, total = await crm.profiles.list(company_id=acme)
    assert total == 1 and contacts[0].id == li


async def test_contact_must_point_at_a_company(crm: Crm) -> None:
    person = await crm.customers.create("Just a person", ["13800138001"])
    with pytest.raises(Invalid) as err:
        await crm.customers.create("x", ["13800138002"], company_id=person)
    assert err.value.field == "company_id"


@pytest.mark.parametrize("q", ["王", "+86 10 1234 5678", "010-12345678", "wang@example"])
async def test_list_finds_by_name_any_number_form_or_email(crm: Crm, q: str) -> None:
    wang = await crm.customers.create("王小明", ["010-12345678"], emails=["wang@example.com"])
    await crm.customers.create("Other", ["13900000000"])
    found, total = await crm.profiles.list(q=q)
    assert [c.id for c in found] == [wang] and total == 1


async def test_pool_claim_then_second_claim_conflicts_and_sharing_needs_owner(crm: Crm) -> None:
    cid = await crm.customers.create("Pooled", ["13800138003"])
    assert (await crm.profiles.list(pool=True))[1] == 1
    assert (await crm.profiles.claim(cid, crm.agent)).owner_id == crm.agent.id
    with pytest.raises(Conflict):
        await crm.profiles.claim(cid, crm.other)
    with pytest.raises(Forbidden):
        await crm.profiles.share(cid, crm.other.id, crm.other)
    view = await crm.profiles.share(cid, crm.other.id, crm.agent)
    assert view.shared_with == [crm.other.id]


async def test_update_is_audited_before_and_after(crm: Crm) -> None:
    cid = await crm.customers.create("Old Name", ["13800138004"], actor=crm.agent)
    await crm.profiles.update(cid, {"name": "New Name", "numbers": ["13800138005"]}, crm.agent)
    trail = await AuditService(crm.db).list("customer", cid)
    assert [e.action for e in trail] == ["create", "update"]
    assert trail[1].before["name"] == "Old Name" and trail[1].after["name"] == "New Name"
    assert trail[1].after["numbers"] == ["+8613800138005"] and trail[1].user_id == crm.agent.id


async def test_bad_timezone_and_email_name_the_field(crm: Crm) -> None:
    with pytest.raises(Invalid) as tz:
        await crm.customers.create("x", ["1"], timezone="Mars/Olympus")
    with pytest.raises(Invalid) as mail:
        await crm.customers.create("x", ["1"], emails=["not-an-email"])
    assert (tz.value.field, mail.value.field) == ("timezone", "emails")


async def test_shared_number_offers_candidates_and_remembers_the_latest_pick(crm: Crm) -> None:
    a = await crm.customers.create("Alice", ["010-66668888"], company="Acme")
    b = await crm.customers.create("Bob", ["010-66668888"], company="Acme")
    card = await crm.customers.card_for_number("01066668888")
    assert card.id == a and card.other_matches == 1
    assert [(c.id, c.name) for c in card.candidates] == [(a, "Alice"), (b, "Bob")]
    await crm.customers.remember_pick("+86 10 6666 8888", b, crm.agent)
    assert (await crm.customers.card_for_number("010-66668888")).id == b
    await crm.customers.remember_pick("010-66668888", a, crm.other)
    assert (await crm.customers.card_for_number("010-66668888")).id == a
    assert (await crm.customers.card_for_number("010-66668888")).to_json()["candidates"][1]["name"] == "Bob"


async def test_pick_of_a_customer_without_that_number_is_refused(crm: Crm) -> None:
    a = await crm.customers.create("Alice", ["010-66668888"])
    await crm.customers.create("Carol", ["13800138009"])
    with pytest.raises(Invalid):
        await crm.customers.remember_pick("13800138009", a, crm.agent)


async def test_single_match_has_no_candidates_and_unknown_gets_new_card(crm: Crm) -> None:
    a = await crm.customers.create("Alice", ["13800138010"])
    card = await crm.customers.card_for_number("13800138010")
    assert card.id == a and card.candidates == []
    assert not (await crm.customers.card_for_number("13800138011")).known


async def test_timeline_lists_notes_requests_and_callbacks_newest_first(crm: Crm) -> None:
    cid = await crm.customers.create("Tim", ["13800138012"])
    await crm.profiles.add_note(cid, "likes mornings", crm.agent)
    crm.clock.advance(minutes=1)
    await crm.tickets.create(crm.agent, cid, "Broken", type="repair")
    crm.clock.advance(minutes=1)
    await crm.callbacks.create(crm.agent, "13800138012", customer_id=cid)
    kinds = [i.kind for i in await Timeline(crm.db).for_customer(cid)]
    assert kinds == ["callback", "service_request", "note"]


async def test_only_owner_shared_agents_and_supervisors_edit_an_owned_customer(crm: Crm) -> None:
    cid = await crm.customers.create("Owned", ["13800138013"])
    await crm.profiles.update(cid, {"region": "pool edit"}, crm.other)  # pooled: anyone
    await crm.profiles.claim(cid, crm.agent)
    with pytest.raises(Forbidden):
        await crm.profiles.update(cid, {"region": "x"}, crm.other)
    await crm.profiles.share(cid, crm.other.id, crm.agent)
    assert (await crm.profiles.update(cid, {"region": "shared"}, crm.other)).region == "shared"
    assert (await crm.profiles.update(cid, {"region": "boss"}, crm.supervisor)).region == "boss"
    stranger = await UserService(crm.customers.db).create(
        "sup2", "pw", "Other boss", role="supervisor", team="T2"
    )
    with pytest.raises(Forbidden):  # another team's supervisor: seeing is not owning
        await crm.profiles.update(cid, {"region": "theirs"}, stranger)


async def test_only_an_administrator_or_the_teams_supervisor_gives_a_customer_away(crm: Crm) -> None:
    cid = await crm.customers.create("Kept", ["13800138015"])
    await crm.profiles.claim(cid, crm.agent)
    await crm.profiles.share(cid, crm.other.id, crm.agent)
    for owner in (
        None,
        crm.other.id,
    ):  # a shared agent may edit, not give the customer to the pool or to themselves
        with pytest.raises(Forbidden):
            await crm.profiles.update(cid, {"owner_id": owner}, crm.other)
    with pytest.raises(Forbidden):  # the supervisor may not move it out of their team
        await crm.profiles.update(cid, {"owner_id": crm.other.id}, crm.supervisor)
    assert (await crm.profiles.update(cid, {"owner_id": None}, crm.supervisor)).owner_id is None
    assert (await crm.profiles.update(cid, {"owner_id": crm.other.id}, crm.admin)).owner_id == crm.other.id


async def test_card_shows_open_requests_and_callbacks_not_closed_ones(crm: Crm) -> None:
    cid = await crm.customers.create("Busy", ["13800138014"])
    open_one = await crm.tickets.create(crm.agent, cid, "still open", type="complaint")
    done = await crm.tickets.create(crm.agent, cid, "done")
    for action in ("dispatch", "start", "resolve"):
        await crm.tickets.transition(done.id, action, crm.agent, owner_id=crm.agent.id)
    cb = await crm.callbacks.create(crm.agent, "13800138014", customer_id=cid)
    card = (await crm.customers.card_for_number("13800138014")).to_json()
    assert [r["number"] for r in card["open_requests"]] == [open_one.number]
    assert card["open_requests"][0]["type"] == "complaint"
    assert [c["id"] for c in card["open_callbacks"]] == [cb.id]
