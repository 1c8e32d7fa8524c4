"""Working a campaign: reserve the next callable entry, dial it, skip it, record how it went.

Reservation is one write transaction: candidate rows are locked (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite has one writer, BEGIN IMMEDIATE), so two agents or two service instances never get
the same entry. The do-not-call list and the calling window are checked when an entry is reserved
and again in the transaction that marks it dialing, right before the PBX is asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.admin.models import Team
from crm_core.callbacks.models import DoNotCall
from crm_core.campaigns import rules
from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.campaigns.service import visible
from crm_core.campaigns.views import policy_of, window_of
from crm_core.domain_errors import Clock, Conflict, Invalid, NotFound, utc_clock
from crm_core.models import CallRecord, User

BATCH = 50  # candidates looked at per reservation (most are callable; DNC/out-of-window are passed over)
OPEN = ("reserved", "dialing", "connected")


class CannotDialNow(Conflict):
    """Dialing this entry now would break a rule: reason "dnc" or "outside_window"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CampaignHalted(Conflict):
    """The campaign was paused or stopped while the card was open: the attempt is closed."""


@dataclass(frozen=True, slots=True)
class Dial:
    """What to ask the PBX for, once the attempt is marked dialing."""

    attempt_id: int
    number: str
    call_id: str
    caller_id: str


