"""A flow with a mistake is refused when the server is built, naming the flow and the key."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ivr import IvrConfigError, build_config
from tests.ivr.helpers import example_config


def broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(example_config())
    change(raw)
    return raw


def nodes(raw: dict[str, Any]) -> dict[str, Any]:
    return raw["flows"]["main"]["nodes"]


CASES = [
    (
        "unknown target",
        lambda r: nodes(r)["main_menu"]["choices"].update({"5": "nowhere"}),
        "[ivr.flows.main.nodes.main_menu] choices.5: unknown target 'nowhere'",
    ),
    (
        "missing prompt",
        lambda r: nodes(r)["status"].pop("prompt"),
        "[ivr.flows.main.nodes.status] prompt: missing prompt",
    ),
    (
        "duplicate digit",
        lambda r: nodes(r)["language"].update(choices={"1": "lang_zh", "1 ": "lang_en"}),
        "[ivr.flows.main.nodes.language] choices.1: duplicate digit",
    ),
    ("bad time", lambda r: r["hours"].update(open="9h"), "[ivr.hours] open: not a time HH:MM: '9h'"),
    (
        "unknown start",
        lambda r: r["flows"]["survey"].update(start="nope"),
        "[ivr.flows.survey] start: unknown target 'nope'",
    ),
    (
        "unknown after-hours",
        lambda r: r["flows"]["main"].update(after_hours="nope"),
        "[ivr.flows.main] after_hours: unknown target 'nope'",
    ),
    (
        "two-key choice",
        lambda r: nodes(r)["main_menu"]["choices"].update({"12": "sales"}),
        "[ivr.flows.main.nodes.main_menu] choices.12: a choice is one key",
    ),
    ("unknown type", lambda r: nodes(r)["sales"].update(type="queeu"), "[ivr.flows.main.nodes.sales] type:"),
    (
        "typo in a key",
        lambda r: nodes(r)["sales"].update(queu="x"),
        "[ivr.flows.main.nodes.sales] queu: unknown key",
    ),
    (
        "queue missing",
        lambda r: nodes(r)["sales"].pop("queue"),
        "[ivr.flows.main.nodes.sales] queue: missing",
    ),
    (
        "bad language",
        lambda r: nodes(r)["lang_en"].update(language="fr"),
        "[ivr.flows.main.nodes.lang_en] language: must be one of zh, en",
    ),
    ("bad holiday", lambda r: r["hours"].update(holidays=["2026-13-01"]), "[ivr.hours] holidays: not a date"),
    ("bad timezone", lambda r: r.update(timezone="Mars/Olympus"), "[ivr] timezone: unknown time zone"),
    (
        "bad retries",
        lambda r: nodes(r)["language"].update(retries=-1),
        "[ivr.flows.main.nodes.language] retries: must be a number from 0 to 10",
    ),
]


@pytest.mark.parametrize(("label", "change", "message"), CASES, ids=[c[0] for c in CASES])
def test_given_flow_mistake_then_refused_naming_flow_and_key(label: str, change: Any, message: str) -> None:
    with pytest.raises(IvrConfigError) as caught:
        build_config(broken(change))
    assert str(caught.value).startswith(message), str(caught.value)


def test_given_example_flow_then_accepted_with_defaults() -> None:
    config = build_config(example_config(port=4573))
    assert (config.host, config.port, config.default_flow) == ("127.0.0.1", 4573, "main")
    minimal = build_config({"flows": {"f": {"start": "a", "nodes": {"a": {"type": "hangup"}}}}})
    assert (minimal.host, minimal.port, str(minimal.timezone)) == ("127.0.0.1", 4573, "Asia/Shanghai")
