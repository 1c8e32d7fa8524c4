"""AMI traffic for the benchmarks, cut from the traces recorded from a real Asterisk.

The recorded scenarios (tests/fixtures/asterisk, copied from ../shared/asterisk-traces) are
turned into templates of live events (replies and list items left out); each copy gets its own
Uniqueids/Linkedids and Local channel numbers, and may be given another agent and caller number,
so a stream of thousands of distinct calls keeps the real event mix, field names and sizes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TRACES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "asterisk"
MIX = ("s01_inbound_answered", "s02a_abandon_agents_paused", "s03a_ringnoanswer_failover",
       "s04b_transfer_blindtransfer", "s05a_click_to_dial")  # fmt: skip
# What a screen pop needs from s01: the caller's channels, the queue, the agent's ringing leg, the answer,
# the hang-ups and the member's state; VarSet/Newexten/AGI/DTMF chatter is left out (benchmark b only).
POP_EVENTS = frozenset({"Newchannel", "LocalBridge", "QueueCallerJoin", "AgentCalled", "AgentConnect",
                        "QueueCallerLeave", "Newstate", "DialBegin", "DialEnd", "BridgeEnter", "BridgeLeave",
                        "AgentComplete", "Hangup", "QueueMemberStatus"})  # fmt: skip
_UNIQUEID = re.compile(r"\b1\d{9}\.\d+\b")
_LOCAL_SEQ = re.compile(r"(?<=-)[0-9a-f]{8}(?=;[12])")
AGENT = "1001"  # the agent who answers in s01


def _hex(serial: int, seen: dict[str, str]) -> str:
    return f"{serial * 8 + len(seen):08x}"


def live_events(name: str) -> list[str]:
    """The live events of one scenario as CRLF text blocks (no banner, replies or list items)."""
    raw = (TRACES / f"{name}.ami.raw").read_bytes().decode("utf-8")
    blocks = [b for b in raw.split("\r\n\r\n") if b.startswith("Event: ")]
    return [b for b in blocks if "\r\nActionID: " not in b]


def event_name(block: str) -> str:
    return block[7 : block.index("\r\n")] if "\r\n" in block else block[7:]


@dataclass
class Template:
    """One call's events, rewritten for each copy."""

    blocks: list[str]

    def copy(self, serial: int, agent: str = AGENT, caller: str | None = None) -> list[str]:
        ids: dict[str, str] = {}
        seqs: dict[str, str] = {}
        out = []
        for block in self.blocks:
            text = _UNIQUEID.sub(lambda m: ids.setdefault(m.group(0), f"1{serial:09d}.{len(ids)}"), block)
            text = _LOCAL_SEQ.sub(lambda m: seqs.setdefault(m.group(0), _hex(serial, seqs)), text)
            if agent != AGENT:
                text = text.replace(f"/{AGENT}@", f"/{agent}@").replace(f"agent{AGENT}", f"agent{agent}")
                text = text.replace(f"Exten: {AGENT}", f"Exten: {agent}")
            if caller is not None:
                text = re.sub(r"(?<=CallerIDNum: )5550001|(?<=ConnectedLineNum: )5550001", caller, text)
            out.append(text)
        return out


def mix_stream(rounds: int) -> Iterator[str]:
    """rounds x (every scenario of MIX once), each copy a distinct set of calls."""
    templates = [Template(live_events(name)) for name in MIX]
    serial = itertools.count(1)
    for _ in range(rounds):
        for template in templates:
            yield from template.copy(next(serial))


def pop_template() -> Template:
    """s01 (a queue call answered by agent 1001) cut to the events a pop-up and its call record need."""
    blocks = [b for b in live_events("s01_inbound_answered") if event_name(b) in POP_EVENTS]
    return Template([b for b in blocks if "1002@" not in b and "agent1002" not in b])


def encode(blocks: list[str]) -> bytes:
    return "".join(f"{b}\r\n\r\n" for b in blocks).encode("utf-8")
