"""A channel as Asterisk's AGI sees it: answers each command line the way Asterisk 22 does.

Pure (no I/O), so it can be checked line by line against recorded sessions. Keys the
caller presses are scripted: each GET DATA / WAIT FOR DIGIT takes the next item, a string
of digits, TIMEOUT, or HANGUP (the caller leaves while the prompt plays).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

TIMEOUT = "<timeout>"
HANGUP = "<hangup>"
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"
UNKNOWN = "510 Invalid or unknown command"
# Commands Asterisk still runs on a dead channel (they do not touch the channel's media).
DEAD_OK = {
    "VERBOSE",
    "GET VARIABLE",
    "GET FULL VARIABLE",
    "SET VARIABLE",
    "DATABASE PUT",
    "DATABASE GET",
    "NOOP",
}
_USAGE = {
    "GET DATA": (
        "Stream the given <replaceable>file</replaceable>, and receive DTMF data.",
        "Returns the digits received from the channel at the other end.",
    ),
}
# command -> minimum number of arguments
_COMMANDS = {
    "ANSWER": 0,
    "HANGUP": 0,
    "CHANNEL STATUS": 0,
    "VERBOSE": 1,
    "NOOP": 0,
    "GET DATA": 1,
    "STREAM FILE": 2,
    "WAIT FOR DIGIT": 1,
    "SET VARIABLE": 2,
    "GET VARIABLE": 1,
    "GET FULL VARIABLE": 1,
    "SAY DIGITS": 2,
    "SAY NUMBER": 2,
    "SAY ALPHA": 2,
    "SAY DATETIME": 2,
    "EXEC": 1,
    "DATABASE PUT": 3,
    "DATABASE GET": 2,
}
_VAR = re.compile(r"\$\{([^}]+)\}")


@dataclass
class AgiChannelModel:
    env: dict[str, str]
    keys: list[str] = field(default_factory=list)
    linkedid: str = ""
    hangup_before: int | None = None  # the caller leaves just before this command (1-based)
    variables: dict[str, str] = field(default_factory=dict)
    dead: bool = False
    commands: list[str] = field(default_factory=list)
    _hangup_pending: bool = False

    def answer(self, line: str) -> list[str]:
        """The reply lines Asterisk sends for one command line (without line ends)."""
        self.commands.append(line)
        if self.hangup_before == len(self.commands) and not self.dead:
            self._die()
        prefix = ["HANGUP"] if self._hangup_pending else []
        self._hangup_pending = False
        return prefix + self._reply(line)

    def _reply(self, line: str) -> list[str]:
        name, args = _split(line)
        if name is None:
            return [UNKNOWN]
        if len(args) < _COMMANDS[name]:
            usage = _USAGE.get(name, ("Usage of this command.",))
            return ["520-Invalid command syntax.  Proper usage follows:", *usage, "520 End of proper usage."]
        if self.dead and name not in DEAD_OK:
            return [DEAD]
        return [self._run(name, args)]

    def _die(self) -> None:
        """The caller leaves: Asterisk says HANGUP once, just before its next reply."""
        self.dead, self._hangup_pending = True, True

    def _run(self, name: str, args: list[str]) -> str:
        if name in ("GET DATA", "WAIT FOR DIGIT"):
            return self._keys(name, args)
        if name == "SET VARIABLE":
            self.variables[args[0].lstrip("_")] = args[1]  # "__" only marks inheritance
            return "200 result=1"
        if name == "GET VARIABLE":
            value = self._value(args[0])
            return "200 result=0" if value is None else f"200 result=1 ({value})"
        if name == "GET FULL VARIABLE":
            return f"200 result=1 ({_VAR.sub(lambda m: self._value(m.group(1)) or '', args[0])})"
        if name == "HANGUP":
            self._die()
            return "200 result=1"
        if name == "CHANNEL STATUS":
            return "200 result=6"
        if name == "STREAM FILE":
            return "200 result=0 endpos=8000"
        return "200 result=1" if name in ("VERBOSE", "DATABASE PUT", "NOOP") else "200 result=0"

    def _keys(self, name: str, args: list[str]) -> str:
        item = self.keys.pop(0) if self.keys else TIMEOUT
        if item == HANGUP:
            self._die()
            return "200 result=-1"
        if item == TIMEOUT:
            return "200 result= (timeout)" if name == "GET DATA" else "200 result=0"
        if name == "WAIT FOR DIGIT":
            return f"200 result={ord(item[0])}"
        limit = int(args[2]) if len(args) > 2 and args[2].isdigit() else len(item)
        return f"200 result={item[:limit]}"

    def _value(self, name: str) -> str | None:
        if name == "CHANNEL(linkedid)":
            return self.linkedid or self.env.get("agi_uniqueid", "")
        if name == "CALLERID(all)":
            return f'"{self.env.get("agi_calleridname", "")}" <{self.env.get("agi_callerid", "")}>'
        if name == "CALLERID(num)":
            return self.env.get("agi_callerid", "")
        return self.variables.get(name)


def _split(line: str) -> tuple[str | None, list[str]]:
    words = line.split()
    for size in (3, 2, 1):
        name = " ".join(words[:size]).upper()
        if name in _COMMANDS:
            rest = line.split(None, size)[size] if len(words) > size else ""
            try:
                return name, shlex.split(rest)
            except ValueError:
                return name, rest.split()
    return None, []
