"""The [ivr] table checked once at start-up: every mistake is named by flow and key, never found mid-call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NODE_TYPES = ("menu", "language", "identify", "sr_status", "queue", "callback", "survey", "hangup")
LANGUAGES = ("zh", "en")
_DIGIT = re.compile(r"^[0-9*#]$")
_PROMPT = re.compile(r"^[A-Za-z0-9_./-]{1,120}$")
_NAME = re.compile(r"^[A-Za-z0-9_:.,@/-]{1,64}$")  # queue names and reasons go into the dialplan
# fullmatch, not match: "$" also matches before a trailing newline (a line break in an AGI command).


class IvrConfigError(ValueError):
    """A mistake in the [ivr] configuration; the message names the flow and key."""


@dataclass(frozen=True)
class Node:
    """One step of a flow; which fields matter depends on `type` (see docs/IVR.md)."""

    name: str
    type: str
    prompt: str = ""
    choices: dict[str, str] = field(default_factory=dict)
    timeout: float = 5.0
    retries: int = 2
    invalid: str = ""
    fail: str = ""
    next: str = ""
    language: str = ""
    queue: str = ""
    reason: str = ""
    kind: str = "customer"
    digits: int = 0
    confirm: str = ""
    thanks: str = ""
    sorry: str = ""


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    after_hours: str
    nodes: dict[str, Node]


@dataclass(frozen=True)
class Hours:
    days: frozenset[int]
    open: time
    close: time
    holidays: frozenset[date]


@dataclass(frozen=True)
class IvrConfig:
    host: str
    port: int
    pbx: str
    timezone: ZoneInfo
    default_flow: str
    hours: Hours
    flows: dict[str, Flow]
    priority_high: int = 10
    priority_normal: int = 0
    preferred_timeout: int = 15
    env_timeout: float = 5.0
    command_timeout: float = 120.0
    max_sessions: int = 500


def _fail(where: str, message: str) -> IvrConfigError:
    return IvrConfigError(f"[ivr{where}] {message}")


def _time(value: Any, key: str) -> time:
    try:
        hh, mm = str(value).split(":")
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise _fail(".hours", f"{key}: not a time HH:MM: {value!r}") from exc


def _hours(raw: dict[str, Any]) -> Hours:
    days = raw.get("days", list(DAYS[:5]))
    bad = [d for d in days if d not in DAYS]
    if bad:
        raise _fail(".hours", f"days: unknown day {bad[0]!r} (use {', '.join(DAYS)})")
    opens, closes = _time(raw.get("open", "09:00"), "open"), _time(raw.get("close", "18:00"), "close")
    if closes <= opens:
        raise _fail(".hours", "close: must be after open")
    holidays: set[date] = set()
    for value in raw.get("holidays", []):
        try:
            holidays.add(date.fromisoformat(str(value)))
        except ValueError as exc:
            raise _fail(".hours", f"holidays: not a date YYYY-MM-DD: {value!r}") from exc
    return Hours(frozenset(DAYS.index(d) for d in days), opens, closes, frozenset(holidays))


def _number(raw: dict[str, Any], key: str, default: float, where: str, low: float, high: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise _fail(where, f"{key}: must be a number from {low} to {high}, got {value!r}")
    return value


def build_config(raw: dict[str, Any]) -> IvrConfig:
    """Validate the parsed [ivr] table into typed settings (raises IvrConfigError)."""
    try:
        tz = ZoneInfo(str(raw.get("timezone", "Asia/Shanghai")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _fail("", f"timezone: unknown time zone {raw.get('timezone')!r}") from exc
    flows_raw = raw.get("flows")
    if not isinstance(flows_raw, dict) or not flows_raw:
        raise _fail("", "flows: at least one flow is needed")
    flows = {name: _flow(name, body) for name, body in flows_raw.items()}
    default = str(raw.get("default_flow", next(iter(flows))))
    if default not in flows:
        raise _fail("", f"default_flow: unknown flow {default!r}")
    return IvrConfig(
        host=str(raw.get("host", "127.0.0.1")),
        port=int(_number(raw, "port", 4573, "", 0, 65535)),
        pbx=str(raw.get("pbx", "default")),
        timezone=tz,
        default_flow=default,
        hours=_hours(raw.get("hours", {})),
        flows=flows,
        priority_high=int(_number(raw, "priority_high", 10, "", 0, 1000)),
        priority_normal=int(_number(raw, "priority_normal", 0, "", 0, 1000)),
        preferred_timeout=int(_number(raw, "preferred_timeout", 15, "", 1, 600)),
        env_timeout=float(_number(raw, "env_timeout", 5.0, "", 0.05, 60)),
        command_timeout=float(_number(raw, "command_timeout", 120.0, "", 0.05, 3600)),
        max_sessions=int(_number(raw, "max_sessions", 500, "", 1, 100000)),
    )


def _flow(name: str, body: Any) -> Flow:
    where = f".flows.{name}"
    if not isinstance(body, dict) or not isinstance(body.get("nodes"), dict) or not body["nodes"]:
        raise _fail(where, "nodes: a flow needs at least one node")
    nodes = {key: _node(f"{where}.nodes.{key}", key, value) for key, value in body["nodes"].items()}
    start = str(body.get("start", ""))
    if start not in nodes:
        raise _fail(where, f"start: unknown target {start!r}")
    after = str(body.get("after_hours", ""))
    if after and after not in nodes:
        raise _fail(where, f"after_hours: unknown target {after!r}")
    for node in nodes.values():
        _check_targets(f"{where}.nodes.{node.name}", node, nodes)
    return Flow(name, start, after, nodes)


def _check_targets(where: str, node: Node, nodes: dict[str, Node]) -> None:
    targets = [("next", node.next), ("fail", node.fail)]
    targets += [(f"choices.{digit}", target) for digit, target in node.choices.items()]
    for key, target in targets:
        if target and target not in nodes:
            raise _fail(where, f"{key}: unknown target {target!r}")
    needs_next = {"language": "next", "sr_status": "next", "identify": "next"}
    if node.type in needs_next and not node.next:
        raise _fail(where, "next: missing target")


def _node(where: str, name: str, raw: Any) -> Node:
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    kind = raw.get("type")
    if kind not in NODE_TYPES:
        raise _fail(where, f"type: must be one of {', '.join(NODE_TYPES)}, got {kind!r}")
    known = set(Node.__dataclass_fields__) - {"name"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(where, f"{unknown[0]}: unknown key")
    for key in ("prompt", "invalid", "confirm", "thanks", "sorry"):
        if raw.get(key) and not _PROMPT.fullmatch(str(raw[key])):
            raise _fail(where, f"{key}: not a sound file name: {raw[key]!r}")
    needs_prompt = kind in ("menu", "identify", "sr_status", "survey")
    if needs_prompt and not raw.get("prompt"):
        raise _fail(where, "prompt: missing prompt")
    node = Node(
        name=name,
        type=kind,
        choices=_choices(where, raw.get("choices", {}), kind),
        timeout=float(_number(raw, "timeout", 5.0, where, 0.5, 60)),
        retries=int(_number(raw, "retries", 2, where, 0, 10)),
        digits=int(_number(raw, "digits", 0, where, 0, 20)),
        **{k: str(raw[k]) for k in raw if k not in ("type", "choices", "timeout", "retries", "digits")},
    )
    _check_kind(where, node)
    return node


def _choices(where: str, raw: Any, kind: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _fail(where, "choices: must be a table of digit = target")
    if kind == "menu" and not raw:
        raise _fail(where, "choices: a menu needs at least one choice")
    seen: dict[str, str] = {}
    for digit, target in raw.items():
        key = str(digit).strip()
        if not _DIGIT.fullmatch(key):
            raise _fail(where, f"choices.{digit}: a choice is one key 0-9, * or #")
        if key in seen:
            raise _fail(where, f"choices.{key}: duplicate digit")
        seen[key] = str(target)
    return seen


def _check_kind(where: str, node: Node) -> None:
    if node.type == "language" and node.language not in LANGUAGES:
        raise _fail(where, f"language: must be one of {', '.join(LANGUAGES)}")
    if node.type in ("queue", "callback") and not node.queue:
        raise _fail(where, "queue: missing queue name")
    for key in ("queue", "reason"):
        value = getattr(node, key)
        if value and not _NAME.fullmatch(value):
            raise _fail(where, f"{key}: letters, digits and _:.,@/- only, at most 64: {value!r}")
    if node.type == "identify" and node.kind not in ("customer", "request"):
        raise _fail(where, "kind: must be customer or request")
    if node.type == "identify" and node.kind == "customer" and not node.digits:
        raise _fail(where, "digits: a customer number needs its length (digits, Luhn check digit last)")
