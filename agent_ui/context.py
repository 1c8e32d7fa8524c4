"""What the web application holds: the services it calls and the hub, as typed app keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from agent_ui.hub import ConsoleHub
from crm_core.calls import CallRecordService
from crm_core.customers import CustomerService
from crm_core.kpi.settings import KpiSettings
from crm_core.ports import Telephony
from crm_core.sessions import SessionService
from crm_core.users import UserService, UserView

if TYPE_CHECKING:  # api_v1 imports this module: a runtime import would be circular
    from agent_ui.api_v1.services import CrmServices
    from agent_ui.wallboard.hub import WallboardHub


@dataclass(frozen=True)
class UiServices:
    users: UserService
    customers: CustomerService
    sessions: SessionService
    hub: ConsoleHub
    telephony: dict[str, Telephony]  # by PBX name
    secure_cookies: bool = False
    calls: CallRecordService | None = None
    crm: CrmServices | None = None  # built from config by the composition root; defaults otherwise
    public_origin: str = ""  # e.g. "https://crm.example.com" behind a TLS proxy; "" = the request's own
    wrapup_seconds: float = 0.0  # [crm].wrapup_seconds: the console counts wrap-up down from it
    wallboard: WallboardHub | None = None  # subscribed to the bus by the composition root
    kpi: KpiSettings = field(default_factory=KpiSettings)  # [kpi]: how report and wallboard figures are made


SERVICES = web.AppKey("services", UiServices)
USER_KEY = web.RequestKey("user", UserView)  # the signed-in user
LANG_KEY = web.RequestKey("lang", str)  # the language of this request
SESSION_COOKIE = "crm_session"


def current_user(request: web.Request) -> UserView | None:
    return request.get(USER_KEY)
