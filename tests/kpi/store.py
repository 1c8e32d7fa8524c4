"""The synthetic day (day.py) written into a real database as call records, call agents, seat
spans, a service request, callbacks and queue memberships, so the service must find it again.

Who was offered what (the team rule of crm_core/kpi/scope.py is tested on it):
- answered calls: a CallAgent row for the agent who answered;
- c4 rang agent 1 (team A) unanswered; c3, c6 and c7 never rang anyone;
- queue members: agents 1 and 2 (team A) serve "support"; agent 3 (team B) "support" and "sales".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update

from crm_core.admin.models import QueueMembership
from crm_core.callbacks.models import Callback, CallbackAttempt
from crm_core.db import Database
from crm_core.kpi.facts import CallFact, SeatSpan
from crm_core.models import CallAgent, CallRecord, Customer, CustomerPhone, SeatState, User
from crm_core.tickets.models import ServiceRequest
from tests.kpi.day import CALLBACKS, CALLS, NAMES, REQUESTS, SPANS, TEAMS, at

PBX = "main"
MEMBERS = {1: ("support",), 2: ("support",), 3: ("support", "sales")}
RANG_UNANSWERED = {4: 1}  # call -> agent it rang without an answer


@dataclass(frozen=True)
class Stored:
    agents: dict[int, int]  # day agent number -> users.id
    calls: dict[int, int]  # day call number -> call_records.id


def interface(agent: int) -> str:
    return f"Local/{1000 + agent}@agents/n"


async def name_agents(db: Database, agents: dict[int, int]) -> None:
    """Give the users standing in for the day's agents its names, teams and interfaces."""
    async with db.write() as s:
        for n, user_id in agents.items():
            values = {"display_name": NAMES[n], "team": TEAMS[n], "interface": interface(n)}
            await s.execute(update(User).where(User.id == user_id).values(**values))


async def write_day(db: Database, agents: dict[int, int]) -> Stored:
    customers = await _customers(db)
    calls: dict[int, int] = {}
    async with db.write() as s:
        for fact in CALLS:
            agent = agents.get(fact.agent_id) if fact.agent_id else None
            record = _record(fact, agent, customers)
            s.add(record)
            await s.flush()
            calls[fact.id] = record.id
            if agent is not None:
                s.add(CallAgent(call_record_id=record.id, agent_interface=interface(fact.agent_id or 0),
                                agent_id=agent, result="answered", reason="queue"))  # fmt: skip
        for call, n in RANG_UNANSWERED.items():
            s.add(CallAgent(call_record_id=calls[call], agent_interface=interface(n), agent_id=agents[n],
                            result="no_answer", reason="queue"))  # fmt: skip
        for n, queues in MEMBERS.items():
            s.add_all(QueueMembership(user_id=agents[n], queue=q, state="applied") for q in queues)
        s.add_all(_span(span, agents) for span in SPANS)
        for window in REQUESTS:
            s.add(ServiceRequest(
                number=f"SR-2026-{window.call_id:06d}", type="inquiry", subject="router",
                customer_id=customers[100], call_record_id=calls[window.call_id], status="registered",
                due_at=window.opened + timedelta(days=3), created_at=window.opened,
            ))  # fmt: skip
        for i, attempt in enumerate(CALLBACKS):
            noon = at("12:00")
            callback = Callback(number=f"+86139000001{i:02d}", scheduled_at=noon, next_attempt_at=noon,
                                queue=attempt.queue, status="pending")  # fmt: skip
            s.add(callback)
            await s.flush()
            outcome = "answered" if attempt.succeeded else "no_answer"
            user = agents[attempt.agent_id or 0]
            s.add(CallbackAttempt(callback_id=callback.id, at=attempt.at, user_id=user, outcome=outcome))
    return Stored(agents, calls)


async def _customers(db: Database) -> dict[int, int]:
    """Customers 100-104 of the day, by their number in day.py."""
    out: dict[int, int] = {}
    async with db.write() as s:
        for n in range(100, 105):
            customer = Customer(name=f"customer {n}", phones=[CustomerPhone(e164=f"+8613700000{n}")])
            s.add(customer)
            await s.flush()
            out[n] = customer.id
    return out


def _record(fact: CallFact, agent: int | None, customers: dict[int, int]) -> CallRecord:
    customer = int(fact.caller[2:]) if fact.caller and fact.caller.startswith("c:") else None
    number = fact.caller[2:] if fact.caller and fact.caller.startswith("n:") else f"+8613700000{customer}"
    answered = fact.started_at + timedelta(seconds=fact.wait) if fact.outcome == "answered" else None
    ended = fact.started_at + timedelta(seconds=fact.wait + fact.talk) if fact.outcome else None
    return CallRecord(
        pbx=PBX, call_id=f"day-{fact.id}", direction=fact.direction, caller_number=number,
        customer_id=customers.get(customer) if customer else None, queue=fact.queue, agent_id=agent,
        agent_interface=interface(fact.agent_id) if fact.agent_id else None,
        status="ended" if fact.outcome else "ringing", outcome=fact.outcome, started_at=fact.started_at,
        answered_at=answered, ended_at=ended, wait_seconds=fact.wait, talk_seconds=fact.talk,
        hold_seconds=fact.hold, wrapup_seconds=fact.wrapup if fact.outcome == "answered" else None,
        survey_score=fact.survey_score, disposition=fact.disposition, notes="", transferred=False,
    )  # fmt: skip


def _span(span: SeatSpan, agents: dict[int, int]) -> SeatState:
    agent = span.agent_id or 0
    return SeatState(pbx=PBX, agent_interface=interface(agent), agent_id=agents[agent], state=span.state,
                     reason=span.reason, started_at=span.start, ended_at=span.end)  # fmt: skip
