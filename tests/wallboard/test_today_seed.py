"""Today's figures survive a restart: they are seeded from the call records when the service starts.

The first service writes call records (as if it had handled them earlier today), stops; a
second one on the same database starts and a screen's snapshot shows the figures, worked
out by hand below ([kpi] defaults: T = 20 s, short abandons under 5 s left out, unanswered
calls counted in the service level when they waited over T; days cut in Asia/Shanghai).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from agent_ui.wallboard.today import Today
from callcenter.service import Service
from crm_core.kpi import KpiSettings
from crm_core.models import CallRecord
from pbxsim.ami_server import AmiServer
from pbxsim.pbx import Pbx
from tests.e2e.conftest import PASSWORD, ami, make_settings, pbx  # noqa: F401  (shared fixtures)
from tests.polling import eventually
from tests.wallboard.screen import open_screen


def _record(call_id: str, started: datetime, outcome: str | None, wait: float, **kw: object) -> CallRecord:
    fields = {
        "pbx": "test",
        "direction": "inbound",
        "queue": "support",
        "status": "ended" if outcome else "answered",
    }
    return CallRecord(
        call_id=call_id, started_at=started, outcome=outcome, wait_seconds=wait,
        ended_at=started + timedelta(seconds=wait + 30) if outcome else None, notes="", **(fields | kw),
    )  # fmt: skip


async def test_a_restarted_service_shows_todays_figures_from_the_call_records(
    tmp_path: Path,
    ami: AmiServer,  # noqa: F811
    pbx: Pbx,  # noqa: F811
) -> None:
    settings = make_settings(tmp_path, ami.port)
    midnight, _ = Today(KpiSettings(timezone="Asia/Shanghai")).bounds(time.time())
    first = Service(settings)
    await first.start()
    try:
        await first.users.create("admin1", PASSWORD, "Admin", role="admin")
        async with first.db.write() as s:
            s.add_all([
                _record("a1", midnight + timedelta(seconds=1), "answered", 10),  # in time
                _record("a2", midnight + timedelta(seconds=2), "answered", 30),  # late
                _record("b1", midnight + timedelta(seconds=3), "abandoned", 25),  # abandoned after T
                _record("b2", midnight + timedelta(seconds=4), "abandoned", 2),  # short: apart
                _record("y1", midnight - timedelta(seconds=10), "answered", 1),  # yesterday
                _record("o1", midnight + timedelta(seconds=5), "answered", 0, direction="outbound",
                        queue=None),  # not a queue call
                # not over: counted when it ends (on a PBX not connected here: the resync of "test"
                # would end an open record the PBX does not list)
                _record("l1", midnight + timedelta(seconds=6), None, 0, pbx="elsewhere"),
            ])  # fmt: skip
    finally:
        await first.stop()

    second = Service(settings)
    await second.start()
    try:
        await eventually(lambda: second.pbx_links["test"].connected)
        screen = await open_screen(second.web_port, "admin1")
        try:
            queues = {q["name"]: q for q in screen.messages[0]["queues"]}
            # offered a1 a2 b1 = 3, answered 2, abandoned 1, short b2; SL: in time a1 1 / (2 + b1) = 33.33 %
            assert queues["support"]["today"] == {
                "offered": 3, "answered": 2, "abandoned": 1, "short_abandoned": 1, "timed_out": 0,
                "service_level": 33.33,
            }  # fmt: skip
        finally:
            await screen.close()
    finally:
        await second.stop()
