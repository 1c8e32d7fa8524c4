"""Knowledge base: short answers agents find while the customer is on the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from crm_core.db import Database
from crm_core.domain_errors import SYSTEM, Actor, Invalid, NotFound
from crm_core.kb.models import KbArticle


@dataclass(frozen=True, slots=True)
class ArticleView:
    id: int
    question: str
    answer: str
    tags: list[str]

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def _view(a: KbArticle) -> ArticleView:
    return ArticleView(a.id, a.question, a.answer, [t for t in a.tags.split(",") if t])


class KnowledgeBase:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, question: str, answer: str, tags: list[str] = (), actor: Actor = SYSTEM
    ) -> ArticleView:  # type: ignore[assignment]
        if not question.strip():
            raise Invalid("question", "must not be empty")
        if not answer.strip():
            raise Invalid("answer", "must not be empty")
        clean = ",".join(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
        if len(clean) > 300:
            raise Invalid("tags", "at most 300 characters of tags in all")
        if len(question) > 300:
            raise Invalid("question", "at most 300 characters")
        async with self.db.write() as s:
            article = KbArticle(
                question=question.strip(), answer=answer.strip(), tags=clean, created_by=actor.id
            )
            s.add(article)
            await s.flush()
            return _view(article)

    async def get(self, article_id: int) -> ArticleView:
        async with self.db.read() as s:
            article = await s.get(KbArticle, article_id)
            if article is None:
                raise NotFound(f"article {article_id} not found")
            return _view(article)

    async def search(self, q: str = "", limit: int = 20, offset: int = 0) -> tuple[list[ArticleView], int]:
        """Articles whose question, answer or tags contain every word of q (case-insensitive)."""
        query = select(KbArticle)
        for word in q.split():
            like = f"%{word}%"
            query = query.where(
                or_(KbArticle.question.ilike(like), KbArticle.answer.ilike(like), KbArticle.tags.ilike(like))
            )
        async with self.db.read() as s:
            total = await s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = await s.scalars(query.order_by(KbArticle.id).limit(limit).offset(offset))
            return [_view(a) for a in rows], total
