"""No value we write to Asterisk can carry a line break, whatever string reaches the builder.

AMI actions are ``Header: value`` lines and FastAGI commands are single lines: a CR or LF inside
a value would start a header or command of the attacker's choosing. Every public AMI action
builder (found by introspection, so a new one is covered the day it is added) and every FastAGI
command path is tried with arbitrary strings: either it refuses (TelephonyError / IvrConfigError)
or nothing it produces holds CR, LF or NUL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import socket
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm_core.ports import TelephonyError
from cti import actions
from cti.actions import ActionBuilder, Dialplan
from ivr.agi import AgiChannel, quote
from ivr.config import IvrConfigError, build_config
from tests.ivr.helpers import example_config

FUZZ = settings(database=None, max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
BREAKS = ("\r", "\n", "\0")
VALID = st.sampled_from(
    ["PJSIP/1001", "13800138000", "+8613800138000", "support", "queue:support", "a1-2", ""]
)
# Arbitrary text, and plausible values with a line break (and a header to inject) spliced in.
VALUES = st.one_of(
    st.text(max_size=40),
    VALID,
    st.builds(
        lambda a, br, b: a + br + b,
        VALID,
        st.sampled_from(["\r", "\n", "\r\n", "\0"]),
        st.sampled_from(["", "Action: Originate", "Application: System", "EXEC System rm"]),
    ),
)


def strategy_for(param: inspect.Parameter) -> st.SearchStrategy[Any]:
    annotation = str(param.annotation)
    if annotation == "bool":
        return st.booleans()
    if annotation == "int":
        return st.integers(-5, 2000)
    if annotation == "float":
        return st.floats(allow_nan=True)
    return VALUES


BUILDERS = sorted(
    (name, fn)
    for name, fn in inspect.getmembers(ActionBuilder(), inspect.isroutine)
    if not name.startswith("_")
)


def test_every_public_builder_is_fuzzed_static_ones_too() -> None:
    public = {n for n in vars(ActionBuilder) if not n.startswith("_") and callable(getattr(ActionBuilder, n))}
    assert {name for name, _ in BUILDERS} == public and len(public) >= 16


def lines_of(action: dict[str, str | list[str]]) -> list[str]:
    return [v for value in action.values() for v in (value if isinstance(value, list) else [value])]


@FUZZ
@given(st.data())
def test_every_ami_action_builder_refuses_or_writes_no_line_break(data: st.DataObject) -> None:
    name, builder = data.draw(st.sampled_from(BUILDERS))
    params = inspect.signature(builder).parameters.values()
    args = {p.name: data.draw(strategy_for(p), label=p.name) for p in params}
    try:
        result = builder(**args)
    except TelephonyError as exc:
        assert exc.code == "invalid"
        return
    values = lines_of(result) if isinstance(result, dict) else list(result)
    assert all(isinstance(v, str) and not any(b in v for b in BREAKS) for v in values), (name, result)


@FUZZ
@given(st.data())
def test_dialplan_settings_and_validators_refuse_line_breaks(data: st.DataObject) -> None:
    fields = {f: data.draw(VALUES, label=f) for f in ("outbound_context", "callback_dial", "spy_context")}
    try:
        plan = Dialplan(**fields)
    except TelephonyError:
        plan = Dialplan()
    assert not any(b in str(getattr(plan, f.name)) for f in dataclasses.fields(plan) for b in BREAKS)
    for validator in (
        actions.number,
        actions.queue,
        actions.channel,
        actions.exten,
        actions.call_id,
        actions.state_interface,
        actions.caller_name,
        actions.spy_prefix,
    ):
        value = data.draw(VALUES)
        try:
            out = validator(value)
        except TelephonyError:
            continue
        assert not any(b in out for b in BREAKS), (validator.__name__, value)


@FUZZ
@given(st.text(max_size=60))
def test_an_agi_argument_is_one_quoted_token_without_line_breaks(value: str) -> None:
    quoted = quote(value)
    assert "\r" not in quoted and "\n" not in quoted
    assert quoted.startswith('"') and quoted.endswith('"')
    body = quoted[1:-1].replace("\\\\", "").replace('\\"', "")
    assert '"' not in body, "an unescaped quote would end the argument early"


NAMES = st.sampled_from(["crm/thanks", "sales", "menu:sales"])
CONFIG_VALUES = st.one_of(
    VALUES, st.builds(lambda a, br: a + br, NAMES, st.sampled_from(["\n", "\r", "\r\n", "\nEXEC System x"]))
)


@FUZZ
@given(key=st.sampled_from(["prompt", "invalid", "queue", "reason"]), value=CONFIG_VALUES)
@example(key="prompt", value="crm/thanks\n")  # found by this test: "$" matched before a final newline
def test_ivr_config_accepts_no_line_break_in_what_reaches_a_command(key: str, value: str) -> None:
    """Prompts go unquoted into STREAM FILE / GET DATA, queue names into SET VARIABLE."""
    raw = example_config()
    nodes = raw["flows"]["main"]["nodes"]
    nodes["fuzzed"] = {**next(n for n in nodes.values() if n.get("type") == "queue"), key: value}
    try:
        config = build_config(raw)
    except IvrConfigError:
        return
    fuzzed = config.flows["main"].nodes["fuzzed"]
    assert not any(b in str(getattr(fuzzed, key)) for b in BREAKS)


async def written_line(call: str, value: str) -> bytes:
    """What an AgiChannel puts on a real socket for one command built from `value`."""
    ours, theirs = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=ours)
    peer_reader, peer_writer = await asyncio.open_connection(sock=theirs)
    channel = AgiChannel(reader, writer, 2.0)
    peer_writer.write(b"200 result=0\n")
    try:
        if call == "set_variable":
            await channel.set_variable("__CRM_NOTE", value)
        else:
            await channel.stream("crm/thanks", value)
        writer.close()
        return await asyncio.wait_for(peer_reader.read(), 2)
    finally:
        peer_writer.close()


@FUZZ
@given(call=st.sampled_from(["set_variable", "stream"]), value=VALUES)
def test_an_agi_command_with_any_value_is_exactly_one_line_on_the_wire(call: str, value: str) -> None:
    sent = asyncio.run(written_line(call, value))
    assert sent.endswith(b"\n") and sent.count(b"\n") == 1 and b"\r" not in sent