class CampaignWork:
    def __init__(
        self,
        db: Any,
        default_timezone: str,
        reservation: timedelta = timedelta(minutes=10),
        clock: Clock = utc_clock,
    ) -> None:
        self.db = db
        self.default_timezone = default_timezone
        self.reservation = reservation
        self.clock = clock

    # -- reservation ------------------------------------------------------------------

    async def reserve(self, campaign_id: int, user: Any, mode: str = "preview") -> int | None:
        """Reserve the next callable entry of a running campaign for this agent: the attempt id, or None."""
        now = self.clock()
        async with self.db.write() as s:
            campaign = await visible(s, campaign_id, user)
            if campaign.status != "running" or campaign.mode != mode:
                raise Conflict(f"campaign {campaign_id} is {campaign.status} ({campaign.mode})")
            await s.execute(
                select(User.id).where(User.id == user.id).with_for_update()
            )  # one at a time per agent
            if await self._open_attempt(s, user.id, now) is not None:
                raise Conflict("finish the open attempt first")
            await self._expire(s, campaign_id, now)
            entry = await self._pick(s, campaign, now)
            if entry is None:
                return None
            entry.status, entry.reserved_by = "reserved", user.id
            entry.reserved_until, entry.updated_at = now + self.reservation, now
            attempt = CampaignAttempt(
                campaign_id=campaign_id, entry_id=entry.id, agent_id=user.id, mode=mode, status="reserved"
            )
            attempt.skip_reason, attempt.note, attempt.created_at = "", "", now
            s.add(attempt)
            await s.flush()
            return attempt.id

    async def _open_attempt(self, s: AsyncSession, agent_id: int, now: datetime) -> CampaignAttempt | None:
        """The agent's open attempt; a reservation past its time does not count (it expires later)."""
        query = (
            select(CampaignAttempt)
            .join(CampaignEntry, CampaignEntry.id == CampaignAttempt.entry_id)
            .where(
                CampaignAttempt.agent_id == agent_id,
                CampaignAttempt.status.in_(OPEN),
                or_(
                    CampaignAttempt.status != "reserved",
                    CampaignEntry.reserved_until.is_(None),
                    CampaignEntry.reserved_until >= now,
                ),
            )
        )
        return await s.scalar(query.order_by(CampaignAttempt.id.desc()).limit(1))

    async def _expire(self, s: AsyncSession, campaign_id: int, now: datetime) -> None:
        """Reservations nobody dialed in time go back to the list; their attempts close unmade."""
        stale = select(CampaignEntry.id).where(
            CampaignEntry.campaign_id == campaign_id,
            CampaignEntry.status == "reserved",
            CampaignEntry.reserved_until < now,
        )
        ids = list(await s.scalars(stale))
        if not ids:
            return
        await s.execute(
            update(CampaignAttempt)
            .where(CampaignAttempt.entry_id.in_(ids), CampaignAttempt.status == "reserved")
            .values(status="closed", skip_reason="expired", ended_at=now)
        )
        await s.execute(
            update(CampaignEntry)
            .where(CampaignEntry.id.in_(ids))
            .values(status="pending", reserved_by=None, reserved_until=None, updated_at=now)
        )

    async def _pick(self, s: AsyncSession, campaign: Campaign, now: datetime) -> CampaignEntry | None:
        """The first due entry that may be dialed now; numbers found on DNC are marked so on the way.

        Only entries in zones whose window is open now are read (so closed-zone rows never crowd
        them out). Candidates are read unlocked, then locked one at a time (SKIP LOCKED: another
        reservation holds it) and re-checked, so concurrent reservations each get a different entry.
        """
        due = (
            CampaignEntry.campaign_id == campaign.id,
            CampaignEntry.status == "pending",
            or_(CampaignEntry.next_attempt_at.is_(None), CampaignEntry.next_attempt_at <= now),
        )
        window = window_of(campaign)
        zones = await s.scalars(select(CampaignEntry.timezone).where(*due).distinct())
        open_zones = [
            z for z in zones if rules.forbidden(now, window, z, False, self.default_timezone) is None
        ]
        if not open_zones:
            return None
        due = (*due, CampaignEntry.timezone.in_(open_zones))
        order = (CampaignEntry.next_attempt_at.is_not(None), CampaignEntry.next_attempt_at, CampaignEntry.id)
        skipped = 0  # rows passed over that are still pending (locked by another reservation)
        for _ in range(20):
            query = select(CampaignEntry).where(*due).order_by(*order).offset(skipped).limit(BATCH)
            rows = list(await s.scalars(query))
            if not rows:
                return None
            blocked = await _dnc(s, [r.number for r in rows])
            for row in rows:
                why = rules.forbidden(now, window, row.timezone, row.number in blocked, self.default_timezone)
                if why == "outside_window":  # the window closed since the zones were read
                    skipped += 1
                    continue
                locked = await s.scalar(
                    select(CampaignEntry)
                    .where(CampaignEntry.id == row.id, *due)
                    .with_for_update(skip_locked=True)
                )
                if locked is None:
                    skipped += 1  # taken by a concurrent reservation: still pending, still in the query
                    continue
                if why is None:
                    return locked
                locked.status, locked.updated_at = "dnc", now  # leaves the query: no offset for it
        return None

    # -- dialing ----------------------------------------------------------------------

    async def start_dial(self, attempt_id: int, user: Any, pbx: str, call_id: str) -> Dial:
        """Mark the attempt dialing, the rules checked at this moment; CannotDialNow says why not."""
        now = self.clock()
        async with self.db.write() as s:
            attempt, entry, campaign = await self._mine(s, attempt_id, user, ("reserved",))
            blocked = entry.number in await _dnc(s, [entry.number])
            why = rules.forbidden(now, window_of(campaign), entry.timezone, blocked, self.default_timezone)
            if campaign.status != "running":
                why = campaign.status  # paused/stopped: the card closes, the entry waits for a restart
            if why is not None:
                _close(attempt, now, skip_reason=why)
                entry.status = "dnc" if why == "dnc" else "pending"
                entry.reserved_by = entry.reserved_until = None
                reason = why
            else:
                attempt.status, attempt.pbx, attempt.call_id, attempt.dialed_at = "dialing", pbx, call_id, now
                entry.status, entry.attempts, entry.reserved_until = "dialing", entry.attempts + 1, None
                reason = None
            entry.updated_at = now
        if reason in ("dnc", "outside_window"):
            raise CannotDialNow(reason)
        if reason is not None:
            raise CampaignHalted(f"campaign {campaign.id} is {reason}")
        return Dial(attempt.id, entry.number, call_id, campaign.caller_id)

    async def dial_failed(self, attempt_id: int) -> None:
        """The PBX could not be asked (link down): the attempt is not counted, the entry goes back."""
        now = self.clock()
        async with self.db.write() as s:
            attempt = await s.get(CampaignAttempt, attempt_id, with_for_update=True)
            if attempt is None or attempt.status != "dialing":
                return
            entry = await s.get(CampaignEntry, attempt.entry_id, with_for_update=True)
            _close(attempt, now, skip_reason="pbx_down")
            attempt.dialed_at = None  # never reached the PBX: no call to give a verdict on
            if entry is not None:
                entry.status, entry.attempts, entry.reserved_by = "pending", max(entry.attempts - 1, 0), None
                entry.updated_at = now

    async def skip(self, attempt_id: int, user: Any, reason: str) -> None:
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
            raise Invalid("reason", "say why (at most 200 characters)")
        now = self.clock()
        async with self.db.write() as s:
            attempt, entry, _ = await self._mine(s, attempt_id, user, ("reserved",))
            _close(attempt, now, skip_reason=reason.strip())
            entry.status, entry.reserved_by, entry.reserved_until, entry.updated_at = (
                "skipped",
                None,
                None,
                now,
            )

    async def _mine(
        self, s: AsyncSession, attempt_id: int, user: Any, statuses: tuple[str, ...]
    ) -> tuple[CampaignAttempt, CampaignEntry, Campaign]:
        attempt = await s.get(CampaignAttempt, attempt_id, with_for_update=True)
        if attempt is None or attempt.agent_id != user.id:
            raise NotFound(f"attempt {attempt_id} not found")
        if attempt.status not in statuses:
            raise Conflict(f"attempt {attempt_id} is {attempt.status}")
        entry = await s.get(CampaignEntry, attempt.entry_id, with_for_update=True)
        campaign = await s.get(Campaign, attempt.campaign_id)
        assert entry is not None and campaign is not None  # ON DELETE CASCADE keeps them together
        return attempt, entry, campaign

    # -- outcomes ---------------------------------------------------------------------

    async def agent_outcome(self, attempt_id: int, user: Any, outcome: str, note: str = "") -> None:
        """The agent's verdict; it overrides what the network said (voicemail looks answered)."""
        if outcome not in rules.AGENT_OUTCOMES:
            raise Invalid("outcome", f"must be one of {', '.join(rules.AGENT_OUTCOMES)}")
        if not isinstance(note, str) or len(note) > 2000:
            raise Invalid("note", "at most 2000 characters")
        now = self.clock()
        async with self.db.write() as s:
            attempt, entry, campaign = await self._mine(
                s, attempt_id, user, ("dialing", "connected", "closed")
            )
            if attempt.dialed_at is None:
                raise Conflict(f"attempt {attempt_id} was never dialed")
            # A verdict on an older call, or on an entry since put on DNC / skipped, only describes that
            # call; on the entry's latest call it overrides the network (done/failed -> retry is fine).
            late = attempt.status == "closed" and (
                entry.status in ("reserved", "dialing", "dnc", "skipped") or await _newer_attempt(s, attempt)
            )
            attempt.outcome, attempt.note = outcome, note
            if attempt.status != "closed":
                _close(attempt, now)
            await _link_record(s, attempt)
            if not late:  # a verdict given after the entry was taken up again only describes this call
                _settle(entry, campaign, outcome, now)

    async def network_outcome(self, pbx: str, call_id: str, outcome: str, answered: bool) -> int | None:
        """The call of an attempt ended (bus): record the outcome unless the agent already gave one."""
        if not await self._follows(pbx, call_id):
            return None
        now = self.clock()
        async with self.db.write() as s:
            attempt = await _by_call(s, pbx, call_id)
            if attempt is None:
                return None
            if answered and attempt.answered_at is None:
                attempt.answered_at = now
            await _link_record(s, attempt)
            if attempt.status == "closed":
                return attempt.id
            outcome = outcome if outcome in rules.NETWORK_OUTCOMES else "no_answer"
            attempt.outcome = outcome
            _close(attempt, now)
            entry = await s.get(CampaignEntry, attempt.entry_id, with_for_update=True)
            campaign = await s.get(Campaign, attempt.campaign_id)
            if entry is not None and campaign is not None:
                _settle(entry, campaign, outcome, now)
            return attempt.id

    async def resynced(self, pbx: str, live_calls: tuple[str, ...]) -> int:
        """The PBX's state was rebuilt: attempts whose call it no longer has ended unseen (link down,
        PBX restart). Without a CallEnded they would hold their agent's line forever: they close as
        failed and their entries are retried per policy."""
        query = select(CampaignAttempt.call_id).where(
            CampaignAttempt.pbx == pbx, CampaignAttempt.status.in_(("dialing", "connected"))
        )
        async with self.db.read() as s:
            lost = [c for c in await s.scalars(query) if c and c not in set(live_calls)]
        for call_id in lost:
            await self.network_outcome(pbx, call_id, "failed", answered=False)
        return len(lost)

    async def connected(self, pbx: str, call_id: str) -> CampaignAttempt | None:
        """The customer answered and the agent is being connected (or answered)."""
        if not await self._follows(pbx, call_id):
            return None
        async with self.db.write() as s:
            attempt = await _by_call(s, pbx, call_id)
            if attempt is None or attempt.status not in ("dialing", "connected"):
                return None
            attempt.status = "connected"
            attempt.answered_at = attempt.answered_at or self.clock()
            return attempt

    async def _follows(self, pbx: str, call_id: str) -> bool:
        """Whether an attempt follows this call. A read first, so the calls of no campaign (nearly every
        call) never take the write lock: two write transactions a call less (BENCHMARKS.md a, b)."""
        same_call = (CampaignAttempt.pbx == pbx, CampaignAttempt.call_id == call_id)
        async with self.db.read() as s:
            return await s.scalar(select(CampaignAttempt.id).where(*same_call).limit(1)) is not None

    async def current(self, user: Any) -> int | None:
        """The agent's open attempt; a progressive one only once the customer answered."""
        async with self.db.read() as s:
            attempt = await self._open_attempt(s, user.id, self.clock())
            if attempt is None or (attempt.mode == "progressive" and attempt.status != "connected"):
                return None
            return attempt.id

    async def link_records(self) -> int:
        """Attempts whose call record was written after their outcome get linked to it (one UPDATE)."""
        record = (
            select(CallRecord.id)
            .where(CallRecord.pbx == CampaignAttempt.pbx, CallRecord.call_id == CampaignAttempt.call_id)
            .scalar_subquery()
        )
        since = self.clock() - timedelta(days=1)
        unlinked = (
            CampaignAttempt.call_record_id.is_(None),
            CampaignAttempt.call_id.is_not(None),
            CampaignAttempt.dialed_at >= since,
            record.is_not(None),
        )
        async with self.db.read() as s:  # the common case, nothing to link, takes no write lock
            if await s.scalar(select(CampaignAttempt.id).where(*unlinked).limit(1)) is None:
                return 0
        query = update(CampaignAttempt).where(*unlinked).values(call_record_id=record)
        async with self.db.write() as s:
            return (await s.execute(query.execution_options(synchronize_session=False))).rowcount or 0

    async def progressive_campaigns(self) -> dict[str, list[int]]:
        """Team name -> its running progressive campaigns, oldest first (one read per dialing pass)."""
        query = (
            select(Team.name, Campaign.id)
            .join(Team, Team.id == Campaign.team_id)
            .where(Campaign.status == "running", Campaign.mode == "progressive")
        )
        teams: dict[str, list[int]] = {}
        async with self.db.read() as s:
            for team, campaign_id in (await s.execute(query.order_by(Campaign.id))).all():
                teams.setdefault(team, []).append(campaign_id)
        return teams


