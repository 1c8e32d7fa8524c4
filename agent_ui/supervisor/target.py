"""The agent a supervisor action is about: who they are, whether the caller may act on them, which PBX.

Why the team check is here and not in SQL (crm_core.access.rules): it is about one user
acting on another user's seat, not about customer-bound data. It follows the same rule
as rules.people(): an administrator supervises everyone; a supervisor supervises the
agents of their own team, and a supervisor with no team supervises nobody (as for
transfers of another agent's call). An agent the caller may not supervise answers 404,
like one that does not exist, and the refusal is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from agent_ui.access import audit_refusal
from agent_ui.console.payload import bad_field
from agent_ui.context import SERVICES
from agent_ui.dialing import pick_pbx, unavailable
from agent_ui.errors import json_error
from agent_ui.wallboard.board import Seat
from agent_ui.wallboard.hub import WALLBOARD
from crm_core.ports import Telephony
from crm_core.users import UserView


class Refused(Exception):
    """The action stops here; `response` is the answer that says why."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass(frozen=True)
class Target:
    agent: UserView
    interface: str  # the agent's queue interface (their seat)
    seat: Seat | None  # the wallboard's picture of that seat (None: never seen since start-up)

    @property
    def logged_in(self) -> bool:
        return self.seat is not None and self.seat.state != "logged_out"

    @property
    def on_call(self) -> bool:
        """Talking (or holding) on a connected call: something to listen to."""
        return self.seat is not None and any(c.answered for c in self.seat.calls.values())

    @property
    def queues(self) -> tuple[str, ...]:
        return self.seat.queues if self.seat is not None else ()


def may_supervise(user: UserView, agent: UserView) -> bool:
    if user.role == "admin":
        return True
    return user.role == "supervisor" and agent.role == "agent" and bool(user.team) and agent.team == user.team


async def find_target(request: web.Request, user: UserView, agent_id: int) -> Target:
    """The agent named by agent_id, if user may act on their seat; else Refused (400, 404, 409)."""
    agent = await request.app[SERVICES].users.by_id(agent_id)
    if agent is None:
        raise Refused(json_error(request, 404, "error.not_found"))
    if agent.id == user.id:
        raise Refused(bad_field(request, "agent_id", "another user than yourself"))
    if not may_supervise(user, agent):
        await audit_refusal(request, "team", status=404)
        raise Refused(json_error(request, 404, "error.not_found"))  # not theirs: not even confirmed
    if not agent.interface:
        raise Refused(json_error(request, 409, "supervisor.agent_no_phone"))
    seat = request.app[WALLBOARD].board.seats.get(agent.interface)
    return Target(agent, agent.interface, seat)


def link_for(request: web.Request, target: Target) -> Telephony:
    """The PBX the agent's seat is on (else the only / first connected one); Refused 503 when down."""
    links = request.app[SERVICES].telephony
    seat = target.seat
    link = links.get(seat.pbx) if seat is not None and seat.pbx else None
    link = link or pick_pbx(request)
    if link is None or not link.connected:
        raise Refused(unavailable(request, "supervisor.pbx.down"))
    return link
