"""/api/v1/admin/*: the administration as JSON (administrators only), and the three lists every
signed-in console reads: dispositions, pause reasons and the transfer directory."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.admin.forms import day
from agent_ui.admin.state import admin_services
from agent_ui.api_v1.base import PAGING, Route, page, paging, path_id
from agent_ui.api_v1.schema import F, query_int
from agent_ui.api_v1.services import CrmServices
from agent_ui.context import LANG_KEY
from crm_core.admin.checks import LANGUAGES, ROLES
from crm_core.admin.codes import CodeList
from crm_core.admin.directory import directory as read_directory
from crm_core.admin.views import MembershipChange
from crm_core.users import UserView

ADMIN = ("admin",)
_TEXT = F("string", max_length=128)
USER_EDIT = {
    "display_name": _TEXT,
    "role": F("string", enum=ROLES),
    "team": F("string", nullable=True, max_length=64),
    "interface": F("string", nullable=True, max_length=128),
    "extension": F("string", nullable=True, max_length=32),
    "language": F("string", enum=LANGUAGES),
    "active": F("boolean"),
}
USER_NEW = USER_EDIT | {
    "login": F("string", required=True, max_length=64),
    "password": F("string", required=True, max_length=256),
}
NAMED = {"name": F("string", required=True, max_length=64), "label": F("string", required=True)}
LABEL = {"label": F("string", required=True, max_length=128)}
CODE_EDIT = {"label_zh": _TEXT, "label_en": _TEXT, "active": F("boolean"), "sort_order": F("integer")}
CODE_NEW = CODE_EDIT | {
    "code": F("string", required=True, max_length=64),
    "label_zh": F("string", required=True, max_length=128),
    "label_en": F("string", required=True, max_length=128),
}
MEMBER_NEW = {
    "user_id": F("integer", required=True, minimum=1),
    "queue": F("string", required=True, max_length=64),
    "penalty": F("integer", minimum=0, maximum=1000),
    "pbx": F("string", max_length=64),
}


async def list_users(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    q = request.query
    active = {"true": True, "false": False}.get(q.get("active", ""))
    admin = admin_services(request)
    items, total = await admin.users.list(
        q.get("q", ""), q.get("role") or None, q.get("team") or None, active, limit, offset
    )
    return page(items, total, limit, offset)


async def create_user(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    login, password = body.pop("login"), body.pop("password")
    return (await admin_services(request).users.create(user, login, password, **body)).to_json()


async def get_user(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    admin, user_id = admin_services(request), path_id(request)
    found = await admin.users.get(user_id)
    memberships, _total = await admin.memberships.list(user_id=user_id, limit=200)
    skills = await admin.skills.of_user(user_id)
    return found.to_json() | {
        "skills": [s.to_json() for s in skills],
        "queues": [m.to_json() for m in memberships],
    }


async def patch_user(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return (await admin_services(request).users.update(user, path_id(request), body)).to_json()


async def reset_password(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    await admin_services(request).users.reset_password(user, path_id(request), body["password"])
    return {"reset": True}


async def deactivate(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return (await admin_services(request).users.deactivate(user, path_id(request))).to_json()


async def set_skill(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    skills = admin_services(request).skills
    held = await skills.set_level(user, path_id(request), path_id(request, "skill_id"), body["level"])
    return held.to_json()


async def remove_skill(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    await admin_services(request).skills.remove_from(user, path_id(request), path_id(request, "skill_id"))
    return {"removed": True}


def _named(kind: str) -> list[Route]:
    """GET/POST /api/v1/admin/<kind>, PATCH/DELETE /api/v1/admin/<kind>/{id} (teams, skills)."""

    async def listing(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
        limit, offset = paging(request)
        items, total = await getattr(admin_services(request), kind).list(limit, offset)
        return page(items, total, limit, offset)

    async def create(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
        service = getattr(admin_services(request), kind)
        return (await service.create(user, body["name"], body["label"])).to_json()

    async def update(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
        service = getattr(admin_services(request), kind)
        return (await service.update(user, path_id(request), body["label"])).to_json()

    async def delete(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
        await getattr(admin_services(request), kind).delete(user, path_id(request))
        return {"deleted": True}

    for handler, verb in ((listing, "list"), (create, "create"), (update, "update"), (delete, "delete")):
        handler.__name__ = f"{verb}_{kind}"
    base, one = f"{A}/{kind}", f"{A}/{kind}/{{id}}"
    return [
        Route("GET", base, listing, f"List {kind}", query=PAGING, roles=ADMIN),
        Route("POST", base, create, f"Create one of the {kind}", NAMED, status=201, roles=ADMIN),
        Route("PATCH", one, update, "Change the label", LABEL, roles=ADMIN),
        Route("DELETE", one, delete, "Delete (409 for a team with members)", roles=ADMIN),
    ]


def _codes(slug: str, attr: str) -> list[Route]:
    """Administration of a code list, and the list the console reads (active, in its language)."""

    def service(request: web.Request) -> CodeList:
        return getattr(admin_services(request), attr)

    async def listing(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
        return {"items": [c.to_json() for c in await service(request).list()]}

    async def create(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
        return (await service(request).create(user, body.pop("code"), **body)).to_json()

    async def update(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
        return (await service(request).update(user, path_id(request), body)).to_json()

    async def active(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
        return {"items": await service(request).labels(request.get(LANG_KEY, "zh-CN"))}

    for handler, verb in ((listing, "admin_list"), (create, "create"), (update, "update"), (active, "list")):
        handler.__name__ = f"{verb}_{attr}"
    return [
        Route("GET", f"{A}/{slug}", listing, f"Every {slug} code, active or not", roles=ADMIN),
        Route("POST", f"{A}/{slug}", create, f"Add a {slug} code", CODE_NEW, status=201, roles=ADMIN),
        Route(
            "PATCH", f"{A}/{slug}/{{id}}", update, "Relabel, reorder, (de)activate", CODE_EDIT, roles=ADMIN
        ),
        Route("GET", f"/api/v1/{slug}", active, f"Active {slug}: code and label in the request's language"),
    ]


def _change(change: MembershipChange) -> Any:
    return change.to_json()


async def list_memberships(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    user_id = query_int(request.query, "user_id", None, 1)
    memberships = admin_services(request).memberships
    items, total = await memberships.list(user_id, request.query.get("queue") or None, limit, offset)
    return page(items, total, limit, offset)


async def add_membership(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    memberships = admin_services(request).memberships
    pbx, penalty = body.get("pbx", ""), body.get("penalty", 0)
    return _change(await memberships.add(user, body["user_id"], body["queue"], penalty, pbx))


async def set_penalty(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    return _change(await admin_services(request).memberships.update(user, path_id(request), body["penalty"]))


async def remove_membership(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    return _change(await admin_services(request).memberships.remove(user, path_id(request)))


async def audit_log(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    limit, offset = paging(request)
    q = request.query
    items, total = await admin_services(request).audit.search(
        q.get("entity") or None,
        query_int(q, "entity_id", None, 1),
        query_int(q, "user_id", None, 1),
        day("since", q.get("since")),
        day("until", q.get("until")),
        limit,
        offset,
    )
    return page(items, total, limit, offset)


async def directory(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> Any:
    admin = admin_services(request)
    return await read_directory(admin.users.db, admin.memberships)


A = "/api/v1/admin"
U = A + "/users/{id}"
M = A + "/queue-memberships"
USER_FILTERS = {"q": "login or name", "role": "role", "team": "team name", "active": "true|false"}
AUDIT_FILTERS = {"entity": "e.g. user, customer", "entity_id": "id", "user_id": "who"}
AUDIT_FILTERS |= {"since": "first day (YYYY-MM-DD, UTC)", "until": "last day (YYYY-MM-DD, UTC)"}
ROUTES = [
    Route("GET", A + "/users", list_users, "List users", query=USER_FILTERS | PAGING, roles=ADMIN),
    Route("POST", A + "/users", create_user, "Create a user", USER_NEW, status=201, roles=ADMIN),
    Route("GET", U, get_user, "A user with their skills and queues", roles=ADMIN),
    Route("PATCH", U, patch_user, "Change a user (409: the last administrator)", USER_EDIT, roles=ADMIN),
    Route(
        "POST",
        U + "/password",
        reset_password,
        "Set a new password (ends the user's sessions)",
        {"password": F("string", required=True, max_length=256)},
        roles=ADMIN,
    ),
    Route("POST", U + "/deactivate", deactivate, "Deactivate: sessions end, queues are left", roles=ADMIN),
    Route(
        "PUT",
        U + "/skills/{skill_id}",
        set_skill,
        "Give a skill at a level 1-10",
        {"level": F("integer", required=True)},
        roles=ADMIN,
    ),
    Route("DELETE", U + "/skills/{skill_id}", remove_skill, "Take a skill away", roles=ADMIN),
    *_named("teams"),
    *_named("skills"),
    Route(
        "GET",
        M,
        list_memberships,
        "Queue memberships",
        query={"user_id": "u", "queue": "q"} | PAGING,
        roles=ADMIN,
    ),
    Route("POST", M, add_membership, "Put a user in a queue (QueueAdd)", MEMBER_NEW, status=201, roles=ADMIN),
    Route(
        "PATCH",
        M + "/{id}",
        set_penalty,
        "Change the penalty",
        {"penalty": F("integer", required=True, minimum=0, maximum=1000)},
        roles=ADMIN,
    ),
    Route("DELETE", M + "/{id}", remove_membership, "Take a user out of a queue (QueueRemove)", roles=ADMIN),
    *_codes("dispositions", "dispositions"),
    *_codes("pause-reasons", "pause_reasons"),
    Route(
        "GET", A + "/audit", audit_log, "Search the audit trail", query=AUDIT_FILTERS | PAGING, roles=ADMIN
    ),
    Route("GET", "/api/v1/directory", directory, "Agents and queues a call can be transferred to"),
]
