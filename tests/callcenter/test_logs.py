"""Logs: one line per event, UTC, with pbx / call id / agent id; never a password, DTMF digits or a card."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from callcenter.logs import line_handler
from callcenter.service import Service
from crm_core.db import Database
from pbxsim.ami_server import AmiServer
from tests.e2e.conftest import AMI_SECRET, make_settings
from tests.ivr.helpers import running_ivr
from tests.polling import eventually

CARD = "4111 1111 1111 1111"  # a Luhn-valid test card number
KEYED = "2026987654"  # digits a caller keys in the IVR
PASSWORD, WRONG = "Corr3ct-Horse-5512", "Wr0ng-Battery-7781"


class Captured:
    def __init__(self, style: str) -> None:
        self.stream = io.StringIO()
        self.handler = line_handler(style, self.stream)

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()


def _capture(style: str) -> Iterator[Captured]:
    """Every logger at DEBUG through the product's handler, as the service runs it."""
    captured = Captured(style)
    root = logging.getLogger()
    level = root.level
    root.addHandler(captured.handler)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.setLevel(level)


@pytest.fixture
def kv() -> Iterator[Captured]:
    yield from _capture("keyvalue")


@pytest.fixture
def as_json() -> Iterator[Captured]:
    yield from _capture("json")


def test_every_record_is_one_utc_line_with_pbx_call_and_agent(kv: Captured) -> None:
    log = logging.getLogger("cti.test")
    log.warning("AMI link lost pbx=%s call=%s: %s", "main", "1764445438.12", "reset\nby peer")
    log.info("pop sent", extra={"pbx": "main", "call_id": "1764445438.12", "agent_id": 7})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("handler failed pbx=main")
    lines = kv.lines
    assert len(lines) == 3  # the message's newline and the traceback stay inside their line
    assert lines[0].startswith("ts=") and lines[0].split()[0].endswith("Z")
    assert "pbx=main call_id=1764445438.12" in lines[0] and "level=WARNING" in lines[0]
    assert "pbx=main call_id=1764445438.12 agent_id=7" in lines[1]
    assert 'exc="Traceback' in lines[2] and "RuntimeError: boom" in lines[2]


def test_json_lines_parse_and_carry_the_same_fields(as_json: Captured) -> None:
    logging.getLogger("agent_ui.hub").info(
        "call offered pbx=%s call=%s", "main", "17.1", extra={"agent_id": 3}
    )
    record = json.loads(as_json.lines[0])
    assert record["pbx"] == "main" and record["call_id"] == "17.1" and record["agent_id"] == 3
    assert record["ts"].endswith("Z") and record["level"] == "INFO" and record["logger"] == "agent_ui.hub"


def test_given_card_like_numbers_passwords_and_digits_in_any_shape_then_masked(kv: Captured) -> None:
    log = logging.getLogger("somewhere")
    log.info("customer said %s and 4111-1111-1111-1111 and 4111111111111111", CARD)
    log.info("sent %s", {"Action": "Login", "Username": "crm", "Secret": AMI_SECRET})
    log.info("password=%s dtmf=%s digits: %s Authorization: Bearer %s", WRONG, "1234#", KEYED, "tok3n-xyz")
    log.error("failed", exc_info=ValueError(f"bad card {CARD} password={PASSWORD}"))
    text = kv.stream.getvalue()
    for secret in ("4111", AMI_SECRET, WRONG, PASSWORD, "1234#", KEYED, "tok3n-xyz"):
        assert secret not in text
    assert text.count("[card]") == 4
    log.info("caller +8613800138000 uniqueid 1764445438.123 at 1800000000.250000")
    assert "+8613800138000" in kv.lines[-1] and "1764445438.123" in kv.lines[-1]  # ids stay readable


async def test_given_a_caller_keying_digits_in_the_ivr_then_no_log_line_has_them(
    db: Database, kv: Captured
) -> None:
    async with running_ivr(db) as ivr:
        _result, call = await ivr.call(["1", "3", KEYED, "12", "1"])
    assert call.steps[-1] == "sales"  # the request number was keyed and looked up
    assert kv.lines and KEYED not in kv.stream.getvalue()


async def test_given_logins_and_an_ami_login_then_no_password_or_secret_in_the_logs(
    tmp_path: Path, kv: Captured
) -> None:
    ami = AmiServer("crm", AMI_SECRET)
    await ami.start()
    svc = Service(make_settings(tmp_path, ami.port))
    try:
        await svc.start()
        await svc.users.create("agent7", PASSWORD, "Agent 7")
        await eventually(lambda: svc.pbx_links["test"].connected)
        async with aiohttp.ClientSession() as http:
            for password, status in ((WRONG, 401), (PASSWORD, 200)):
                url = f"http://127.0.0.1:{svc.web_port}/api/session"
                async with http.post(url, json={"login": "agent7", "password": password}) as resp:
                    assert resp.status == status
    finally:
        await svc.stop()
        await ami.stop()
    text = kv.stream.getvalue()
    assert "login refused" in text and "AMI logged in" in text  # both were logged, redacted
    assert WRONG not in text and PASSWORD not in text and AMI_SECRET not in text
