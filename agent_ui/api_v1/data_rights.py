"""/api/v1/customers/{id}/export and /erase: a person's data handed over, or erased (administrators).

The export streams a zip built in a temporary folder that is removed once sent; the erasure
must repeat the customer's id in `confirm`, so no stray POST can erase someone.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from agent_ui.api_v1.base import Route, path_id
from agent_ui.api_v1.schema import F
from agent_ui.api_v1.services import CrmServices
from agent_ui.errors import json_error
from agent_ui.recordings_api import ACCESS
from crm_core.data_rights.service import DataRights
from crm_core.users import UserView

DATA_RIGHTS = web.AppKey("data_rights", DataRights)
ADMIN = ("admin",)
CHUNK = 256 * 1024
ERASE = {"confirm": F("integer", required=True, minimum=1)}


def setup(app: web.Application, rights: DataRights) -> None:
    """Hand in the service the composition root built (with the recording store)."""
    app[DATA_RIGHTS] = rights


def service(request: web.Request, crm: CrmServices) -> DataRights | None:
    """The configured service; else one on the app's recording store; None without a store."""
    rights = request.app.get(DATA_RIGHTS)
    if rights is None and ACCESS in request.app:
        rights = DataRights(crm.customers.db, request.app[ACCESS].store)
    return rights


async def export(request: web.Request, crm: CrmServices, user: UserView, _: Any) -> web.StreamResponse:
    customer_id = path_id(request)
    rights = service(request, crm)
    if rights is None:
        return json_error(request, 503, "data_rights.no_store")
    folder = Path(tempfile.mkdtemp(prefix="crm-export-"))
    try:
        result = await rights.export(customer_id, folder, user)
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": f'attachment; filename="{result.path.name}"',
                "Cache-Control": "no-store",
            }
        )
        response.content_length = result.path.stat().st_size
        await response.prepare(request)
        with result.path.open("rb") as f:
            while chunk := f.read(CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def erase(request: web.Request, crm: CrmServices, user: UserView, body: dict[str, Any]) -> Any:
    customer_id = path_id(request)
    if body["confirm"] != customer_id:
        return json_error(request, 400, "data_rights.confirm", field="confirm")
    rights = service(request, crm)
    if rights is None:
        return json_error(request, 503, "data_rights.no_store")
    return await rights.erase(customer_id, user)


C = "/api/v1/customers/{id}"
ROUTES = [
    Route(
        "GET", C + "/export", export, "Export everything about a customer (zip)", response="Zip", roles=ADMIN
    ),
    Route("POST", C + "/erase", erase, "Erase a customer's personal data", ERASE, roles=ADMIN),
]
