"""Every route the running app has × every role × team A's objects: who gets what.

The table below names each route (method + path as the router knows it) once. A route
the app serves that the table does not name fails the test, and so does a row for a
route that is gone: adding a route means adding its line here. For each route and each
role (anonymous, agent and supervisor of team A, of team B, administrator) the request
is made over a real socket with team A's objects in the path or payload, and:
- the status must be the expected one (PASS: anything below 500 but 401 and 403);
- no answer is ever a 5xx;
- no answer to anyone outside team A carries team A's data (a marker in every text);
- where `shows` is set, team A's people and the administrator do get that data, so a
  row that refuses everyone cannot pass for a secure one.
Objects are made afresh for every request that may change them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.security.conftest import ADMIN, AGENT_A, AGENT_B, ANON, ROLES, SUP_A, SUP_B, Stack
from tests.security.world import SECRET, World, build_world

PASS = 0  # the role got through the door: any status below 500 except 401 and 403
INSIDERS = (AGENT_A, SUP_A, ADMIN)
OUTSIDERS = (ANON, AGENT_B, SUP_B)
Body = Callable[[World], Any]


def team(ok: int, anon: int = 401, **over: int) -> dict[str, int]:
    """Team A's object: team A and the administrator get `ok`, team B is told it does not exist."""
    return {ANON: anon, AGENT_A: ok, AGENT_B: 404, SUP_A: ok, SUP_B: 404, ADMIN: ok} | over


def everyone(ok: int, anon: int = 401, **over: int) -> dict[str, int]:
    """Anyone signed in (results filtered to what each may see)."""
    return {ANON: anon, AGENT_A: ok, AGENT_B: ok, SUP_A: ok, SUP_B: ok, ADMIN: ok} | over


def only(*roles: str, ok: int = PASS, anon: int = 401) -> dict[str, int]:
    """A role check: the others get an audited 403."""
    return {role: ok if role in roles else 403 for role in ROLES} | {ANON: anon}


ADMINS = only(ADMIN)
ADMIN_PAGE = only(ADMIN, anon=302)
SUPERVISING = (SUP_A, SUP_B, ADMIN)
ACT = team(409, agent_a=403, agent_b=403)  # supervisor actions on team A's agent (who has no phone)


@dataclass(frozen=True)
class Row:
    expect: dict[str, int]
    params: dict[str, str | tuple[str, ...]] = field(default_factory=dict)  # world field or "=literal"
    json: Body | None = None
    form: Body | None = None
    query: Body | None = None
    path: str | None = None  # the concrete path, for a route with nothing to fill in (static files)
    shows: bool = False
    ws: bool = False
    own_session: bool = False  # the request ends the session: use a new one


CID, RID, BID = {"id": "customer"}, {"id": "request"}, {"id": "callback"}
REC, CALL = {"id": "recording"}, {"pbx": "pbx", "call_id": "call_id"}
BIN = {"entity": "=customer", "id": "deleted"}
NONE = {"id": "=999999"}  # administration routes: the role check is what is tested
C, R, CB, A = "/api/v1/customers", "/api/v1/service-requests", "/api/v1/callbacks", "/api/v1/admin"
Q_SECRET: Body = lambda w: {"q": SECRET}  # noqa: E731
MUTE: Body = lambda w: {"pbx": w.pbx, "call_id": w.call_id}  # noqa: E731
NAMED: Body = lambda w: {"name": "x"}  # noqa: E731
TRANSFER: Body = lambda w: {"pop_id": f"{w.pbx}:{w.call_id}", "mode": "blind", "queue": "support"}  # noqa: E731
KINDS = ("=teams", "=skills", "=dispositions", "=pause-reasons")  # /admin/{kind} serves these
CMP, KID = "/api/v1/campaigns", {"id": "campaign"}
MANAGE_A = team(PASS, agent_a=403, agent_b=403)  # supervisor of team A / administrator manage a campaign

