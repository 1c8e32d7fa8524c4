"""Building a campaign's list: from a customer search, or from a CSV file with a report per bad row.

A number on the do-not-call list is not added (counted as skipped_dnc); a number already in the
campaign is counted as a duplicate. Each entry gets its time zone once, when it is added.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm_core.callbacks.models import DoNotCall
from crm_core.campaigns.models import Campaign, CampaignEntry
from crm_core.campaigns.rules import zone_for
from crm_core.campaigns.service import visible
from crm_core.domain_errors import Conflict, Invalid
from crm_core.models import Customer

MAX_ROWS = 20_000  # one import; bigger lists come in several files
SEARCH_PAGE = 500
MAX_ID = 2**31 - 1  # the largest customer id the database can hold


def _read_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) for each record; a file the csv module cannot read is Invalid("file")."""
    reader = csv.DictReader(io.StringIO(text))
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise Invalid("file", f"at most {MAX_ROWS} rows per import")
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise Invalid("file", f"not a readable CSV file (line {reader.line_num}): {exc}") from None
    return rows


@dataclass(frozen=True, slots=True)
class Candidate:
    number: str  # E.164
    customer_id: int | None
    name: str
    timezone: str
    row: int = 0  # the CSV line it came from


class CampaignLists:
    def __init__(self, db: Any, customers: Any, profiles: Any, clock: Any) -> None:
        self.db = db
        self.customers = customers  # crm_core.customers.CustomerService
        self.profiles = profiles  # crm_core.contacts.service.CustomerProfiles
        self.clock = clock

    async def from_search(
        self, campaign_id: int, user: Any, q: str, filters: dict[str, Any]
    ) -> dict[str, int]:
        """Every number of every customer the search finds (that this user may see)."""
        found: list[Candidate] = []
        for page in range(MAX_ROWS // SEARCH_PAGE):
            views, total = await self.profiles.list(
                q, SEARCH_PAGE, page * SEARCH_PAGE, viewer=user, **filters
            )
            for view in views:
                for phone in view.phones:
                    tz = zone_for(view.timezone, phone["e164"], self.customers.default_timezone)
                    found.append(Candidate(phone["e164"], view.id, view.name, tz))
            if (page + 1) * SEARCH_PAGE >= total:
                break
        added, dnc, dupes = await self._add(campaign_id, user, found)
        return {"added": added, "skipped_dnc": len(dnc), "duplicates": dupes}

    async def from_csv(self, campaign_id: int, user: Any, text: str) -> dict[str, Any]:
        """Columns number[, name, timezone, customer_id]; each bad row is reported, the good ones added."""
        rows = _read_csv(text)
        if not rows or "number" not in rows[0][1]:
            raise Invalid("number", "the CSV needs a header row with a 'number' column")
        errors: list[dict[str, Any]] = []
        found: list[Candidate] = []
        async with self.db.read() as s:
            for index, row in rows:  # the file's line (row 1 is the header)
                candidate = await self._csv_row(s, row, index, errors)
                if candidate is not None:
                    found.append(candidate)
        added, dnc, dupes = await self._add(campaign_id, user, found)
        blocked = set(dnc)
        for c in found:
            if c.number in blocked:
                errors.append({"row": c.row, "field": "number", "message": "on the do-not-call list"})
        return {"added": added, "skipped_dnc": len(dnc), "duplicates": dupes, "errors": errors}

    async def _csv_row(
        self, s: AsyncSession, row: dict[str, Any], index: int, errors: list
    ) -> Candidate | None:
        def bad(field: str, message: str) -> None:
            errors.append({"row": index, "field": field, "message": message})

        number = self.customers.normalize(str(row.get("number") or ""))
        if not number.startswith("+") or len(number) > 20:
            return bad("number", "not a phone number")
        customer_id, zone = None, (row.get("timezone") or "").strip()
        raw_id = (row.get("customer_id") or "").strip()
        if raw_id:
            fits = raw_id.isdigit() and len(raw_id) <= 10 and int(raw_id) <= MAX_ID  # else s.get overflows
            customer = await s.get(Customer, int(raw_id)) if fits else None
            if customer is None or customer.deleted_at is not None:
                return bad("customer_id", "no such customer")
            customer_id, zone = customer.id, zone or customer.timezone
        if zone and zone_for(zone, "", "") != zone:
            return bad("timezone", "unknown time zone")
        name = str(row.get("name") or "")[:200]
        tz = zone_for(zone, number, self.customers.default_timezone)
        return Candidate(number, customer_id, name, tz, index)

    async def _add(self, campaign_id: int, user: Any, found: list[Candidate]) -> tuple[int, list[str], int]:
        """Insert the new numbers in one transaction: (added, numbers on DNC, duplicates)."""
        now = self.clock()
        async with self.db.write() as s:
            campaign: Campaign = await visible(s, campaign_id, user, lock=True)
            if campaign.status == "stopped":
                raise Conflict(f"campaign {campaign_id} is stopped")
            numbers = {c.number for c in found}
            blocked = set(await s.scalars(select(DoNotCall.e164).where(DoNotCall.e164.in_(numbers))))
            have = set(
                await s.scalars(
                    select(CampaignEntry.number).where(
                        CampaignEntry.campaign_id == campaign_id, CampaignEntry.number.in_(numbers)
                    )
                )
            )
            added, dnc, dupes = 0, [], 0
            for c in found:
                if c.number in blocked:
                    dnc.append(c.number)
                elif c.number in have:
                    dupes += 1
                else:
                    have.add(c.number)
                    s.add(_entry(campaign_id, c, now))
                    added += 1
            return added, dnc, dupes


def _entry(campaign_id: int, c: Candidate, now: Any) -> CampaignEntry:
    return CampaignEntry(
        campaign_id=campaign_id,
        number=c.number,
        customer_id=c.customer_id,
        customer_name=c.name,
        timezone=c.timezone,
        status="pending",
        attempts=0,
        created_at=now,
        updated_at=now,
    )