def _close(attempt: CampaignAttempt, now: datetime, skip_reason: str = "") -> None:
    attempt.status, attempt.ended_at = "closed", now
    if skip_reason:
        attempt.skip_reason = skip_reason


def _settle(entry: CampaignEntry, campaign: Campaign, outcome: str, now: datetime) -> None:
    nxt = rules.after(outcome, entry.attempts, policy_of(campaign), now)
    entry.status, entry.next_attempt_at, entry.last_outcome = nxt.status, nxt.at, outcome
    entry.reserved_by, entry.reserved_until, entry.updated_at = None, None, now


async def _newer_attempt(s: AsyncSession, attempt: CampaignAttempt) -> bool:
    query = select(CampaignAttempt.id).where(
        CampaignAttempt.entry_id == attempt.entry_id, CampaignAttempt.id > attempt.id
    )
    return await s.scalar(query.limit(1)) is not None


async def _dnc(s: AsyncSession, numbers: list[str]) -> set[str]:
    return set(await s.scalars(select(DoNotCall.e164).where(DoNotCall.e164.in_(numbers))))


async def _by_call(s: AsyncSession, pbx: str, call_id: str) -> CampaignAttempt | None:
    query = select(CampaignAttempt).where(
        and_(CampaignAttempt.pbx == pbx, CampaignAttempt.call_id == call_id)
    )
    return await s.scalar(query.with_for_update())


async def _link_record(s: AsyncSession, attempt: CampaignAttempt) -> None:
    if attempt.call_record_id is None and attempt.pbx and attempt.call_id:
        attempt.call_record_id = await s.scalar(
            select(CallRecord.id).where(CallRecord.pbx == attempt.pbx, CallRecord.call_id == attempt.call_id)
        )
