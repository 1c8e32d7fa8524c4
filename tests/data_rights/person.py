"""One person with a footprint in every corner of the CRM, and a search for any trace of them.

The customer is made through the real services where they exist (so the audit trail holds the
snapshots real use leaves) and as rows where they do not (calls, recordings, campaign lists).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from crm_core.callbacks.models import CallbackAttempt
from crm_core.callbacks.service import CallbackService
from crm_core.campaigns.dnc import DoNotCallList
from crm_core.campaigns.models import Campaign, CampaignAttempt, CampaignEntry
from crm_core.contacts.service import CustomerProfiles
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.models import CallAgent, CallRecord, User
from crm_core.recording.models import Recording
from crm_core.tickets.service import TicketService
from recordings.store import RecordingStore

NAME = "王小明"
EMAIL = "xiaoming.wang@example.cn"
MOBILE_RAW, LANDLINE_RAW = "138-0013-8000", "010 6552 9988"
# Every form the numbers may be stored in: E.164, without "+", national, raw as typed.
NUMBER_FORMS = (
    "+8613800138000", "8613800138000", "13800138000", "138 0013 8000", MOBILE_RAW,
    "+861065529988", "861065529988", "01065529988", "1065529988", LANDLINE_RAW,
)  # fmt: skip
NEEDLES = (NAME, EMAIL, *NUMBER_FORMS)
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


@dataclass
class Person:
    customer_id: int
    agent_id: int
    calls: list[int]
    recording_paths: list[str]


class Agent:
    """The agent who worked the customer (an Actor)."""

    def __init__(self, user_id: int) -> None:
        self.id, self.role = user_id, "agent"


async def make_person(db: Database, store: RecordingStore) -> Person:
    customers = CustomerService(db, "CN")
    async with db.write() as s:
        user = User(login=f"agent-{uuid.uuid4().hex[:6]}", password_hash="x", display_name="Agent Li")
        s.add(user)
        await s.flush()
        agent = Agent(user.id)
    cid = await customers.create(
        NAME, [MOBILE_RAW, LANDLINE_RAW], company="小明五金店", actor=agent, emails=[EMAIL], tags=["vip"]
    )
    profiles = CustomerProfiles(customers)
    await profiles.update(cid, {"region": "朝阳区", "industry": "五金"}, actor=agent)
    await profiles.add_note(cid, f"{NAME}说打{MOBILE_RAW}或者{LANDLINE_RAW}", agent)
    tickets = TicketService(db)
    await tickets.create(agent, cid, f"{NAME} 的发票", description=f"请寄到 {EMAIL}")
    await tickets.create(
        agent, cid, "投诉送货慢", type="complaint", severity="major", demand=f"{NAME}要求赔偿"
    )
    callback = await CallbackService(db, customers).create(
        agent, MOBILE_RAW, customer_id=cid, note=f"回电 {NAME}"
    )
    await DoNotCallList(db, customers).add(LANDLINE_RAW, f"{NAME} 不要打座机", agent)
    calls, paths = await _calls_and_recordings(db, store, cid, agent.id)
    await _campaign_and_attempts(db, cid, agent.id, callback.id, calls[0])
    return Person(cid, agent.id, calls, paths)


async def _calls_and_recordings(
    db: Database, store: RecordingStore, cid: int, agent_id: int
) -> tuple[list, list]:
    now = datetime.now(UTC)
    calls, paths = [], []
    async with db.write() as s:
        for i, (number, linked) in enumerate((("+8613800138000", cid), ("+861065529988", None))):
            call = CallRecord(
                pbx="main", call_id=f"dr-{uuid.uuid4().hex[:8]}", caller_number=number, caller_name=NAME,
                customer_id=linked, queue="support", agent_id=agent_id, status="ended", outcome="answered",
                started_at=now - timedelta(hours=i + 1), answered_at=now - timedelta(hours=i, minutes=59),
                ended_at=now - timedelta(hours=i), talk_seconds=300.0, notes=f"{NAME} 问发票",
                language="zh", route_reason="menu:support", survey_score=5, survey_at=now,
            )  # fmt: skip
            s.add(call)
            await s.flush()
            s.add(CallAgent(call_record_id=call.id, agent_interface="PJSIP/1001", agent_id=agent_id))
            path = f"2026/12/01/main-{call.call_id}.wav"
            store.locate(path).parent.mkdir(parents=True, exist_ok=True)
            store.locate(path).write_bytes(AUDIO + f"LIST INFO INAM {NAME} {number}".encode())  # tagged audio
            s.add(Recording(
                public_id=uuid.uuid4().hex, pbx="main", call_id=call.call_id, call_record_id=call.id,
                customer_id=linked, queue="support", stored_path=path, status="stored", format="wav",
                size_bytes=store.locate(path).stat().st_size, started_at=call.started_at,
                sha256=hashlib.sha256(store.locate(path).read_bytes()).hexdigest(),
                ended_at=call.ended_at,
            ))  # fmt: skip
            calls.append(call.id)
            paths.append(path)
    return calls, paths


async def _campaign_and_attempts(
    db: Database, cid: int, agent_id: int, callback_id: int, call_id: int
) -> None:
    now = datetime.now(UTC)
    async with db.write() as s:
        s.add(CallbackAttempt(callback_id=callback_id, at=now, user_id=agent_id, outcome="no_answer",
                              note=f"{NAME} 没接"))  # fmt: skip
        campaign = Campaign(name="回访", created_by=agent_id)
        s.add(campaign)
        await s.flush()
        entry = CampaignEntry(campaign_id=campaign.id, number="+8613800138000", customer_id=cid,
                              customer_name=NAME, timezone="Asia/Shanghai")  # fmt: skip
        s.add(entry)
        await s.flush()
        s.add(CampaignAttempt(campaign_id=campaign.id, entry_id=entry.id, agent_id=agent_id, mode="preview",
                              note=f"{NAME} 说下周", call_record_id=call_id))  # fmt: skip


async def traces_in_database(db: Database) -> list[str]:
    """Every (table.column: needle) where any stored form of the person is still found."""

    def scan(conn: sa.Connection) -> list[str]:
        meta = sa.MetaData()
        meta.reflect(conn)
        found = []
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    text = _as_text(value)
                    found += [f"{table.name}.{column}: {n}" for n in NEEDLES if text and n in text]
        return found

    async with db.reader.connect() as conn:
        return await conn.run_sync(scan)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        try:  # a JSON column read as text (SQLite): look at the decoded form too
            return value + json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return ""


def traces_in_files(root: Path) -> list[str]:
    """Files in the recording store whose name or bytes hold any form of the person."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.name.encode() + path.read_bytes()
        found += [f"{path}: {n}" for n in NEEDLES if n.encode() in data]
    return found
