"""One PBX plugged into the CRM: AMI link + call tracker + event bus, and the Telephony port.

This is the only place where AMI events become domain events: every event goes
through the tracker in arrival order and whatever it says is published. Link
up/down is published too, so supervisors and the health check can see it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from panoramisk.message import Message

from crm_core.events import DomainEvent, PbxLinkChanged
from cti.ami_link import AmiLink
from cti.tracker import CallTracker

Publish = Callable[[DomainEvent], None]


class PbxAdapter:
    """Feeds one PBX's AMI events to the bus and fulfils crm_core.ports.Telephony for it."""

    def __init__(
        self,
        pbx: str,
        publish: Publish,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        clock: Callable[[], float] = time.time,
        tracker: CallTracker | None = None,
        originate_context: str = "outbound",
        originate_timeout: float = 30.0,
        **link_options: Any,
    ) -> None:
        self.pbx = pbx
        self._publish = publish
        self._clock = clock
        self.tracker = tracker or CallTracker(pbx)
        self.originate_context = originate_context
        self.originate_timeout = originate_timeout
        self.link = AmiLink(
            pbx,
            host,
            port,
            username,
            secret,
            on_event=self._on_event,
            on_state=self._on_state,
            clock=clock,
            **link_options,
        )

    async def start(self) -> None:
        await self.link.start()

    async def stop(self) -> None:
        await self.link.stop()

    @property
    def connected(self) -> bool:
        return self.link.connected

    async def originate(self, agent_interface: str, number: str, call_id: str) -> None:
        """Click-to-dial: ring the agent first, then dial ``number``; the call's Linkedid is call_id."""
        await self.link.send_action(
            {
                "Action": "Originate",
                "Channel": agent_interface,
                "Context": self.originate_context,
                "Exten": number,
                "Priority": "1",
                "Timeout": str(int(self.originate_timeout * 1000)),
                "Async": "true",
                "ChannelId": call_id,
                "OtherChannelId": f"{call_id}-2",
            }
        )

    async def hangup(self, channel: str) -> None:
        await self.link.send_action({"Action": "Hangup", "Channel": channel, "Cause": "16"})

    def _on_event(self, event: Message, received_at: float) -> None:
        for domain_event in self.tracker.feed(event, received_at):
            self._publish(domain_event)

    def _on_state(self, up: bool, reason: str) -> None:
        self._publish(PbxLinkChanged(self.pbx, up, reason, self._clock()))
