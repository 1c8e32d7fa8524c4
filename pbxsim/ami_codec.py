"""AMI wire format: ``Key: value`` lines ending in CRLF, a blank line after each message.

Messages are ordered lists of pairs rather than dicts because Asterisk repeats
headers (``ChanVariable`` once per variable) and clients depend on the order.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable

Message = list[tuple[str, str]]

CRLF = "\r\n"


def encode_message(pairs: Iterable[tuple[str, str]]) -> bytes:
    """Serialise one message; a CR or LF inside it would let a value forge headers, so refuse it."""
    lines: list[str] = []
    for key, value in pairs:
        if not key or any(c in key for c in "\r\n:"):
            raise ValueError(f"invalid AMI header name {key!r}")
        if "\r" in value or "\n" in value:
            raise ValueError(f"AMI header {key!r} has a line break in its value")
        lines.append(f"{key}: {value}{CRLF}")
    lines.append(CRLF)
    return "".join(lines).encode("utf-8")


def get_header(message: Message, key: str, default: str = "") -> str:
    """First value of ``key``, compared case-insensitively as Asterisk does."""
    wanted = key.lower()
    for name, value in message:
        if name.lower() == wanted:
            return value
    return default


class MessageParser:
    """Incremental parser for messages arriving in arbitrary chunks.

    TCP may cut anywhere, even inside a multi-byte UTF-8 character, so bytes go
    through an incremental decoder before being split into lines. Lines may end in
    CRLF or bare LF (Asterisk accepts both); lines without a colon are ignored.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._current: Message = []

    def feed(self, data: bytes) -> list[Message]:
        """Consume ``data`` and return the messages it completed, in order."""
        self._pending += self._decoder.decode(data)
        done: list[Message] = []
        *lines, self._pending = self._pending.split("\n")
        for raw in lines:
            line = raw.removesuffix("\r")
            if line:
                self._add_line(line)
            elif self._current:
                done.append(self._current)
                self._current = []
        return done

    def _add_line(self, line: str) -> None:
        key, sep, value = line.partition(":")
        if sep:
            self._current.append((key.strip(), value.lstrip(" \t")))
