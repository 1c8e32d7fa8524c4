"""What the CRM objects look like in answers, for the OpenAPI document (the contract test holds
the running app to them): every key the views always write, typed, nullable where it may be null."""

from __future__ import annotations

from typing import Any

INT: dict[str, Any] = {"type": "integer"}
STR: dict[str, Any] = {"type": "string"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


def _object(always: dict[str, Any], maybe_null: dict[str, Any]) -> dict[str, Any]:
    properties = always | {name: _nullable(schema) for name, schema in maybe_null.items()}
    return {"type": "object", "required": sorted(properties), "properties": properties}


def _list(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


CUSTOMER = _object(
    {"id": INT, "kind": STR, "name": STR, "phones": _list({"type": "object"}), "emails": _list(STR),
     "tags": _list(STR), "value_segment": STR, "region": STR, "industry": STR, "shared_with": _list(INT),
     "timezone": STR, "created_at": TIME},
    {"company": STR, "company_id": INT, "owner_id": INT},
)  # fmt: skip
TICKET = _object(
    {"id": INT, "number": STR, "type": STR, "subject": STR, "status": STR, "overdue": {"type": "boolean"},
     "due_at": TIME, "created_at": TIME},
    {"customer_id": INT, "contact_id": INT, "call_record_id": INT, "owner_id": INT, "created_by": INT,
     "resolved_at": TIME, "closed_at": TIME, "escalated_at": TIME},
)  # fmt: skip
CALLBACK = _object(
    {"id": INT, "number": STR, "status": STR, "source": STR, "attempts": INT, "max_attempts": INT,
     "created_at": TIME},
    {"customer_id": INT, "service_request_id": INT, "call_record_id": INT, "assigned_user_id": INT,
     "accepted_by": INT, "created_by": INT, "scheduled_at": TIME, "next_attempt_at": TIME},
)  # fmt: skip
OBJECTS = {"Customer": CUSTOMER, "Ticket": TICKET, "Callback": CALLBACK}
