"""The call a piece of work is linked to, as /api/v1 payloads name it.

Service requests, complaints, callbacks and notes made from the pop-up name their call by
`pbx` + `call_id` (all the pop-up knows), other clients by `call_record_id`. One reading for
all of them: the call must exist and be one the user may see, else 400 naming the field
(a call the user may not see answers like a missing one, and the refusal is audited).
"""

from __future__ import annotations

from typing import Any

from agent_ui.api_v1.schema import F
from agent_ui.api_v1.services import CrmServices
from crm_core.domain_errors import Invalid
from crm_core.users import UserView

CALL_LINK = {
    "call_record_id": F("integer", nullable=True, minimum=1),
    "pbx": F("string", max_length=64),
    "call_id": F("string", max_length=64),
}


async def link_call(crm: CrmServices, user: UserView, body: dict[str, Any]) -> None:
    """Replace body's pbx + call_id by the call_record_id they name, once the user may see it."""
    pbx, call_id = body.pop("pbx", None), body.pop("call_id", None)
    if (pbx is None) != (call_id is None):
        raise Invalid("call_id" if call_id is None else "pbx", "pbx and call_id go together")
    field = "call_record_id"
    if pbx is not None:
        if body.get("call_record_id") is not None:
            raise Invalid("call_record_id", "name the call by call_record_id or by pbx and call_id, not both")
        body["call_record_id"] = await crm.call_links.resolve(pbx, call_id)
        field = "call_id"
    await crm.access.check_field(user, field, "call_record", body.get("call_record_id"), "link")
