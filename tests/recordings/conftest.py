from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crm_core.events import SystemAlarm
from recordings.store import RecordingStore
from tests.e2e.conftest import ami, open_console, pbx, service  # noqa: F401  (shared service fixtures)


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder


@pytest.fixture
def store(tmp_path: Path, spool: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "store", spool, settle_seconds=0.05)


@pytest.fixture
def alarms() -> list[SystemAlarm]:
    return []


@pytest.fixture
def publish(alarms: list[SystemAlarm]) -> Callable[[object], None]:
    return lambda event: alarms.append(event) if isinstance(event, SystemAlarm) else None
