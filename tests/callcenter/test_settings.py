"""Settings as data: every key documented in config.toml, bad files refused with a clear message."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from callcenter.settings import SECTIONS, SettingsError, load_settings, parse_settings

CONFIG = Path(__file__).parents[2] / "config.toml"


def _sections(lines: list[str]) -> dict[str, list[str]]:
    """config.toml's lines by section; the commented [[pbx]] example counts as section pbx."""
    sections: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        header = re.match(r"^#?\s*\[\[?(\w+)\]\]?\s*$", line)
        if header:
            current = header.group(1)
            continue
        sections.setdefault(current, []).append(line)
    return sections


def test_config_toml_documents_every_key_with_a_comment_above_it() -> None:
    sections = _sections(CONFIG.read_text(encoding="utf-8").splitlines())
    for section, cls in SECTIONS.items():
        lines = sections.get(section, [])
        for f in fields(cls):
            pattern = re.compile(rf"^#?\s*#?\s*{f.name}\s*=")
            where = [i for i, line in enumerate(lines) if pattern.match(line)]
            assert where, f"{section}.{f.name} is missing from config.toml"
            assert lines[where[0] - 1].lstrip().startswith("#"), f"{section}.{f.name} has no comment"
            assert f.metadata.get("help"), f"{section}.{f.name} has no help text"


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = parse_settings({"pbx": [{"name": "a", "secret": "s3cr3t-value"}]})
    assert "s3cr3t-value" not in repr(settings)


def test_shipped_config_is_the_defaults() -> None:
    import dataclasses

    assert dataclasses.replace(load_settings(CONFIG), ivr={}) == parse_settings({})  # + the example IVR
    assert load_settings(CONFIG).demo_mode


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"server": {"prot": 1}}, "unknown key server.prot"),
        ({"server": {"port": "80"}}, "server.port must be int"),
        ({"servers": {}}, "unknown section"),
        ({"demo": {"enabled": "maybe"}}, "demo.enabled"),
        ({"pbx": [{"name": "a"}, {"name": "a"}]}, "share a name"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(data: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings(data)


def test_a_configured_pbx_turns_demo_mode_off_and_ints_pass_for_floats() -> None:
    settings = parse_settings({"pbx": [{"name": "bj", "secret": "x", "ping_seconds": 5}]})
    assert not settings.demo_mode and settings.pbx[0].ping_seconds == 5


def test_shipped_ivr_flow_is_the_example_the_ivr_tests_run() -> None:
    import tomllib

    shipped = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["ivr"]
    example = tomllib.loads((CONFIG.parent / "ivr" / "example_flow.toml").read_text(encoding="utf-8"))["ivr"]
    assert shipped == example
    assert load_settings(CONFIG).ivr == example


def test_an_ivr_flow_with_a_mistake_is_refused_at_load_naming_flow_and_key() -> None:
    import tomllib

    raw = tomllib.loads((CONFIG.parent / "ivr" / "example_flow.toml").read_text(encoding="utf-8"))["ivr"]
    raw["flows"]["main"]["nodes"]["main_menu"]["choices"]["5"] = "nowhere"
    with pytest.raises(SettingsError, match=r"main.*main_menu.*nowhere"):
        parse_settings({"ivr": raw})
