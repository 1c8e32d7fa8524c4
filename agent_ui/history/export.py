"""The call history as a CSV file a person opens in Excel or WPS: UTF-8 with a BOM, local times.

Why a BOM: without it Excel reads the file in the machine's legacy code page and every
Chinese name turns to mojibake. Why cells are guarded: a caller name comes from the phone
network, and a cell starting with "=", "+", "-" or "@" would run as a formula in a
spreadsheet (CSV injection); such cells get a leading apostrophe, plain phone numbers excepted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from agent_ui.i18n import translate
from crm_core.call_history import CallRow
from crm_core.phones import display_number

BOM = "\ufeff"
_RISKY = ("=", "+", "-", "@", "\t", "\r")
_PHONE = re.compile(r"\+?\d+")
COLUMNS = (
    "started_at", "direction", "number", "caller_name", "customer", "queue", "agent", "outcome",
    "wait", "talk", "hold", "wrapup", "disposition", "survey", "transferred", "recording", "pbx", "call_id",
)  # fmt: skip


def safe(value: object) -> str:
    """A cell's text, never a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_RISKY) and not _PHONE.fullmatch(text):
        return "'" + text
    return text


def _seconds(value: float | None) -> str:
    return "" if value is None else str(round(value))


def _local(at: datetime | None, tz: ZoneInfo) -> str:
    return "" if at is None else at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def line(row: CallRow, lang: str, tz: ZoneInfo, region: str) -> list[str]:
    t = lambda key: translate(lang, key)  # noqa: E731
    outcome = t("history.outcome." + (row.outcome or "open"))
    survey = "" if row.survey_score is None else row.survey_score
    cells = [
        _local(row.started_at, tz), t("history.direction." + row.direction),
        display_number(row.number, region), row.caller_name, row.customer_name or "", row.queue or "",
        row.agent_name or "", outcome, _seconds(row.wait_seconds), _seconds(row.talk_seconds),
        _seconds(row.hold_seconds), _seconds(row.wrapup_seconds), row.disposition or "", survey,
        t("history.yes") if row.transferred else "", row.recording_status or "", row.pbx, row.call_id,
    ]  # fmt: skip
    return [safe(cell) for cell in cells]


def _encode(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def csv_response(
    request: web.Request, batches: AsyncIterator[list[CallRow]], lang: str, zone: str, region: str
) -> web.StreamResponse:
    """Stream the export; the security headers are set here because a streamed answer is sent
    before the app's header middleware sees it."""
    tz = ZoneInfo(zone)
    stamp = datetime.now(tz).strftime("%Y%m%d-%H%M")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="calls-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    header = [translate(lang, "history.col." + name) for name in COLUMNS]
    await response.write(BOM.encode("utf-8") + _encode([header]))
    async for batch in batches:
        await response.write(_encode([line(row, lang, tz, region) for row in batch]))
    await response.write_eof()
    return response
