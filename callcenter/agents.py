"""Which device channels belong to agents, for the tracker's direct-call pop-ups.

The tracker asks synchronously for every DialBegin, so the answer comes from a
map held in memory and refreshed from the users table (at start and periodically:
agents created by `callcenter add-user` in another process are picked up).
"""

from __future__ import annotations

from crm_core.users import UserService
from cti.calls.devices import agent_hook


class AgentDirectory:
    def __init__(self, users: UserService) -> None:
        self.users = users
        self._hook = agent_hook([])

    def agent_of(self, channel: str) -> str | None:
        """The tracker's direct_agent hook: the agent interface a dialled channel belongs to."""
        return self._hook(channel)

    async def refresh(self) -> None:
        agents = await self.users.agents()
        self._hook = agent_hook([a.interface for a in agents if a.interface])
