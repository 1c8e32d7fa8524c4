"""Users as administrators manage them: create, edit, reset a password, deactivate.

Two rules live here because they protect the installation itself: the last active
administrator can be neither demoted nor deactivated (nobody could administer it any
more), and a deactivated user loses every session and queue at once (their phone must
stop ringing and their open consoles must stop working).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin import checks
from crm_core.admin.checks import FieldError, RuleBroken
from crm_core.admin.memberships import MembershipService
from crm_core.admin.models import QueueMembership, Team
from crm_core.admin.views import USER_FIELDS, AdminUserView
from crm_core.audit.service import record
from crm_core.db import Database
from crm_core.domain_errors import Actor, NotFound
from crm_core.models import User
from crm_core.passwords import hash_password
from crm_core.sessions import SessionService
from crm_core.users import UserService

EDITABLE = {"display_name", "role", "team", "interface", "extension", "language", "active"}
_IFACE_HINT = "a queue interface like PJSIP/1001 or Local/1001@agents/n"
_EXT_HINT = "digits, letters, * # + . _ - (at most 32)"


def _data(user: User) -> dict[str, Any]:
    """The user's audited and shown values: never the password hash."""
    return {name: getattr(user, name) for name in (*USER_FIELDS, "created_at")}


def _audit_data(user: User) -> dict[str, Any]:
    return {k: v for k, v in _data(user).items() if k != "created_at"}


class UserAdmin:
    def __init__(self, users: UserService, sessions: SessionService, memberships: MembershipService) -> None:
        self.users = users
        self.db: Database = users.db
        self.sessions = sessions
        self.memberships = memberships
        # Told the id of a user whose sessions were just ended, so open consoles (WebSockets)
        # close at once instead of at their next session check.
        self.signed_out: list[Callable[[int], Awaitable[None]]] = []

    async def list(
        self,
        q: str = "",
        role: str | None = None,
        team: str | None = None,
        active: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[AdminUserView], int]:
        query = select(User)
        for word in q.split():
            like = f"%{word}%"
            query = query.where(or_(User.login.ilike(like), User.display_name.ilike(like)))
        if role:
            query = query.where(User.role == role)
        if team:
            query = query.where(User.team == team)
        if active is not None:
            query = query.where(User.active.is_(active))
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = await s.scalars(query.order_by(User.login).limit(limit).offset(offset))
            return [AdminUserView(_data(u)) for u in rows], total

    async def get(self, user_id: int) -> AdminUserView:
        async with self.db.read() as s:
            user = await s.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return AdminUserView(_data(user))

    async def create(self, actor: Actor, login: str, password: str, **fields: Any) -> AdminUserView:
        checks.only(fields, EDITABLE)
        login = checks.pattern(
            "login", login, checks.LOGIN, "login", "use 1-64 letters, digits, '.', '_', '@' or '-'"
        )
        values = _check({"display_name": login, "role": "agent", "language": "zh-CN", **fields})
        password_hash = await asyncio.to_thread(hash_password, checks.password(password))
        try:
            async with self.db.write() as s:
                if await s.scalar(select(User.id).where(User.login == login)) is not None:
                    raise FieldError("login", "taken", "this login is taken")
                await _check_links(s, values, None)
                user = User(login=login, password_hash=password_hash, **{"active": True, **values})
                s.add(user)
                await s.flush()
                record(s, actor, "user", user.id, "create", None, _audit_data(user))
                view = AdminUserView(_data(user))
        except IntegrityError:  # a concurrent create took the login or interface first
            raise FieldError("login", "taken", "this login or interface is taken") from None
        await self._changed()
        return view

    async def update(self, actor: Actor, user_id: int, fields: dict[str, Any]) -> AdminUserView:
        checks.only(fields, EDITABLE)
        values = _check(fields)
        try:
            async with self.db.write() as s:
                user = await s.get(User, user_id, with_for_update=True)
                if user is None:
                    raise NotFound(f"user {user_id} not found")
                await _check_links(s, values, user)
                await _keep_an_admin(s, user, values)
                before = _audit_data(user)
                for key, value in values.items():
                    setattr(user, key, value)
                record(s, actor, "user", user.id, "update", before, _audit_data(user))
                view = AdminUserView(_data(user))
                deactivated = before["active"] and not user.active
        except IntegrityError:
            raise FieldError("interface", "taken", "this interface is used by another user") from None
        if deactivated:
            await self._end_sessions(user_id)
            await self.memberships.remove_all_of(actor, user_id)
        await self._changed()
        return view

    async def deactivate(self, actor: Actor, user_id: int) -> AdminUserView:
        return await self.update(actor, user_id, {"active": False})

    async def reset_password(self, actor: Actor, user_id: int, password: str) -> None:
        """A new password ends the user's sessions: whoever knew the old one is out."""
        password_hash = await asyncio.to_thread(hash_password, checks.password(password))
        async with self.db.write() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"user {user_id} not found")
            user.password_hash = password_hash
            record(s, actor, "user", user.id, "reset_password", None, None)
        await self._end_sessions(user_id)

    async def _end_sessions(self, user_id: int) -> None:
        await self.sessions.close_all_of(user_id)
        for listener in self.signed_out:
            await listener(user_id)

    async def _changed(self) -> None:
        """Tell the caches of "who is on which interface" (hub, tracker directory) at once."""
        for listener in self.users.listeners:
            await listener()


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "display_name":
            out[key] = checks.text(key, value)
        elif key == "role":
            out[key] = checks.choice(key, value, checks.ROLES)
        elif key == "language":
            out[key] = checks.choice(key, value, checks.LANGUAGES)
        elif key == "active":
            out[key] = checks.flag(key, value)
        elif key == "team":
            out[key] = checks.optional(key, value, checks.NAME, "no_team", "no such team")
        elif key == "interface":
            out[key] = checks.optional(key, value, checks.INTERFACE, "interface", _IFACE_HINT)
        elif key == "extension":
            out[key] = checks.optional(key, value, checks.EXTENSION, "extension", _EXT_HINT)
    return out


async def _check_links(s: AsyncSession, values: dict[str, Any], user: User | None) -> None:
    """The team must exist; the interface must be free and may not change under queue memberships."""
    if values.get("team") and await s.scalar(select(Team.id).where(Team.name == values["team"])) is None:
        raise FieldError("team", "no_team", "no such team")
    interface = values.get("interface")
    if interface:
        owner = await s.scalar(select(User.login).where(User.interface == interface))
        if owner is not None and (user is None or owner != user.login):
            raise FieldError("interface", "interface_taken", f"already used by {owner}", owner=owner)
    if user is not None and "interface" in values and interface != user.interface:
        held = await s.scalar(
            select(func.count(QueueMembership.id)).where(QueueMembership.user_id == user.id)
        )
        if held:
            raise FieldError(
                "interface", "interface_in_queues", "take the user out of their queues before changing it"
            )


async def _keep_an_admin(s: AsyncSession, user: User, values: dict[str, Any]) -> None:
    was_admin = user.role == "admin" and user.active
    stays_admin = values.get("role", user.role) == "admin" and values.get("active", user.active)
    if not was_admin or stays_admin:
        return
    # Lock every active administrator row: two concurrent demotions cannot both see "another one left".
    admins = await s.scalars(
        select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
    )
    if not [a for a in admins if a != user.id]:
        raise RuleBroken("last_admin", "the last active administrator cannot be demoted or deactivated")
