"""Whose figures a viewer may see, as SQL conditions (the team rule of crm_core.access for KPIs).

An administrator sees every call, seat and callback. A supervisor sees their team's work:
- answered calls: those their team answered (the agent who had the call last is theirs);
- calls nobody answered: those offered to someone of the team, or, when offered to nobody,
  waiting in a queue someone of the team is a member of (a shared queue's abandon belongs to
  every team serving it, an answered call only to the team that took it);
- the seat history and callback attempts of their team's people.
So the figures a supervisor of team B gets never contain what team A answered or did.
Anyone else sees only their own work (the API does not offer KPIs to agents at all).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select

from crm_core.access.rules import people, sees_everything
from crm_core.admin.models import QueueMembership
from crm_core.callbacks.models import CallbackAttempt
from crm_core.domain_errors import Actor
from crm_core.models import CallAgent, CallRecord, SeatState, User


def scope_people(actor: Actor) -> Select[Any] | None:
    """Ids of the users whose work actor may see; None: everyone."""
    if sees_everything(actor):
        return None
    if actor.role == "supervisor":
        return people(actor)
    return select(User.id).where(User.id == actor.id)


def call_scope(actor: Actor) -> ColumnElement[bool] | None:
    who = scope_people(actor)
    if who is None:
        return None
    if actor.id is None:
        return false()
    offered = select(CallAgent.call_record_id).where(CallAgent.agent_id.in_(who))
    served = select(QueueMembership.queue).where(QueueMembership.user_id.in_(who))
    never_offered = ~exists().where(CallAgent.call_record_id == CallRecord.id)
    unanswered = and_(
        CallRecord.agent_id.is_(None),
        or_(CallRecord.id.in_(offered), and_(never_offered, CallRecord.queue.in_(served))),
    )
    return or_(CallRecord.agent_id.in_(who), unanswered)


def span_scope(actor: Actor) -> ColumnElement[bool] | None:
    who = scope_people(actor)
    return None if who is None else SeatState.agent_id.in_(who)


def attempt_scope(actor: Actor) -> ColumnElement[bool] | None:
    who = scope_people(actor)
    return None if who is None else CallbackAttempt.user_id.in_(who)


def user_scope(actor: Actor) -> ColumnElement[bool] | None:
    who = scope_people(actor)
    return None if who is None else User.id.in_(who)
