"""panoramisk's AMI protocol and manager, corrected for a call center's needs.

panoramisk 1.4 is a good AMI codec but its connection handling does not fit us:

- ``AMIProtocol.data_received`` decodes every TCP read on its own with
  ``errors='ignore'``: a UTF-8 character split across two reads (a Chinese
  caller name) silently vanishes. ``Utf8AmiProtocol`` decodes incrementally.
- On close it re-queues unanswered actions and replays them after the next
  login (an Originate could ring a customer minutes late) and leaves their
  futures pending forever. Here pending actions are cancelled instead.
- ``Manager`` reconnects on a fixed delay, retries a refused login forever and
  pings without checking the answer. ``LinkManager`` keeps only the codec and
  dispatch parts; ``cti.ami_link.AmiLink`` owns connecting, login, liveness
  and back-off.
- A stream that never ends a frame would grow the buffer forever (and, rescanned
  on every read, take seconds per MiB): a frame past MAX_FRAME closes the link,
  which AmiLink then reconnects like any other loss.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

log = logging.getLogger(__name__)

EOL = "\r\n"
BANNER = "Asterisk Call Manager/"
MAX_BANNER = 200  # characters; Asterisk's banner is about 30
FRAME_END = EOL + EOL
MAX_FRAME = 64 * 1024  # characters; the largest real frame (a long variable dump) is a few KiB


class Utf8AmiProtocol(AMIProtocol):
    """AMI framing over an incremental UTF-8 decoder, bound to its manager from the first byte."""

    def __init__(self, manager: LinkManager) -> None:
        super().__init__()
        self._manager = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # Set here, not after create_connection returns: bytes may arrive before that.
        self.factory = self._manager
        self.encoding = "utf-8"
        self.log = log
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._manager.attach(self)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        seen = len(self._buffer)
        self._buffer += self._decoder.decode(data)
        if self.version is None:
            if not self._take_banner():
                return
            seen = 0
        # Search only the new tail (and the 3 characters before it a separator may straddle):
        # rescanning the whole buffer on every read made a stream with no frame end quadratic.
        if self._buffer.find(FRAME_END, max(0, seen - len(FRAME_END) + 1)) < 0:
            self._check_size(self._buffer, len(FRAME_END))
            return
        *frames, self._buffer = self._buffer.split(FRAME_END)
        for frame in frames:
            if not self._check_size(frame):
                return
            message = Message.from_line(frame.strip())
            if message is not None:
                self.handle_message(message)
        self._check_size(self._buffer, len(FRAME_END))

    def _check_size(self, text: str, slack: int = 0) -> bool:
        """False (and the link closed) past MAX_FRAME: no PBX sends that, a broken peer might forever.

        `slack` lets a frame of MAX_FRAME wait for the rest of its separator, so whether it is
        refused never depends on where TCP cut the stream.
        """
        if len(text) <= MAX_FRAME + slack:
            return True
        log.error("AMI frame longer than %d characters: closing the connection", MAX_FRAME)
        self._buffer = ""
        self._manager.close(f"a frame longer than {MAX_FRAME} characters")  # the link reconnects
        return False

    def _take_banner(self) -> bool:
        """Consume the one-line banner; False while it is still incomplete.

        Only the first MAX_BANNER characters are searched for its end, so a longer line is
        "no banner" however the bytes were cut into reads (found by tests/fuzz).
        """
        if self._buffer.find(EOL, 0, MAX_BANNER + len(EOL)) < 0:
            return len(self._buffer) >= MAX_BANNER + len(EOL) and self._no_banner()
        if not self._buffer.startswith(BANNER):
            return self._no_banner()
        line, _, self._buffer = self._buffer.partition(EOL)
        self.version = line[len(BANNER) :].strip()
        return True

    def _no_banner(self) -> bool:
        self.version = ""
        return True

    def send(self, data: Any, as_list: bool | None = False) -> asyncio.Future[Any]:
        if self.closed or self.transport.is_closing():
            raise ConnectionError("AMI connection is closed")
        return super().send(data, as_list=as_list)

    def close(self) -> None:
        """Close without panoramisk's replay of unanswered actions: cancel them instead."""
        for action in {id(a): a for a in self.responses.values()}.values():
            if not action.future.done():
                action.future.cancel()
        self.responses.clear()
        if not self.closed:
            self.closed = True
            self.transport.close()


class LinkManager(Manager):
    """A panoramisk Manager that never reconnects, logs in or pings by itself."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            host=host, port=port, encoding="utf-8", log=log, protocol_factory=lambda: Utf8AmiProtocol(self)
        )
        self.protocol: Utf8AmiProtocol | None = None
        self.lost: asyncio.Future[str] | None = None

    async def open(self, within: float) -> None:
        """Connect one TCP session; ``lost`` resolves with a reason when it ends."""
        self.loop = asyncio.get_running_loop()
        self.lost = self.loop.create_future()
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel (stop()) that
        # arrives as the connect fails, leaving the supervisor running.
        async with asyncio.timeout(within):
            await self.loop.create_connection(
                self.config["protocol_factory"], self.config["host"], self.config["port"]
            )

    def attach(self, protocol: Utf8AmiProtocol) -> None:
        self.protocol = protocol
        self.responses = protocol.responses

    @property
    def is_open(self) -> bool:
        return self.protocol is not None and not self.protocol.closed

    def connection_lost(self, exc: object) -> None:
        """The PBX closed the connection (EOF, error, or a Shutdown event)."""
        if isinstance(exc, Message):
            reason = "PBX is shutting down"
        elif exc is None:
            reason = "connection closed by the PBX"
        else:
            reason = f"connection error: {exc}"
        self._mark_lost(reason)

    def close(self, reason: str = "closed by us") -> None:
        if self.protocol is not None:
            self.protocol.close()
        self._mark_lost(reason)

    def _mark_lost(self, reason: str) -> None:
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(reason)

    def send_awaiting_actions(self, *_: object) -> None:
        """Replaces panoramisk's replay of actions from a previous connection: never replay."""
        self.awaiting_actions.clear()
