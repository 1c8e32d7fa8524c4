"""What one IVR call carries from step to step: its channel, who is calling, the language."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_core.ivr_results import CallKey
from ivr.agi import AgiChannel


@dataclass
class Call:
    channel: AgiChannel
    key: CallKey
    number: str  # E.164 of the calling number, '' when withheld
    customer_id: int | None = None  # identified: by calling number, or keyed from one of their numbers
    claimed_id: int | None = None  # keyed from a number that is not theirs: shown, never trusted
    language: str = "zh"
    outcome: str = ""  # how the flow ended: queue:<name>, callback, survey, hangup, caller-hung-up…
    steps: list[str] = field(default_factory=list)  # node names visited (never keyed digits)

    def with_customer(self, customer_id: int | None) -> None:
        self.customer_id = customer_id
        self.key = CallKey(self.key.pbx, self.key.call_id, self.key.caller_number, customer_id)
