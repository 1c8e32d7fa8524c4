"""Lists and searches show only what the asker may see, with totals that agree; every refusal,
by role or by object, lands in the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import ADMIN, AGENT_A, AGENT_B, SUP_A, SUP_B, Stack
from tests.security.world import SECRET, World, build_world


async def _get(stack: Stack, role: str, path: str, **query: Any) -> tuple[int, Any]:
    async with stack.clients[role].get(stack.base + path, params=query) as resp:
        return resp.status, await resp.json()


@pytest.fixture
def stack(stack_each_db: Stack) -> Stack:
    """These run on SQLite and on PostgreSQL: the visibility rules are SQL."""
    return stack_each_db


async def _world(stack: Stack) -> World:
    return await build_world(stack.service.db, stack.store, stack.ids[AGENT_A], stack.ids["bystander"])


async def test_lists_count_only_what_each_may_see(stack: Stack) -> None:
    worlds = [await _world(stack) for _ in range(3)]
    lists = {
        "/api/v1/customers": ({"q": SECRET}, 6),  # a customer and a company per world
        "/api/v1/service-requests": ({"q": SECRET}, 3),
        "/api/v1/callbacks": ({}, 3),
    }
    for path, (query, theirs) in lists.items():
        for role, expected in ((AGENT_A, theirs), (SUP_A, theirs), (ADMIN, theirs), (AGENT_B, 0), (SUP_B, 0)):
            status, page = await _get(stack, role, path, **query, limit="2")
            assert status == 200
            assert page["total"] == expected, (path, role)
            assert len(page["items"]) == min(2, expected), (path, role)
    for role, expected in ((AGENT_A, 3), (AGENT_B, 0)):
        status, due = await _get(stack, role, "/api/v1/callbacks/due")
        assert len(due["items"]) == expected
        status, bin_items = await _get(stack, role, "/api/v1/recycle-bin", entity="customer")
        assert len(bin_items["items"]) == expected
    _, trail = await _get(stack, SUP_B, "/api/v1/audit", entity="customer", entity_id=str(worlds[0].customer))
    assert trail["items"] == []
    _, trail = await _get(stack, SUP_A, "/api/v1/audit", entity="customer", entity_id=str(worlds[0].customer))
    assert len(trail["items"]) == 1


async def test_given_another_teams_object_then_404_and_the_refusal_is_audited(stack: Stack) -> None:
    world = await _world(stack)
    status, body = await _get(stack, AGENT_B, f"/api/v1/customers/{world.customer}")
    missing_status, missing = await _get(stack, AGENT_B, "/api/v1/customers/999999")
    assert (status, body["error"]) == (missing_status, missing["error"]) == (404, "error.not_found")
    assert body["detail"] == f"customer {world.customer} not found"  # the same words as for a missing one
    await _get(stack, SUP_B, f"/api/v1/service-requests/{world.request}/history")
    rows = await stack.service.crm.audit.list(limit=200)
    refused = [(r.user_id, r.entity, r.entity_id, r.after) for r in rows if r.action == "access_refused"]
    assert refused == [
        (stack.ids[AGENT_B], "customer", world.customer, {"wanted": "read", "role": "agent"}),
        (stack.ids[SUP_B], "service_request", world.request, {"wanted": "history", "role": "supervisor"}),
    ]


async def test_given_a_role_that_may_not_then_403_and_the_refusal_is_audited(stack: Stack) -> None:
    async with stack.clients[AGENT_A].get(stack.base + "/admin", allow_redirects=False) as resp:
        assert resp.status == 403 and "text/html" in resp.headers["Content-Type"]
    status, body = await _get(stack, SUP_A, "/api/v1/admin/users")
    assert (status, body["error"]) == (403, "error.forbidden")
    rows = [r for r in await stack.service.crm.audit.list(entity="access") if r.action == "refused"]
    assert [(r.user_id, r.after["path"], r.after["why"]) for r in rows] == [
        (stack.ids[AGENT_A], "/admin", "role"),
        (stack.ids[SUP_A], "/api/v1/admin/users", "role"),
    ]
