"""The FastAGI simulator against sessions recorded from a real Asterisk 22.10.1."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pbxsim.agi_channel import HANGUP, TIMEOUT, AgiChannelModel
from pbxsim.fastagi_client import encode_environment

AGI = Path(__file__).parents[1] / "fixtures" / "asterisk" / "agi"
# What the recorded caller did at each GET DATA / WAIT FOR DIGIT.
KEYS = {
    "s01_inbound_answered": ["4321"],
    "s10_ivr_hangup": [HANGUP],
    "s03a_ringnoanswer_failover": [TIMEOUT, TIMEOUT],
}
_ENDPOS = re.compile(r"^200 result=\d+ endpos=\d+$")  # playback position and a key pressed during it vary


def dialogue(name: str) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """The environment, then each command with the reply lines Asterisk sent."""
    env: dict[str, str] = {}
    turns: list[tuple[str, list[str]]] = []
    for line in (AGI / f"{name}.01.dialogue.txt").read_text().splitlines():
        if line.startswith("#"):
            continue
        _, direction, payload = line.split(None, 2)
        text = ast.literal_eval(payload).decode().rstrip("\n")
        if direction == ">>":
            turns.append((text, []))
        elif turns:
            turns[-1][1].append(text)
        elif text:
            key, _, value = text.partition(": ")
            env[key] = value
    return env, turns


def same(expected: str, got: str) -> bool:
    return expected == got or bool(_ENDPOS.match(expected) and _ENDPOS.match(got))


@pytest.mark.parametrize("name", sorted({p.name.split(".")[0] for p in AGI.glob("*.dialogue.txt")}))
def test_simulator_answers_every_recorded_command_as_asterisk(name: str) -> None:
    env, turns = dialogue(name)
    model = AgiChannelModel(env, keys=list(KEYS.get(name, [])), linkedid=env["agi_uniqueid"])
    for command, recorded in turns:
        replies = model.answer(command)
        assert len(replies) == len(recorded) and all(map(same, recorded, replies)), (
            command,
            recorded,
            replies,
        )


@pytest.mark.parametrize("name", sorted({p.name.split(".")[0] for p in AGI.glob("*.dialogue.txt")}))
def test_simulator_environment_block_is_byte_identical(name: str) -> None:
    env, _ = dialogue(name)
    raw = (AGI / f"{name}.01.from-asterisk.raw").read_bytes()
    block = encode_environment(env)
    assert raw.startswith(block) and block.endswith(b"\n\n")


def test_hangup_line_comes_once_just_before_the_next_reply() -> None:
    env, _ = dialogue("s10_ivr_hangup")
    model = AgiChannelModel(env, keys=[HANGUP])
    assert model.answer("GET DATA x 1000 2") == ["200 result=-1"]
    assert model.answer('STREAM FILE beep ""') == [
        "HANGUP",
        "511 Command Not Permitted on a dead channel or intercept routine",
    ]
    assert model.answer("CHANNEL STATUS") == [
        "511 Command Not Permitted on a dead channel or intercept routine"
    ]
