"""Reading AMI headers the same way whatever carried them.

panoramisk hands us a case-insensitive Message whose repeated headers are lists;
tests and replays hand us plain dicts. Asterisk itself is loose about header case
(``UniqueID`` in Cdr, ``Uniqueid`` elsewhere), so every lookup goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping

AmiEvent = Mapping[str, "str | list[str]"]

UNKNOWN = "<unknown>"


class Headers:
    """A lower-cased snapshot of one AMI message, built once per event."""

    __slots__ = ("_h",)

    def __init__(self, event: AmiEvent) -> None:
        # panoramisk's Message keeps {lower-cased key: (key, value)}: read it directly, which is several
        # times cheaper than its Mapping interface (the hot path: two snapshots per AMI event).
        store = getattr(event, "_store", None)
        if isinstance(store, dict):
            self._h: dict[str, str | list[str]] = {k: v for k, (_, v) in store.items()}
        else:
            self._h = {str(k).lower(): v for k, v in event.items()}

    def has(self, name: str) -> bool:
        return name.lower() in self._h

    def get(self, name: str, default: str = "") -> str:
        """The header's value; the first one if Asterisk repeated it."""
        value = self._h.get(name.lower())
        if value is None:
            return default
        if isinstance(value, list):
            return str(value[0]) if value else default
        return str(value)

    def get_all(self, name: str) -> list[str]:
        """Every value of a header that may repeat (ChanVariable, DestChanVariable)."""
        value = self._h.get(name.lower())
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(value)]

    def caller_id(self, name: str) -> str:
        """CallerIDNum/Name with Asterisk's ``<unknown>`` placeholder turned into ''."""
        value = self.get(name)
        return "" if value == UNKNOWN else value

    def number(self, name: str) -> int | None:
        try:
            return int(self.get(name))
        except ValueError:
            return None

    def seconds(self, name: str) -> float | None:
        try:
            return float(self.get(name))
        except ValueError:
            return None

    def variables(self, name: str = "ChanVariable") -> dict[str, str]:
        """Parse repeated ``K=V`` headers into a dict (later values win)."""
        result: dict[str, str] = {}
        for item in self.get_all(name):
            key, sep, value = item.partition("=")
            if sep:
                result[key] = value
        return result
