"""The [kpi] section: defaults, the time zone taken from [crm] unless given, bad values named."""

from __future__ import annotations

import pytest

from callcenter.settings import SettingsError, kpi_rules, parse_settings
from crm_core.kpi.settings import KpiSettings


def test_defaults_take_the_crm_time_zone() -> None:
    rules = kpi_rules(parse_settings({"crm": {"default_timezone": "Europe/Paris"}}))
    assert rules == KpiSettings(timezone="Europe/Paris")
    assert (rules.service_level_seconds, rules.short_abandon_seconds, rules.fcr_days) == (20.0, 5.0, 7)
    assert (rules.service_level_abandons, rules.short_abandons_counted) == ("after_t", False)


def test_a_zone_of_its_own_and_other_choices() -> None:
    data = {"timezone": "America/New_York", "service_level_seconds": 30, "service_level_abandons": "all"}
    rules = kpi_rules(parse_settings({"kpi": data | {"short_abandons_counted": True, "fcr_days": 3}}))
    assert rules == KpiSettings("America/New_York", 30.0, 5.0, True, "all", 3)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "kpi.timezone"),
        ({"service_level_seconds": 0}, "kpi.service_level_seconds"),
        ({"short_abandon_seconds": -1}, "kpi.short_abandon_seconds"),
        ({"service_level_abandons": "some"}, "kpi.service_level_abandons"),
        ({"fcr_days": 0}, "kpi.fcr_days"),
        ({"fcr_days": 91}, "kpi.fcr_days"),
        ({"fcr_days": "7"}, "kpi.fcr_days must be int"),
        ({"sl": 20}, "unknown key kpi.sl"),
    ],
)
def test_bad_values_are_refused_naming_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({"kpi": data})
