"""Reading recorded AMI traffic back as messages, for replay tests.

An ``.ami.raw`` file holds the exact bytes Asterisk sent (banner line, then
CRLF-framed messages each ended by a blank line); the matching ``.log`` gives
the relative time each message was received, one RX block per message.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "asterisk"
BANNER = "Asterisk Call Manager/"

Frame = dict[str, str | list[str]]


def parse_frame(text: str) -> Frame:
    """Headers of one message; a repeated header becomes a list, as panoramisk does."""
    headers: Frame = {}
    for line in text.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value[1:] if value.startswith(" ") else value
        if key in headers:
            previous = headers[key]
            headers[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            headers[key] = value
    return headers


def read_frames(name: str) -> list[Frame]:
    """Every message Asterisk sent in scenario ``name``, banner left out."""
    text = (FIXTURES / f"{name}.ami.raw").read_bytes().decode("utf-8")
    if text.startswith(BANNER):
        text = text.split("\r\n", 1)[1]
    return [parse_frame(chunk) for chunk in text.split("\r\n\r\n") if chunk.strip()]


def read_times(name: str, start: float) -> list[float]:
    """Receive time of each message (start + the relative time in the ``.log``)."""
    log = (FIXTURES / f"{name}.log").read_text(encoding="utf-8")
    times = []
    for match in re.finditer(r"^---\s+\+([\d.]+) RX (\S+)", log, flags=re.M):
        if match.group(2) != "banner":
            times.append(start + float(match.group(1)))
    return times


def replay(name: str, feed, start: float = 1_800_000_000.0) -> list:
    """Feed every recorded message through ``feed(frame, received_at)``; collect what it returns."""
    frames = read_frames(name)
    times = read_times(name, start)
    assert len(frames) == len(times), "log and raw trace disagree"
    out: list = []
    for frame, at in zip(frames, times, strict=True):
        out.extend(feed(frame, at))
    return out
