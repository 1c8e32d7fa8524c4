"""Recording started by the CRM when an agent answers, for the queues whose policy says so.

The usual place to start MixMonitor is the dialplan (docs/RECORDINGS.md); this is for PBXes
whose dialplan the call center does not control. The file is named by cti from PBX + Linkedid.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping

from crm_core.events import CallAnswered
from crm_core.ports import Telephony, TelephonyError

log = logging.getLogger(__name__)


class RecordOnAnswer:
    def __init__(self, telephony: Mapping[str, Telephony], queues: Collection[str], file_format: str) -> None:
        self.telephony = telephony
        self.queues = frozenset(queues)
        self.file_format = file_format
        self._started: set[tuple[str, str]] = set()

    async def on_call_answered(self, event: CallAnswered) -> None:
        """Bus subscriber: start the recording once per call, on its first answer in a recorded queue."""
        key = (event.pbx, event.call_id)
        if event.queue not in self.queues or key in self._started:
            return
        link = self.telephony.get(event.pbx)
        if link is None:
            return
        self._started.add(key)
        if len(self._started) > 10_000:
            self._started.clear()  # a late duplicate answer is harmless: the PBX refuses a second start
        try:
            await link.recording_start(event.call_id, f"recording.{self.file_format}")
        except TelephonyError as exc:
            log.warning(
                "recording not started pbx=%s call=%s code=%s: %s", event.pbx, event.call_id, exc.code, exc
            )
