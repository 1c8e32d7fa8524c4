"""Code lists agents pick from: wrap-up dispositions and pause reasons (one shape, two tables).

Seeded from config at start-up only while the table is empty, so what an administrator
changed afterwards is never overwritten by a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select

from crm_core.admin import checks
from crm_core.admin.models import Disposition, PauseReason
from crm_core.admin.views import CodeView
from crm_core.audit.service import record, snapshot
from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, NotFound

CodeModel = type[Disposition] | type[PauseReason]
SeedLabel = Callable[[str], tuple[str, str]]  # code -> (zh-CN label, English label)
EDITABLE = {"label_zh", "label_en", "active", "sort_order"}
SORT_RANGE = (-10_000, 10_000)


def _view(row: Any) -> CodeView:
    return CodeView(row.id, row.code, row.label_zh, row.label_en, row.active, row.sort_order)


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("label_zh", "label_en"):
            out[key] = checks.text(key, value)
        elif key == "active":
            out[key] = checks.flag(key, value)
        elif key == "sort_order":
            out[key] = checks.number(key, value, *SORT_RANGE)
        else:
            raise checks.FieldError(key, "unknown", "unknown field")
    return out


class CodeList:
    """One code list; `entity` names it in the audit trail ("disposition", "pause_reason")."""

    def __init__(self, db: Database, model: CodeModel, entity: str) -> None:
        self.db = db
        self.model = model
        self.entity = entity

    async def list(self, active_only: bool = False) -> list[CodeView]:
        query = select(self.model).order_by(self.model.sort_order, self.model.code)
        if active_only:
            query = query.where(self.model.active.is_(True))
        async with self.db.read() as s:
            return [_view(r) for r in await s.scalars(query)]

    async def labels(self, lang: str) -> list[dict[str, str]]:
        """The active codes in order, labelled in lang: what the console offers."""
        return [{"code": c.code, "label": c.label(lang)} for c in await self.list(active_only=True)]

    async def create(self, actor: Actor, code: str, **fields: Any) -> CodeView:
        code = checks.name("code", code)
        values = _check({"label_zh": "", "label_en": "", **fields})
        async with self.db.write() as s:
            if await s.scalar(select(self.model.id).where(self.model.code == code)) is not None:
                raise checks.FieldError("code", "taken", "this code exists")
            if "sort_order" not in values:
                values["sort_order"] = (await s.scalar(select(func.max(self.model.sort_order))) or 0) + 10
            row = self.model(code=code, **{"active": True, **values})
            s.add(row)
            await s.flush()
            record(s, actor, self.entity, row.id, "create", None, snapshot(row))
            return _view(row)

    async def update(self, actor: Actor, row_id: int, fields: dict[str, Any]) -> CodeView:
        """Labels, active and order change; the code never does (call records keep it)."""
        values = _check(fields)
        async with self.db.write() as s:
            row = await s.get(self.model, row_id, with_for_update=True)
            if row is None:
                raise NotFound(f"{self.entity} {row_id} not found")
            before = snapshot(row)
            for key, value in values.items():
                setattr(row, key, value)
            record(s, actor, self.entity, row.id, "update", before, snapshot(row))
            return _view(row)

    async def seed(self, codes: Sequence[str], label: SeedLabel) -> int:
        """Fill the empty table from config; returns how many were added (0 when it had rows)."""
        async with self.db.write() as s:
            if await s.scalar(select(func.count(self.model.id))):
                return 0
            for order, code in enumerate(dict.fromkeys(codes), start=1):
                zh, en = label(code)
                row = self.model(code=code, label_zh=zh, label_en=en, active=True, sort_order=order * 10)
                s.add(row)
                await s.flush()
                record(s, SYSTEM, self.entity, row.id, "seed", None, snapshot(row))
            return len(dict.fromkeys(codes))


def dispositions(db: Database) -> CodeList:
    return CodeList(db, Disposition, "disposition")


def pause_reasons(db: Database) -> CodeList:
    return CodeList(db, PauseReason, "pause_reason")
