"""Queue membership: which users answer which queues, kept in the CRM and pushed to the PBX.

A change is written first (state pending_*), then sent with the Telephony port (QueueAdd /
QueueRemove) outside any transaction. When no PBX link is up the row stays pending and goes
out with the next change made while one is; the caller is told which of the two happened.
Retries are safe: "Already there" on an add and "Not there" on a remove count as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin import checks
from crm_core.admin.checks import FieldError, RuleBroken
from crm_core.admin.models import QueueMembership
from crm_core.admin.views import MembershipChange, MembershipView
from crm_core.audit.service import record, snapshot
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, NotFound
from crm_core.models import User
from crm_core.ports import Telephony, TelephonyError

PENDING = ("pending_add", "pending_update", "pending_remove")
NEVER_SENT = ("pending_add", "refused")  # the PBX does not have these: removing needs no action
PENALTY = (0, 1000)


@dataclass(frozen=True, slots=True)
class _Pending:
    id: int
    interface: str
    member_name: str
    queue: str
    pbx: str
    penalty: int
    state: str


def _view(m: QueueMembership, u: User) -> MembershipView:
    return MembershipView(
        m.id, m.user_id, u.login, u.display_name, u.interface, m.queue, m.pbx, m.penalty, m.state
    )


class MembershipService:
    def __init__(self, db: Database, telephony: Mapping[str, Telephony]) -> None:
        self.db = db
        self.telephony = telephony  # by PBX name; the live mapping the service keeps
        self._lock = asyncio.Lock()  # one sync at a time, so two changes never interleave on the PBX

    async def list(
        self, user_id: int | None = None, queue: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[MembershipView], int]:
        query = select(QueueMembership, User).join(User, User.id == QueueMembership.user_id)
        if user_id is not None:
            query = query.where(QueueMembership.user_id == user_id)
        if queue:
            query = query.where(QueueMembership.queue == queue)
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            order = (QueueMembership.queue, QueueMembership.penalty, User.login)
            rows = await s.execute(query.order_by(*order).limit(limit).offset(offset))
            return [_view(m, u) for m, u in rows], total

    async def get(self, membership_id: int) -> MembershipView:
        async with self.db.read() as s:
            found = (
                await s.execute(
                    select(QueueMembership, User)
                    .join(User, User.id == QueueMembership.user_id)
                    .where(QueueMembership.id == membership_id)
                )
            ).first()
        if found is None:
            raise NotFound(f"queue membership {membership_id} not found")
        return _view(*found)

    async def pending(self) -> int:
        """How many changes still wait for a PBX link."""
        query = select(func.count(QueueMembership.id)).where(QueueMembership.state.in_(PENDING))
        async with self.db.read() as s:
            return await s.scalar(query) or 0

    async def queues(self) -> list[str]:
        """Queue names members are (or are being put) in: what transfers may target."""
        query = select(QueueMembership.queue).where(QueueMembership.state != "pending_remove").distinct()
        async with self.db.read() as s:
            return sorted(await s.scalars(query))

    async def add(
        self, actor: Actor, user_id: int, queue: str, penalty: int = 0, pbx: str = ""
    ) -> MembershipChange:
        queue = checks.pattern(
            "queue", queue, checks.QUEUE, "queue", "use 1-64 letters, digits, '_', '.' or '-'"
        )
        penalty = checks.number("penalty", penalty, *PENALTY)
        pbx = self._check_pbx(pbx)
        async with self.db.write() as s:
            await _member(s, user_id)
            row = await s.scalar(
                select(QueueMembership)
                .where(QueueMembership.user_id == user_id, QueueMembership.queue == queue)
                .where(QueueMembership.pbx == pbx)
                .with_for_update()
            )
            if row is not None and row.state != "pending_remove":
                raise FieldError("queue", "already_member", "the user is already in this queue")
            if row is None:
                row = QueueMembership(user_id=user_id, queue=queue, pbx=pbx, state="pending_add")
                s.add(row)
            else:
                row.state = "pending_update"  # the PBX may still have it, with the old penalty
            row.penalty = penalty
            await s.flush()
            record(s, actor, "queue_membership", row.id, "create", None, snapshot(row))
            row_id = row.id
        return await self._apply(row_id)

    async def update(self, actor: Actor, membership_id: int, penalty: int) -> MembershipChange:
        penalty = checks.number("penalty", penalty, *PENALTY)
        async with self.db.write() as s:
            row = await _row(s, membership_id)
            if row.state == "pending_remove":
                raise RuleBroken("being_removed", "this membership is being removed")
            before = snapshot(row)
            row.penalty = penalty
            row.state = "pending_add" if row.state in NEVER_SENT else "pending_update"
            record(s, actor, "queue_membership", row.id, "update", before, snapshot(row))
        return await self._apply(membership_id)

    async def remove(self, actor: Actor, membership_id: int) -> MembershipChange:
        async with self.db.write() as s:
            await self._mark_removed(s, actor, await _row(s, membership_id))
        return await self._apply(membership_id)

    async def remove_all_of(self, actor: Actor, user_id: int) -> None:
        """Take a user out of every queue (deactivation: their phone must stop ringing)."""
        async with self.db.write() as s:
            rows = await s.scalars(
                select(QueueMembership).where(QueueMembership.user_id == user_id).with_for_update()
            )
            for row in list(rows):
                if row.state != "pending_remove":
                    await self._mark_removed(s, actor, row)
        await self.sync()

    async def sync(self) -> dict[int, str]:
        """Send every pending change to the PBX; returns the PBX's refusals by membership id."""
        async with self._lock:
            refusals: dict[int, str] = {}
            for item in await self._pending():
                outcome, detail = await self._push(item)
                if outcome == "pending" and item.pbx == "":
                    break  # a link is down or not answering: the rest would wait for it too
                if outcome != "pending":
                    await self._settle(item, outcome, detail)
                if outcome == "refused":
                    refusals[item.id] = detail
            return refusals

    def _check_pbx(self, pbx: str) -> str:
        if pbx is None or pbx == "":
            return ""
        if not isinstance(pbx, str) or pbx not in self.telephony:
            raise FieldError("pbx", "no_pbx", "no such PBX (leave empty for every PBX)")
        return pbx

    async def _mark_removed(self, s: AsyncSession, actor: Actor, row: QueueMembership) -> None:
        record(s, actor, "queue_membership", row.id, "delete", snapshot(row), None)
        if row.state in NEVER_SENT:
            await s.delete(row)
        else:
            row.state = "pending_remove"

    async def _apply(self, membership_id: int) -> MembershipChange:
        refusals = await self.sync()
        try:
            view: MembershipView | None = await self.get(membership_id)
        except NotFound:
            view = None  # removed: the PBX confirmed, or it never had it
        if membership_id in refusals or (view is not None and view.state == "refused"):
            return MembershipChange("refused", view, refusals.get(membership_id, ""))
        if view is not None and view.state in PENDING:
            return MembershipChange("pending", view)
        return MembershipChange("applied", view)

    async def _pending(self) -> list[_Pending]:
        query = (
            select(QueueMembership, User)
            .join(User, User.id == QueueMembership.user_id)
            .where(QueueMembership.state.in_(PENDING))
            .order_by(QueueMembership.id)
        )
        async with self.db.read() as s:
            rows = await s.execute(query)
            return [
                _Pending(m.id, u.interface or "", u.display_name[:64], m.queue, m.pbx, m.penalty, m.state)
                for m, u in rows
            ]

    async def _push(self, item: _Pending) -> tuple[str, str]:
        """("applied" | "pending" | "refused", the PBX's words when refused)."""
        links = [self.telephony[item.pbx]] if item.pbx in self.telephony else []
        if not item.pbx:
            links = list(self.telephony.values())
        if not links or not all(link.connected for link in links):
            return "pending", ""
        try:
            for link in links:
                await _send(link, item)
        except TelephonyError as exc:
            if exc.code in ("not_connected", "timeout"):
                return "pending", ""
            return "refused", str(exc)
        return "applied", ""

    async def _settle(self, item: _Pending, outcome: str, detail: str) -> None:
        async with self.db.write() as s:
            row = await s.get(QueueMembership, item.id, with_for_update=True)
            if row is None or row.state != item.state:
                return  # changed again meanwhile: the next sync sends the newer wish
            if outcome == "refused":
                row.state = "refused"
                record(s, SYSTEM, "queue_membership", row.id, "pbx_refused", None, {"detail": detail})
            elif item.state == "pending_remove":
                await s.delete(row)
            else:
                row.state = "applied"


async def _send(link: Telephony, item: _Pending) -> None:
    if item.state in ("pending_remove", "pending_update"):
        await _tolerant(link.logout(item.interface, item.queue), "Not there")
    if item.state in ("pending_add", "pending_update"):
        adding = link.login(item.interface, item.queue, item.member_name, item.penalty)
        await _tolerant(adding, "Already there")


async def _tolerant(action: Awaitable[None], done_already: str) -> None:
    """Run the action; the PBX answering that it is already so counts as success (safe retries)."""
    try:
        await action
    except TelephonyError as exc:
        if exc.code != "refused" or done_already not in str(exc):
            raise


async def _row(s: AsyncSession, membership_id: int) -> QueueMembership:
    row = await s.get(QueueMembership, membership_id, with_for_update=True)
    if row is None:
        raise NotFound(f"queue membership {membership_id} not found")
    return row


async def _member(s: AsyncSession, user_id: int) -> User:
    user = await s.get(User, user_id)
    if user is None:
        raise FieldError("user_id", "no_user", "no such user")
    if not user.active:
        raise FieldError("user_id", "user_inactive", "the user is deactivated")
    if not user.interface:
        raise FieldError("user_id", "no_interface", "the user has no phone interface: set one first")
    return user
