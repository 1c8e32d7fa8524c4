"""Ports: interfaces that adapters fulfil for the core.

The core and the UI talk to a PBX only through Telephony; cti implements it, one
instance per PBX. Every method either does what it says, confirmed by the PBX, or
raises TelephonyError with a code the UI can translate and a message for the log.
"""

from __future__ import annotations

from typing import Protocol


class TelephonyError(Exception):
    """The PBX refused an action, is unreachable, or the request was invalid.

    code: "not_connected", "refused" (the PBX answered Error), "timeout", "invalid"
    (a value failed validation before anything was sent), "not_found" (no such call/channel).
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


class Telephony(Protocol):
    """What the CRM may ask of one PBX."""

    @property
    def connected(self) -> bool: ...

    async def originate(self, agent_interface: str, number: str, call_id: str) -> None:
        """Click-to-dial: ring the agent's phone first, then dial number; the call's Linkedid is call_id."""

    async def originate_callback(self, number: str, queue: str, call_id: str, caller_id: str = "") -> None:
        """Callback: dial the customer first, then put them in queue."""

    async def originate_campaign(
        self, number: str, agent_interface: str, call_id: str, caller_id: str = "", ring_seconds: float = 30.0
    ) -> None:
        """Progressive dialing: dial the customer first; only if they answer is the agent's phone rung.

        The network outcome comes back as the call's events (CallOffered reason "campaign" when
        answered, CallEnded outcome answered / no_answer / busy / failed)."""

    async def hangup(self, call_id: str) -> None:
        """End every leg of the call."""

    async def blind_transfer(self, call_id: str, target: str) -> None:
        """Send the caller to target (an extension or "queue:<name>"); the agent is released."""

    async def attended_transfer(self, agent_interface: str, target: str) -> None:
        """The agent consults target first, then completes the transfer by hanging up."""

    async def set_paused(self, agent_interface: str, paused: bool, reason: str = "", queue: str = "") -> None:
        """Pause or unpause the agent (in one queue, or in all when queue is empty)."""

    async def login(self, agent_interface: str, queue: str, member_name: str = "", penalty: int = 0) -> None:
        """Add the agent to a queue."""

    async def logout(self, agent_interface: str, queue: str) -> None:
        """Remove the agent from a queue."""

    async def spy(self, supervisor_interface: str, agent_interface: str, mode: str) -> None:
        """Supervisor listens ("listen"), whispers to the agent ("whisper") or joins ("barge")."""

    async def recording_start(self, call_id: str, filename: str) -> None: ...

    async def recording_stop(self, call_id: str) -> None: ...

    async def recording_mute(self, call_id: str, muted: bool) -> None:
        """Mute both directions of the call's recording (card data), or resume it."""

    def end_wrap_up(self, agent_interface: str) -> None:
        """The agent finished after-call work (chose a disposition): the seat is ready again."""