MATRIX: dict[tuple[str, str], Row] = {
    # pages, sign-in, the console's own endpoints
    ("GET", "/"): Row(everyone(200, anon=302)),
    ("GET", "/login"): Row(everyone(200, anon=200)),
    ("POST", "/login"): Row(everyone(400, anon=400), form=lambda w: {}),
    ("POST", "/logout"): Row(everyone(302, anon=302), own_session=True),
    ("GET", "/ws"): Row(everyone(101), ws=True),
    ("GET", "/api/health"): Row(everyone(200, anon=200)),
    ("POST", "/api/session"): Row(everyone(400, anon=400), json=lambda w: {"login": ""}),
    ("GET", "/api/me"): Row(everyone(200)),
    ("GET", "/api/customers/lookup"): Row(everyone(200), query=lambda w: {"number": w.phone}, shows=True),
    ("POST", "/api/calls/dial"): Row(everyone(409), json=lambda w: {"number": w.phone}),  # no phone
    ("POST", "/api/calls/{id}/disposition"): Row(
        team(200), {"id": "call_record"}, json=lambda w: {"disposition": "resolved"}
    ),
    ("GET", "/static"): Row(everyone(200, anon=200), path="/static/http.js"),
    ("POST", "/api/seat/pause"): Row(everyone(409), json=lambda w: {"reason": "break"}),  # no phone
    ("POST", "/api/seat/ready"): Row(everyone(409)),
    ("POST", "/api/calls/transfer"): Row(everyone(404), json=TRANSFER),  # not a live call
    ("GET", "/api/calls/lookup"): Row(team(200), query=lambda w: {"pop_id": f"{w.pbx}:{w.call_id}"}),
    ("GET", "/api/console/customers/{id}/card"): Row(team(200), CID, shows=True),
    ("GET", "/api/console/callbacks"): Row(everyone(200), shows=True),
    # customers
    ("GET", C): Row(everyone(200), query=Q_SECRET, shows=True),
    ("POST", C): Row(
        team(201, agent_b=400, supervisor_b=400),
        json=lambda w: {"name": "new", "numbers": ["13800000000"], "company_id": w.company},
    ),
    ("GET", C + "/{id}"): Row(team(200), CID, shows=True),
    ("PATCH", C + "/{id}"): Row(team(200), CID, json=lambda w: {"region": "north"}, shows=True),
    ("DELETE", C + "/{id}"): Row(team(200), CID),
    ("POST", C + "/{id}/claim"): Row(team(200, supervisor_a=409, admin=409), CID, shows=True),
    ("POST", C + "/{id}/share"): Row(team(200), CID, json=lambda w: {"user_id": w.bystander}, shows=True),
    ("POST", C + "/{id}/notes"): Row(team(201), CID, json=lambda w: {"body": "called back"}),
    ("GET", C + "/{id}/timeline"): Row(team(200), CID, shows=True),
    ("GET", "/api/v1/identify"): Row(everyone(200), query=lambda w: {"number": w.phone}, shows=True),
    ("POST", "/api/v1/identify/pick"): Row(
        team(200, agent_b=400, supervisor_b=400),
        json=lambda w: {"number": w.phone, "customer_id": w.customer},
        shows=True,
    ),
    # service requests and complaints
    ("GET", R): Row(everyone(200), query=Q_SECRET, shows=True),
    ("POST", R): Row(
        team(201, agent_b=400, supervisor_b=400), json=lambda w: {"customer_id": w.customer, "subject": "s"}
    ),
    ("GET", R + "/{id}"): Row(team(200), RID, shows=True),
    ("PATCH", R + "/{id}"): Row(team(200), RID, json=lambda w: {"priority": "high"}, shows=True),
    ("DELETE", R + "/{id}"): Row(team(200), RID),
    ("POST", R + "/{id}/steps"): Row(
        team(200), RID, json=lambda w: {"action": "dispatch", "owner_id": w.bystander}, shows=True
    ),
    ("GET", R + "/{id}/history"): Row(team(200), RID),
    ("POST", R + "/{id}/articles"): Row(team(200), RID, json=lambda w: {"article_id": w.article}),
    ("POST", "/api/v1/complaints/escalate-overdue"): Row(only(*SUPERVISING, ok=200)),
    # callbacks
    ("GET", CB): Row(everyone(200), shows=True),
    ("POST", CB): Row(
        team(201, agent_b=400, supervisor_b=400),
        json=lambda w: {"number": w.phone, "customer_id": w.customer},
    ),
    ("GET", CB + "/due"): Row(everyone(200), shows=True),
    ("GET", CB + "/next"): Row(everyone(200)),
    ("GET", CB + "/{id}"): Row(team(200), BID, shows=True),
    ("DELETE", CB + "/{id}"): Row(team(200), BID),
    ("POST", CB + "/{id}/accept"): Row(team(409), BID),  # accepted, then no phone to dial from
    ("POST", CB + "/{id}/attempts"): Row(team(200), BID, json=lambda w: {"outcome": "no_answer"}, shows=True),
    ("POST", "/api/v1/do-not-call"): Row(everyone(200), json=lambda w: {"number": "13800000001"}),
    # outbound campaigns: managed by supervisors (own team) and administrators, worked by the team's agents
    ("GET", CMP): Row(everyone(200), shows=True),
    ("POST", CMP): Row(only(*SUPERVISING), json=NAMED),
    ("GET", CMP + "/{id}"): Row(team(200), KID, shows=True),
    ("PATCH", CMP + "/{id}"): Row(MANAGE_A, KID, json=lambda w: {"script": "read this"}),
    ("POST", CMP + "/{id}/start"): Row(MANAGE_A, KID),
    ("POST", CMP + "/{id}/pause"): Row(MANAGE_A, KID),
    ("POST", CMP + "/{id}/stop"): Row(MANAGE_A, KID),
    ("POST", CMP + "/{id}/entries/search"): Row(MANAGE_A, KID, json=lambda w: {"q": "x"}),
    ("POST", CMP + "/{id}/entries/import"): Row(MANAGE_A, KID),  # no CSV body: 400 naming the field
    ("GET", CMP + "/{id}/entries"): Row(team(200, agent_a=403, agent_b=403), KID, shows=True),
    ("GET", CMP + "/{id}/progress"): Row(team(200, agent_a=403, agent_b=403), KID),
    ("POST", CMP + "/{id}/next"): Row(team(PASS), KID),
    ("GET", CMP + "/attempts/current"): Row(everyone(PASS)),
    ("POST", CMP + "/attempts/{id}/dial"): Row(everyone(409), NONE),  # no phone to dial from
    ("POST", CMP + "/attempts/{id}/skip"): Row(everyone(404), NONE, json=lambda w: {"reason": "x"}),
    ("POST", CMP + "/attempts/{id}/outcome"): Row(everyone(404), NONE, json=lambda w: {"outcome": "busy"}),
    ("GET", "/api/v1/dnc"): Row(only(*SUPERVISING, ok=200)),
    ("POST", "/api/v1/dnc"): Row(only(*SUPERVISING), json=lambda w: {"number": "13800000002"}),
    ("DELETE", "/api/v1/dnc/{number}"): Row(only(*SUPERVISING), {"number": "=13800000002"}),
    # knowledge base (public to everyone signed in), audit trail, recycle bin
    ("GET", "/api/v1/kb/articles"): Row(everyone(200)),
    ("POST", "/api/v1/kb/articles"): Row(everyone(201), json=lambda w: {"question": "q", "answer": "a"}),
    ("GET", "/api/v1/kb/articles/{id}"): Row(everyone(200), {"id": "article"}),
    ("GET", "/api/v1/audit"): Row(
        only(*SUPERVISING, ok=200),
        query=lambda w: {"entity": "customer", "entity_id": w.customer},
        shows=True,
    ),
    ("GET", "/api/v1/recycle-bin"): Row(everyone(200), query=lambda w: {"entity": "customer"}, shows=True),
    ("POST", "/api/v1/recycle-bin/{entity}/{id}/restore"): Row(team(200, agent_a=403, agent_b=403), BIN),
    ("DELETE", "/api/v1/recycle-bin/{entity}/{id}"): Row(only(ADMIN, ok=200), BIN),
    # data rights: administrators only (a zip of everything; the erasure repeats the id to confirm)
    ("GET", C + "/{id}/export"): Row(only(ADMIN, ok=200), CID),
    ("POST", C + "/{id}/erase"): Row(only(ADMIN, ok=200), CID, json=lambda w: {"confirm": w.customer}),
    # recordings: the agent who took the call, their team's supervisor, administrators
    ("POST", "/api/recordings/mute"): Row(team(503), json=MUTE),  # allowed; no PBX link here
    ("POST", "/api/recordings/resume"): Row(team(503), json=MUTE),
    ("GET", "/api/recordings/mute/{pbx}/{call_id}"): Row(team(200), CALL),
    ("GET", "/api/recordings/{id}"): Row(team(200), REC),
    ("GET", "/api/recordings/{id}/audio"): Row(team(200), REC),
    # Prometheus: no session; [metrics] token as a bearer token, or (unset, as here) loopback clients not
    # behind a proxy, whoever they are (tests/e2e/test_metrics.py tries the token and a forwarded request)
    ("GET", "/metrics"): Row(everyone(200, anon=200)),
    # supervision
    ("GET", "/wallboard"): Row(only(*SUPERVISING, ok=200, anon=302)),
    ("GET", "/ws/wallboard"): Row(only(*SUPERVISING, ok=101), ws=True),
    # supervisor actions on team A's agent: agents 403, team B 404, team A / admin reach "no phone" (409)
    ("POST", "/api/supervisor/spy"): Row(ACT, json=lambda w: {"agent_id": w.owner, "mode": "listen"}),
    ("POST", "/api/supervisor/pause"): Row(ACT, json=lambda w: {"agent_id": w.owner, "reason": "break"}),
    ("POST", "/api/supervisor/unpause"): Row(ACT, json=lambda w: {"agent_id": w.owner}),
    ("POST", "/api/supervisor/logout"): Row(ACT, json=lambda w: {"agent_id": w.owner}),
    ("GET", "/calls"): Row(only(*SUPERVISING, ok=200, anon=302)),  # call history page
    ("GET", "/campaigns"): Row(only(*SUPERVISING, ok=200, anon=302)),  # campaigns page (a frame)
    ("GET", "/campaigns/{id}"): Row(only(*SUPERVISING, ok=200, anon=302), params=KID),  # data via the API
    ("GET", "/reports"): Row(only(*SUPERVISING, ok=200, anon=302)),
    ("GET", "/api/v1/calls"): Row(everyone(200), shows=True),  # an agent: their own calls only
    ("GET", "/api/v1/calls.csv"): Row(everyone(200), shows=True),
    ("GET", "/api/v1/reports/kpi"): Row(only(*SUPERVISING, ok=200), query=lambda w: {"by": "agent"}),
    ("GET", "/api/v1/reports/kpi.csv"): Row(only(*SUPERVISING, ok=200), query=lambda w: {"by": "queue"}),
    ("GET", "/api/v1/reports/agents"): Row(only(*SUPERVISING, ok=200)),
    ("GET", "/api/v1/reports/agents.csv"): Row(only(*SUPERVISING, ok=200)),
    # what every console needs from the administration
    ("GET", "/api/v1/dispositions"): Row(everyone(200)),
    ("GET", "/api/v1/pause-reasons"): Row(everyone(200)),
    ("GET", "/api/v1/directory"): Row(everyone(200)),
    ("GET", "/api/v1/openapi.json"): Row(everyone(200)),
    # administration API: administrators only
    ("GET", A + "/users"): Row(ADMINS),
    ("POST", A + "/users"): Row(ADMINS, json=lambda w: {}),
    ("GET", A + "/users/{id}"): Row(ADMINS, NONE),
    ("PATCH", A + "/users/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("POST", A + "/users/{id}/password"): Row(ADMINS, NONE, json=lambda w: {}),
    ("POST", A + "/users/{id}/deactivate"): Row(ADMINS, NONE),
    ("PUT", A + "/users/{id}/skills/{skill_id}"): Row(
        ADMINS, NONE | {"skill_id": "=999999"}, json=lambda w: {}
    ),
    ("DELETE", A + "/users/{id}/skills/{skill_id}"): Row(ADMINS, NONE | {"skill_id": "=999999"}),
    ("GET", A + "/teams"): Row(ADMINS),
    ("POST", A + "/teams"): Row(ADMINS, json=lambda w: {}),
    ("PATCH", A + "/teams/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("DELETE", A + "/teams/{id}"): Row(ADMINS, NONE),
    ("GET", A + "/skills"): Row(ADMINS),
    ("POST", A + "/skills"): Row(ADMINS, json=lambda w: {}),
    ("PATCH", A + "/skills/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("DELETE", A + "/skills/{id}"): Row(ADMINS, NONE),
    ("GET", A + "/queue-memberships"): Row(ADMINS),
    ("POST", A + "/queue-memberships"): Row(ADMINS, json=lambda w: {}),
    ("PATCH", A + "/queue-memberships/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("DELETE", A + "/queue-memberships/{id}"): Row(ADMINS, NONE),
    ("GET", A + "/dispositions"): Row(ADMINS),
    ("POST", A + "/dispositions"): Row(ADMINS, json=lambda w: {}),
    ("PATCH", A + "/dispositions/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("GET", A + "/pause-reasons"): Row(ADMINS),
    ("POST", A + "/pause-reasons"): Row(ADMINS, json=lambda w: {}),
    ("PATCH", A + "/pause-reasons/{id}"): Row(ADMINS, NONE, json=lambda w: {}),
    ("GET", A + "/audit"): Row(ADMINS),
    # administration pages: administrators only
    ("GET", "/admin"): Row(ADMIN_PAGE),
    ("GET", "/admin/recycle-bin"): Row(ADMIN_PAGE),
    ("POST", "/admin/recycle-bin/{entity}/{id}/restore"): Row(ADMIN_PAGE, BIN, form=lambda w: {}),
    ("POST", "/admin/recycle-bin/{entity}/{id}/purge"): Row(ADMIN_PAGE, BIN, form=lambda w: {}),
    ("GET", "/admin/audit"): Row(ADMIN_PAGE),
    ("GET", "/admin/users"): Row(ADMIN_PAGE),
    ("GET", "/admin/users/new"): Row(ADMIN_PAGE),
    ("POST", "/admin/users/new"): Row(ADMIN_PAGE, form=lambda w: {}),
    ("GET", "/admin/users/{id}"): Row(ADMIN_PAGE, NONE),
    ("POST", "/admin/users/{id}"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("POST", "/admin/users/{id}/password"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("POST", "/admin/users/{id}/deactivate"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("POST", "/admin/users/{id}/skills"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("POST", "/admin/users/{id}/skills/{skill_id}/remove"): Row(
        ADMIN_PAGE, NONE | {"skill_id": "=999999"}, form=lambda w: {}
    ),
    ("POST", "/admin/users/{id}/queues"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("GET", "/admin/{kind}"): Row(ADMIN_PAGE, {"kind": KINDS}),
    ("POST", "/admin/{kind}"): Row(ADMIN_PAGE, {"kind": KINDS}, form=NAMED),
    ("GET", "/admin/{kind}/{id}"): Row(ADMIN_PAGE, {"kind": KINDS, "id": "=999999"}),
    ("POST", "/admin/{kind}/{id}"): Row(ADMIN_PAGE, {"kind": KINDS, "id": "=999999"}, form=NAMED),
    ("POST", "/admin/{kind}/{id}/delete"): Row(ADMIN_PAGE, {"kind": ("=teams", "=skills"), "id": "=999999"}),
    ("GET", "/admin/queues"): Row(ADMIN_PAGE),
    ("POST", "/admin/queues"): Row(ADMIN_PAGE, form=lambda w: {}),
    ("POST", "/admin/queues/sync"): Row(ADMIN_PAGE, form=lambda w: {}),
    ("GET", "/admin/queues/{id}"): Row(ADMIN_PAGE, NONE),
    ("POST", "/admin/queues/{id}"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
    ("POST", "/admin/queues/{id}/remove"): Row(ADMIN_PAGE, NONE, form=lambda w: {}),
}


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route; HEAD is aiohttp's twin of each GET."""
    return {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}


def _paths(canonical: str, row: Row, world: World) -> list[str]:
    if row.path is not None:
        return [row.path]
    names = list(row.params)
    choices = [v if isinstance(v, tuple) else (v,) for v in row.params.values()]
    out = []
    for combo in itertools.product(*choices):
        path = canonical
        for name, value in zip(names, combo, strict=True):
            path = path.replace("{" + name + "}", world.value(value))
        assert "{" not in path, f"{canonical}: a path parameter has no value in its row"
        out.append(path)
    return out


async def _ask(http: aiohttp.ClientSession, method: str, url: str, row: Row, w: World) -> tuple[int, str]:
    if row.ws:
        try:
            socket = await http.ws_connect(url)
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status, exc.message
        await socket.close()
        return 101, ""
    kwargs: dict[str, Any] = {"allow_redirects": False}
    for name in ("json", "query", "form"):
        make = getattr(row, name)
        if make is not None:
            kwargs[{"query": "params", "form": "data"}.get(name, name)] = make(w)
    async with http.request(method, url, **kwargs) as resp:
        return resp.status, (await resp.read()).decode("utf-8", "replace")


def judge(role: str, expected: int, status: int, text: str, shows: bool) -> str | None:
    """What is wrong with one answer, or None."""
    if status >= 500 and status != expected:  # a designed 503 (no PBX link here) is expected
        return f"server error {status}"
    if expected == PASS and status in (401, 403):
        return f"refused ({status}) where the role must get through"
    if expected != PASS and status != expected:
        return f"expected {expected}, got {status}"
    if role in OUTSIDERS and SECRET in text:
        return "LEAK: team A's data in the answer"
    if shows and role in INSIDERS and 200 <= status < 300 and SECRET not in text:
        return "no team A data in the answer (the positive control failed)"
    return None


async def _run_row(stack: Stack, key: tuple[str, str], row: Row, shared: World) -> list[str]:
    method, canonical = key
    problems = []
    for role in ROLES:
        world = shared if method == "GET" else await _world(stack)
        http = await stack.client(role) if row.own_session else stack.clients[role]
        try:
            for path in _paths(canonical, row, world):
                status, text = await _ask(http, method, stack.base + path, row, world)
                wrong = judge(role, row.expect[role], status, text, row.shows)
                if wrong:
                    problems.append(f"{method} {path} as {role}: {wrong} | {text[:160]!r}")
        finally:
            if row.own_session:
                await http.close()
    return problems


@pytest.fixture
def stack(stack_each_db: Stack) -> Stack:
    """These run on SQLite and on PostgreSQL: the visibility rules are SQL."""
    return stack_each_db


async def _world(stack: Stack) -> World:
    return await build_world(stack.service.db, stack.store, stack.ids[AGENT_A], stack.ids["bystander"])


async def test_every_route_is_in_the_matrix(stack: Stack) -> None:
    served = served_routes(stack.service._runner.app)  # type: ignore[union-attr]
    missing = sorted(served - MATRIX.keys())
    gone = sorted(MATRIX.keys() - served)
    assert not missing, f"routes with no line in the authorization matrix: {missing}"
    assert not gone, f"matrix lines for routes the app no longer has: {gone}"


async def test_every_route_every_role_another_teams_object_zero_leaks(stack: Stack) -> None:
    served = served_routes(stack.service._runner.app)  # type: ignore[union-attr]
    shared = await _world(stack)
    problems: list[str] = []
    for key, row in MATRIX.items():
        if key in served:  # an unknown or stale row is the other test's failure
            problems += await _run_row(stack, key, row, shared)
    assert not problems, "\n".join(problems)
