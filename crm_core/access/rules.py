"""Who may see which customer, and so everything hanging off one, as SQL conditions.

Why conditions and not Python checks: one rule then serves a single object ("may I open
customer 42?"), a filtered list and its count alike, so a page of results can never
show what the object route would refuse, and totals stay consistent.

The rule (teams are `users.team`):
- administrators (and the system itself) see everything;
- an agent sees the shared pool (no owner), customers owned by them or by a member of
  their team, customers shared with them, and customers who called them or whom they
  called (a CallAgent row, or the call's agent, on a call record of that customer);
- a supervisor sees the pool, their team's customers, customers shared with them, and
  customers who called anyone of their team.
Service requests are visible with their customer, and also to whoever they are dispatched
to (a supervisor: to anyone of the team, or to the team by name). Callbacks are visible
with their customer; one with no customer is open work any agent may take; one assigned
to someone is visible to them (and to their supervisor). A call record is visible with its
customer and to whoever it reached; acting on a call (its disposition) is for those it
reached, their team's supervisor and administrators only. Audit rows and the recycle bin
show what is about a visible customer, request or callback.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, union

from crm_core.audit.models import AuditEntry
from crm_core.callbacks.models import Callback
from crm_core.contacts.models import CustomerShare
from crm_core.domain_errors import Actor
from crm_core.models import CallAgent, CallRecord, Customer, User
from crm_core.tickets.models import ServiceRequest

SEES_EVERYTHING = ("admin", "system")


def sees_everything(actor: Actor) -> bool:
    return actor.role in SEES_EVERYTHING


def _team_of(actor: Actor) -> Any:
    return select(User.team).where(User.id == actor.id).scalar_subquery()


def people(actor: Actor) -> Select[Any]:
    """The actor and, when they have a team, everyone in it (ids)."""
    same_team = and_(User.team.is_not(None), User.team == _team_of(actor))
    return select(User.id).where(or_(User.id == actor.id, same_team))


def _callers_of(who: Select[Any] | int) -> Select[Any]:
    """Customers on a call record offered to / answered by `who` (an id or a select of ids)."""
    match_agent = CallAgent.agent_id == who if isinstance(who, int) else CallAgent.agent_id.in_(who)
    match_main = CallRecord.agent_id == who if isinstance(who, int) else CallRecord.agent_id.in_(who)
    offered = (
        select(CallRecord.customer_id)
        .join(CallAgent, CallAgent.call_record_id == CallRecord.id)
        .where(match_agent, CallRecord.customer_id.is_not(None))
    )
    taken = select(CallRecord.customer_id).where(match_main, CallRecord.customer_id.is_not(None))
    return select(union(offered, taken).subquery().c[0])


def customer_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which customers actor may see; None: all of them."""
    if sees_everything(actor):
        return None
    if actor.id is None:
        return false()
    team = people(actor)
    shared = select(CustomerShare.customer_id).where(CustomerShare.user_id == actor.id)
    callers = _callers_of(team if actor.role == "supervisor" else actor.id)
    return or_(
        Customer.owner_id.is_(None),
        Customer.owner_id.in_(team),
        Customer.id.in_(shared),
        Customer.id.in_(callers),
    )


def visible_customer_ids(actor: Actor) -> Select[Any] | None:
    cond = customer_condition(actor)
    return None if cond is None else select(Customer.id).where(cond)


def request_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which service requests (and complaints) actor may see; None: all of them."""
    customers = visible_customer_ids(actor)
    if customers is None:
        return None
    if actor.id is None:
        return false()
    mine = ServiceRequest.owner_id == actor.id
    if actor.role == "supervisor":
        team_name = and_(ServiceRequest.team.is_not(None), ServiceRequest.team == _team_of(actor))
        mine = or_(ServiceRequest.owner_id.in_(people(actor)), team_name)
    return or_(ServiceRequest.customer_id.in_(customers), mine)


def callback_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which callbacks actor may see; None: all of them."""
    customers = visible_customer_ids(actor)
    if customers is None:
        return None
    if actor.id is None:
        return false()
    assigned = (
        Callback.assigned_user_id.in_(people(actor))
        if actor.role == "supervisor"
        else Callback.assigned_user_id == actor.id
    )
    return or_(Callback.customer_id.is_(None), Callback.customer_id.in_(customers), assigned)


def call_record_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which call records actor may see: those of visible customers, and calls that reached
    them (a supervisor: their team); None: all of them."""
    customers = visible_customer_ids(actor)
    if customers is None:
        return None
    if actor.id is None:
        return false()
    who = people(actor) if actor.role == "supervisor" else select(User.id).where(User.id == actor.id)
    involved = select(CallAgent.call_record_id).where(CallAgent.agent_id.in_(who))
    return or_(
        CallRecord.customer_id.in_(customers), CallRecord.agent_id.in_(who), CallRecord.id.in_(involved)
    )


def call_work_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Calls actor may act on (disposition, finding the record behind a pop): those offered to or
    taken by them; a supervisor: by anyone of their team; None: all of them. Stricter than
    seeing the call on a customer's timeline: a teammate does not wrap up someone else's call."""
    if sees_everything(actor):
        return None
    if actor.id is None:
        return false()
    who = people(actor) if actor.role == "supervisor" else select(User.id).where(User.id == actor.id)
    involved = select(CallAgent.call_record_id).where(CallAgent.agent_id.in_(who))
    return or_(CallRecord.agent_id.in_(who), CallRecord.id.in_(involved))


CONDITIONS = {
    "customer": (Customer, customer_condition),
    "service_request": (ServiceRequest, request_condition),
    "callback": (Callback, callback_condition),
}


def entity_condition(entity: str, actor: Actor) -> ColumnElement[bool] | None:
    """The condition for one of the customer-bound entities by its audit/recycle-bin name."""
    _model, condition = CONDITIONS[entity]
    result: ColumnElement[bool] | None = condition(actor)
    return result


def audit_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Audit rows actor may read: those of customers, requests and callbacks they may see
    (rows carry before/after copies of the data); None: all of them."""
    if sees_everything(actor):
        return None
    parts = []
    for entity, (model, condition) in CONDITIONS.items():
        ids = select(model.id).where(condition(actor))
        parts.append(and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids)))
    return or_(*parts)


def restricted(query: Select[Any], condition: ColumnElement[bool] | None) -> Select[Any]:
    """query limited by a visibility condition (None: unrestricted)."""
    return query if condition is None else query.where(condition)
