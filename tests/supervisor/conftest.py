"""Supervisor actions against the real service and the simulated PBX, with two teams.

Team A: agent1001 (李娜, Local/1001@agents/n) and supervisor "sup_a" whose own phone is
PJSIP/2001; team B: agent1002 (Tom) and "sup_b" (PJSIP/2002); "sup_nophone" of team A has
no phone; "admin1" (PJSIP/2009) supervises everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import update

from callcenter.service import Service
from crm_core.models import User
from tests.console.conftest import (  # noqa: F401  (shared fixtures)
    AGENT_1001,
    AGENT_1002,
    answered_call,
    client,
    finish,
    not_pings,
    sent,
    talking,
)
from tests.e2e.conftest import PASSWORD, ami, open_console, pbx, service  # noqa: F401

SUP_A_PHONE, SUP_B_PHONE, ADMIN_PHONE = "PJSIP/2001", "PJSIP/2002", "PJSIP/2009"


@dataclass(frozen=True)
class People:
    agent_a: int  # agent1001
    agent_b: int  # agent1002
    sup_a: int
    sup_b: int
    admin: int


async def set_team(svc: Service, login: str, team: str | None) -> None:
    """Put the user in a team (as the administration does) and let the wallboard know."""
    async with svc.db.write() as s:
        await s.execute(update(User).where(User.login == login).values(team=team))
    await svc.wallboard.refresh_directory()


@pytest.fixture
async def people(service: Service) -> People:  # noqa: F811
    users = service.users
    sup_a = await users.create("sup_a", PASSWORD, "王主管", role="supervisor", interface=SUP_A_PHONE)
    sup_b = await users.create("sup_b", PASSWORD, "Bob", role="supervisor", interface=SUP_B_PHONE)
    await users.create("sup_nophone", PASSWORD, "No Phone", role="supervisor")
    admin = await users.create("admin1", PASSWORD, "Admin", role="admin", interface=ADMIN_PHONE)
    for login, team in (("agent1001", "A"), ("sup_a", "A"), ("sup_nophone", "A")):
        await set_team(service, login, team)
    for login in ("agent1002", "sup_b"):
        await set_team(service, login, "B")
    agent_a, agent_b = await users.by_login("agent1001"), await users.by_login("agent1002")
    assert agent_a is not None and agent_b is not None
    return People(agent_a.id, agent_b.id, sup_a.id, sup_b.id, admin.id)
