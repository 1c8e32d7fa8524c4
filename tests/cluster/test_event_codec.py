"""Domain events cross instances as JSON and come back equal to what was published."""

from __future__ import annotations

import pytest

from crm_core.event_codec import EVENT_TYPES, decode, encode
from crm_core.events import AgentStateChanged, CallEnded, CallOffered, PbxLinkChanged, SystemAlarm

EXAMPLES = [
    CallOffered("main", "1700.1", "Local/1001@agents/n", "13800138000", "王小明", "support", 1.5,
                variables={"CRM_CALLID": "x"}, reason="transfer", transferred_by="Local/1002@agents/n"),
    CallEnded("main", "1700.1", "answered", "13800138000", "王小明", "support", "Local/1001@agents/n", 9.0,
              1.0, 2.0, 1.0, 7.0, agents=("Local/1001@agents/n", "Local/1002@agents/n"), transferred=True),
    AgentStateChanged("main", "Local/1001@agents/n", "paused", "lunch", ("support", "sales"), 3.0),
    PbxLinkChanged("main", True, "logged in", 4.0),
    SystemAlarm("recordings", "disk_full", "store is full", 5.0, pbx="main"),
]  # fmt: skip


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_field_survives_the_round_trip_tuples_included(event: object) -> None:
    assert decode(encode(event)) == event


def test_every_domain_event_type_is_known_to_the_codec() -> None:
    assert {"CallQueued", "CallOffered", "CallEnded", "AgentStateChanged", "PbxResynced"} <= set(EVENT_TYPES)


@pytest.mark.parametrize(
    "text",
    ["", "[]", '{"type": "Nope", "data": {}}', '{"type": "PbxLinkChanged", "data": {"pbx": "x"}}', "{"],
)
def test_what_is_not_an_encoded_event_is_refused_with_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        decode(text)


def test_only_domain_events_are_encoded() -> None:
    with pytest.raises(ValueError):
        encode(object())
