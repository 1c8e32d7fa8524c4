"""Log lines that help at 3 a.m. and leak nothing.

One line per event (a traceback is folded into the same line), UTC timestamps, as
``key=value`` pairs or one JSON object (``[logging] format``), with ``pbx``, ``call_id``
and ``agent_id`` as fields of their own wherever known: given as ``extra={...}`` or said in
the message the way the code base writes them (``pbx=main call=1764…``, ``agent=…``).

Before anything is written, :class:`RedactFilter` masks what must never reach a log:
passwords, secrets, tokens, DTMF digits (anything named so: ``secret=…``, ``'Secret': '…'``,
``password: …``, ``digits=…``, ``Bearer …``) and card-like numbers (13 to 19 digits, with
spaces or dashes, that pass the Luhn check), whoever logs them, our code or a library's.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

MASK = "***"
CONTEXT = ("pbx", "call_id", "agent_id")
_NAMED_SECRET = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|authorization|pin|cvv|cvc|card[_-]?number|card"
    r"|dtmf|digits|keyed)\b([\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}\])]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_CARD_LIKE = re.compile(r"(?<![\d.+])\d(?:[ -]?\d){12,18}(?![\d.])")
# The code base says who and what in its messages: pbx=main call=1764… agent=Local/1001@agents/n
_SAID = re.compile(r"\b(pbx|call_id|call|agent_id|agent)=([^\s,;]+)")
_SAID_AS = {
    "pbx": "pbx",
    "call": "call_id",
    "call_id": "call_id",
    "agent": "agent_id",
    "agent_id": "agent_id",
}


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[card]" if _luhn(digits) else match.group(0)


def redact(text: str) -> str:
    """The text with secrets, DTMF digits and card-like numbers masked."""
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)  # first: "Authorization: Bearer x"
    text = _NAMED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _CARD_LIKE.sub(_card, text)


class RedactFilter(logging.Filter):
    """Masks the message (arguments merged in) and any traceback of every record it passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key in CONTEXT:
            value = record.__dict__.get(key)
            if isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class LineFormatter(logging.Formatter):
    """One line per record: key=value pairs (values quoted when needed) or one JSON object."""

    def __init__(self, style: str = "keyvalue") -> None:
        super().__init__()
        self.json = style == "json"

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        message = record.getMessage()
        at = datetime.fromtimestamp(record.created, UTC)
        out: dict[str, Any] = {
            "ts": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
        }
        said = {_SAID_AS[k]: v for k, v in _SAID.findall(message)}
        for key in CONTEXT:
            value = record.__dict__.get(key, said.get(key))
            if value is not None:
                out[key] = value
        out["msg"] = message
        trace = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else "")
        if trace:
            out["exc"] = trace
        return out

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        if self.json:
            return json.dumps(fields, ensure_ascii=False, default=str)
        return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


def _value(value: Any) -> str:
    text = str(value)
    if text and not any(ch in text for ch in ' "=\n\r\t\\'):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, newlines escaped: still one line


def line_handler(style: str = "keyvalue", stream: TextIO | None = None) -> logging.Handler:
    """A handler writing redacted, one-line records to stream (standard error by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactFilter())
    handler.setFormatter(LineFormatter(style))
    return handler


def configure(level: str = "INFO", style: str = "keyvalue", stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records through the redaction filter to one line-per-event handler."""
    handler = line_handler(style, stream)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
