"""/admin/users: the list, creating a user, and one user's page (details, password, skills, queues)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agent_ui.access import require
from agent_ui.admin.forms import (
    actor,
    done,
    form_data,
    pager,
    path_int,
    refused_form,
    render,
    whole,
    window,
)
from agent_ui.admin.state import admin_services
from agent_ui.context import LANG_KEY
from agent_ui.i18n import translate
from crm_core.admin.checks import LANGUAGES, ROLES
from crm_core.domain_errors import CrmError, NotFound

FIELDS = ("display_name", "role", "team", "interface", "extension", "language")
FILTERS = ("q", "role", "team", "active")
OUTCOME_NOTICE = {"applied": "pbx_applied", "pending": "pbx_pending", "refused": "pbx_refused"}


def _fields(form: dict[str, str], with_active: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {k: form.get(k, "") for k in FIELDS}
    if with_active:
        fields["active"] = "active" in form
    return fields


async def _choices(request: web.Request) -> dict[str, Any]:
    """The (value, text) options of the role, language and team selects, in the page's language."""
    lang, admin = request.get(LANG_KEY, "zh-CN"), admin_services(request)
    return {
        "roles": [(r, translate(lang, f"admin.role.{r}")) for r in ROLES],
        "languages": [(code, translate(lang, f"admin.language.{code}")) for code in LANGUAGES],
        "teams": [(n, f"{label} ({n})" if label != n else n) for n, label in await admin.teams.names()],
    }


@require("admin")
async def users_list(request: web.Request) -> web.Response:
    q = request.query
    active = {"yes": True, "no": False}.get(q.get("active", ""))
    limit, offset = window(request)
    items, total = await admin_services(request).users.list(
        q.get("q", ""), q.get("role") or None, q.get("team") or None, active, limit, offset
    )
    ctx = {"users": items, "pager": pager(request, total, FILTERS), "filters": dict(q)}
    return render(request, "admin/users.html", ctx | await _choices(request))


@require("admin")
async def user_new(request: web.Request) -> web.Response:
    form = {"role": "agent", "language": "zh-CN"}
    return render(request, "admin/user_new.html", {"form": form} | await _choices(request))


@require("admin")
async def user_create(request: web.Request) -> web.Response:
    form = await form_data(request)
    try:
        fields = _fields(form, with_active=False)
        made = await admin_services(request).users.create(
            actor(request), form.get("login", ""), form.get("password", ""), **fields
        )
    except CrmError as exc:
        ctx = {"form": {k: v for k, v in form.items() if k != "password"}} | await _choices(request)
        return refused_form(request, "admin/user_new.html", ctx, exc)
    raise done(f"/admin/users/{made.id}", "created")


async def _user_page(request: web.Request, user_id: int) -> dict[str, Any]:
    admin = admin_services(request)
    try:
        user = await admin.users.get(user_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    memberships, _total = await admin.memberships.list(user_id=user_id, limit=200)
    all_skills = await admin.skills.all()
    return {
        "user": user,
        "form": user.data,
        "skills": await admin.skills.of_user(user_id),
        "all_skills": all_skills,
        "skill_options": [(k.id, f"{k.label} ({k.name})") for k in all_skills],
        "memberships": memberships,
        "pbxes": [(p, p) for p in sorted(admin.memberships.telephony)],
    } | await _choices(request)


@require("admin")
async def user_page(request: web.Request) -> web.Response:
    return render(request, "admin/user.html", await _user_page(request, path_int(request)))


async def _user_change(request: web.Request, change: Any, success: str, keep_form: bool = False) -> Any:
    """Run change(admin, actor, form); on refusal, the user's page again with the messages."""
    user_id = path_int(request)
    form = await form_data(request)
    try:
        result = await change(admin_services(request), actor(request), user_id, form)
    except NotFound:
        raise web.HTTPNotFound() from None
    except CrmError as exc:
        ctx = await _user_page(request, user_id)
        if keep_form:
            ctx["form"] = form
        ctx["posted"] = form
        return refused_form(request, "admin/user.html", ctx, exc)
    raise done(f"/admin/users/{user_id}", result if isinstance(result, str) else success)


@require("admin")
async def user_save(request: web.Request) -> web.Response:
    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> None:
        await admin.users.update(who, user_id, _fields(form, with_active=True))

    return await _user_change(request, change, "saved", keep_form=True)


@require("admin")
async def user_password(request: web.Request) -> web.Response:
    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> None:
        await admin.users.reset_password(who, user_id, form.get("password", ""))

    return await _user_change(request, change, "password")


@require("admin")
async def user_deactivate(request: web.Request) -> web.Response:
    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> None:
        await admin.users.deactivate(who, user_id)

    return await _user_change(request, change, "deactivated")


@require("admin")
async def user_skill_set(request: web.Request) -> web.Response:
    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> None:
        skill_id = whole("skill_id", form.get("skill_id"))
        await admin.skills.set_level(who, user_id, skill_id, whole("level", form.get("level")))

    return await _user_change(request, change, "saved")


@require("admin")
async def user_skill_remove(request: web.Request) -> web.Response:
    skill_id = path_int(request, "skill_id")

    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> None:
        await admin.skills.remove_from(who, user_id, skill_id)

    return await _user_change(request, change, "deleted")


@require("admin")
async def user_queue_add(request: web.Request) -> web.Response:
    async def change(admin: Any, who: Any, user_id: int, form: dict[str, str]) -> str:
        penalty = whole("penalty", form.get("penalty"), default=0)
        result = await admin.memberships.add(
            who, user_id, form.get("queue", ""), penalty, form.get("pbx", "")
        )
        return OUTCOME_NOTICE[result.outcome]

    return await _user_change(request, change, "saved")


def routes(app: web.Application) -> None:
    app.router.add_get("/admin/users", users_list)
    app.router.add_get("/admin/users/new", user_new)
    app.router.add_post("/admin/users/new", user_create)
    app.router.add_get("/admin/users/{id}", user_page)
    app.router.add_post("/admin/users/{id}", user_save)
    app.router.add_post("/admin/users/{id}/password", user_password)
    app.router.add_post("/admin/users/{id}/deactivate", user_deactivate)
    app.router.add_post("/admin/users/{id}/skills", user_skill_set)
    app.router.add_post("/admin/users/{id}/skills/{skill_id}/remove", user_skill_remove)
    app.router.add_post("/admin/users/{id}/queues", user_queue_add)
