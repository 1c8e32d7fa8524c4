"""Users and agents: creation, authentication, and finding the agent behind a queue interface."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from crm_core.db import Database
from crm_core.models import User
from crm_core.passwords import hash_password, verify_password

ROLES = ("agent", "supervisor", "admin")


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    login: str
    role: str
    display_name: str
    interface: str | None
    extension: str | None
    language: str
    active: bool = True
    team: str | None = None  # the team's name (users.team): scopes what supervisors and agents see


def _view(user: User) -> UserView:
    return UserView(
        user.id,
        user.login,
        user.role,
        user.display_name,
        user.interface,
        user.extension,
        user.language,
        user.active,
        user.team,
    )


UsersChanged = Callable[[], Awaitable[None]]


class UserService:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Told after a user is created or changed, so caches of "which agent is on which
        # interface" (the console hub, the tracker's directory) never go stale in this process.
        self.listeners: list[UsersChanged] = []

    async def create(
        self,
        login: str,
        password: str,
        display_name: str,
        role: str = "agent",
        interface: str | None = None,
        extension: str | None = None,
        language: str = "zh-CN",
        team: str | None = None,
    ) -> UserView:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.db.write() as s:
            user = User(
                login=login,
                password_hash=password_hash,
                display_name=display_name,
                role=role,
                interface=interface,
                extension=extension,
                language=language,
                team=team,
            )
            s.add(user)
            await s.flush()
            view = _view(user)
        await self._changed()
        return view

    async def _changed(self) -> None:
        for listener in self.listeners:
            await listener()

    async def ensure(self, login: str, password: str, display_name: str, **fields: Any) -> UserView:
        """Create the user unless the login exists (demo seeding, first administrator)."""
        existing = await self.by_login(login)
        return existing or await self.create(login, password, display_name, **fields)

    async def authenticate(self, login: str, password: str) -> UserView | None:
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.login == login, User.active.is_(True)))
        stored = user.password_hash if user else None
        # argon2 is deliberately slow: keep it off the event loop.
        ok = await asyncio.to_thread(verify_password, stored, password)
        return _view(user) if ok and user else None

    async def by_login(self, login: str) -> UserView | None:
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.login == login))
        return _view(user) if user else None

    async def by_id(self, user_id: int) -> UserView | None:
        async with self.db.read() as s:
            user = await s.get(User, user_id)
        return _view(user) if user else None

    async def by_interface(self, interface: str) -> UserView | None:
        async with self.db.read() as s:
            user = await s.scalar(select(User).where(User.interface == interface))
        return _view(user) if user else None

    async def agents(self) -> list[UserView]:
        async with self.db.read() as s:
            rows = await s.scalars(select(User).where(User.interface.is_not(None)).order_by(User.id))
            return [_view(u) for u in rows]

    async def set_language(self, user_id: int, language: str) -> None:
        """Remember the user's language choice on their account (it follows them to any browser)."""
        async with self.db.write() as s:
            user = await s.get(User, user_id)
            if user is not None and user.language != language:
                user.language = language
