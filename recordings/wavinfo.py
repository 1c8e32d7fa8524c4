"""What a recording's header says: format and duration, read from the RIFF chunks.

Python's `wave` only reads PCM, while Asterisk also writes GSM-in-WAV (wav49), so the
chunks are walked by hand. A header whose data size is wrong (a recording cut short by a
crash never gets its final header) falls back to the bytes actually in the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

HEADER_LIMIT = 64 * 1024  # fmt and data chunk headers are near the start of any real file
_FORMATS = {1: "wav", 0xFFFE: "wav", 0x31: "wav49"}


class NotAudio(ValueError):
    """The file is not a WAV file this store can describe."""


@dataclass(frozen=True, slots=True)
class AudioInfo:
    format: str
    duration_seconds: float


def read_info(f: BinaryIO, file_size: int) -> AudioInfo:
    """Format and duration of the WAV file open in f (position is left where it was)."""
    start = f.tell()
    try:
        f.seek(0)
        head = f.read(HEADER_LIMIT)
    finally:
        f.seek(start)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise NotAudio("not a RIFF/WAVE file")
    tag, byte_rate, data_at, data_size = _walk(head)
    if byte_rate <= 0:
        raise NotAudio("byte rate is zero")
    available = max(0, file_size - data_at)
    if data_size <= 0 or data_size > available:
        data_size = available
    return AudioInfo(_FORMATS.get(tag, "wav"), round(data_size / byte_rate, 3))


def _walk(head: bytes) -> tuple[int, int, int, int]:
    """(format tag, byte rate, offset of the audio data, declared data size)."""
    pos, tag, byte_rate = 12, None, 0
    while pos + 8 <= len(head):
        name, size = head[pos : pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if name == b"fmt " and size >= 16 and body + 16 <= len(head):
            tag, _channels, _rate, byte_rate = struct.unpack_from("<HHII", head, body)
        elif name == b"data":
            if tag is None:
                raise NotAudio("data chunk before fmt chunk")
            return tag, byte_rate, body, size
        pos = body + size + (size & 1)
    raise NotAudio("no fmt/data chunk in the header")
