"""Demo agents and customers, so a newcomer sees real-looking pop-ups at once.

Names are mostly Chinese (our first users' normal case) with some English ones,
and some calls come from numbers the CRM does not know.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_core.admin.teams import TeamService
from crm_core.customers import CustomerService
from crm_core.domain_errors import SYSTEM
from crm_core.users import UserService, UserView


@dataclass(frozen=True)
class DemoAgent:
    login: str
    name: str
    extension: str

    @property
    def interface(self) -> str:
        return f"Local/{self.extension}@agents/n"

    @property
    def member_name(self) -> str:
        return f"Agent {self.extension}"


DEMO_AGENTS = (
    DemoAgent("agent1001", "李娜 (1001)", "1001"),
    DemoAgent("agent1002", "Tom Baker (1002)", "1002"),
    DemoAgent("agent1003", "陈静 (1003)", "1003"),
)

DEMO_CUSTOMERS = (
    ("王小明", "北京示例科技有限公司", ["010-12345678", "13800138000"]),
    ("张伟", "上海华东物流", ["021-87654321"]),
    ("刘洋", None, ["13912345678"]),
    ("赵敏", "深圳前海电子", ["0755-26881234", "13600000001"]),
    ("Alice Example", "Example Trading Ltd", ["+1 415 555 0100"]),
    ("Bob Smith", None, ["+44 20 7946 0018"]),
)

UNKNOWN_NUMBERS = ("13700000000", "020-38881234")
DEMO_TEAM = ("support", "客服一组 Support team")  # the demo supervisor's team: their callers and actions


async def seed_demo(users: UserService, customers: CustomerService, password: str) -> list[UserView]:
    """Create the demo agents and customers unless they exist; returns the agents."""
    await TeamService(users.db).ensure(SYSTEM, *DEMO_TEAM)
    team = DEMO_TEAM[0]
    agents = [
        await users.ensure(
            a.login, password, a.name, role="agent", interface=a.interface, extension=a.extension, team=team
        )
        for a in DEMO_AGENTS
    ]
    await users.ensure("supervisor", password, "主管 Supervisor", role="supervisor", team=team)
    await users.ensure("admin", password, "管理员 Administrator", role="admin")
    for name, company, numbers in DEMO_CUSTOMERS:
        if not await customers.find_ids_by_number(numbers[0]):
            await customers.create(name, numbers, company=company)
    return agents


def demo_numbers() -> list[str]:
    """Numbers demo calls come from: every demo customer's first number and a few unknown ones."""
    return [numbers[0] for _, _, numbers in DEMO_CUSTOMERS] + list(UNKNOWN_NUMBERS)
