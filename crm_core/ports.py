"""Ports: interfaces that adapters fulfil for the core.

The core and the UI talk to the PBX only through Telephony; cti implements it.
"""

from __future__ import annotations

from typing import Protocol


class TelephonyError(Exception):
    """The PBX refused an action or is unreachable."""


class Telephony(Protocol):
    """What the CRM may ask of a PBX. Grows with the CTI issue (transfer, pause, spy…)."""

    @property
    def connected(self) -> bool: ...

    async def originate(self, agent_interface: str, number: str, call_id: str) -> None: ...

    async def hangup(self, channel: str) -> None: ...
