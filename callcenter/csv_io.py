"""CSV import and export of customers for the `callcenter` command.

Columns: name, kind, company, numbers, emails, tags, value_segment, region,
industry, timezone (lists separated by ";"). A bad row is reported (row number,
field, message) and skipped; the good rows are imported all the same.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.domain_errors import CrmError, Invalid

COLUMNS = (
    "name",
    "kind",
    "company",
    "numbers",
    "emails",
    "tags",
    "value_segment",
    "region",
    "industry",
    "timezone",
)
LISTS = ("numbers", "emails", "tags")


@dataclass(frozen=True)
class RowError:
    row: int  # the line number in the file (the header is line 1)
    field: str
    message: str


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


async def import_customers(
    customers: CustomerService, path: Path, progress: TextIO = sys.stderr
) -> ImportResult:
    result = ImportResult()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    for index, row in enumerate(rows, start=2):
        try:
            await _import_row(customers, row)
            result.imported += 1
        except Invalid as exc:
            result.errors.append(RowError(index, exc.field, exc.message))
        except CrmError as exc:
            result.errors.append(RowError(index, "", exc.message))
        _progress(progress, index - 1, len(rows))
    progress.write("\n")
    return result


async def _import_row(customers: CustomerService, row: dict[str, str | None]) -> None:
    clean = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
    numbers = _split(clean.get("numbers", ""))
    if not numbers:
        raise Invalid("numbers", "at least one number is required")
    extra: dict[str, object] = {
        k: clean[k] for k in ("value_segment", "region", "industry", "timezone") if clean.get(k)
    }
    for name in ("emails", "tags"):
        if clean.get(name):
            extra[name] = _split(clean[name])
    await customers.create(
        clean.get("name", ""), numbers, clean.get("company") or None, clean.get("kind") or "person", **extra
    )


def _progress(out: TextIO, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    out.flush()


async def export_customers(profiles: CustomerProfiles, path: Path, progress: TextIO = sys.stderr) -> int:
    """Write every live customer to path; returns how many."""
    _, total = await profiles.list(limit=1)
    done = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        while done < total:
            page, _ = await profiles.list(limit=200, offset=done)
            if not page:
                break
            for c in page:
                writer.writerow(
                    {
                        "name": c.name, "kind": c.kind, "company": c.company or "",
                        "numbers": ";".join(p["e164"] for p in c.phones), "emails": ";".join(c.emails),
                        "tags": ";".join(c.tags), "value_segment": c.value_segment, "region": c.region,
                        "industry": c.industry, "timezone": c.timezone,
                    }
                )  # fmt: skip
            done += len(page)
            _progress(progress, done, total)
    progress.write("\n")
    return done
