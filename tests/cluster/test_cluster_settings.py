"""[cluster]: empty redis_url means one instance; a lease the owner cannot safely renew is refused."""

from __future__ import annotations

import pytest

from callcenter.service import Service
from callcenter.settings import ClusterSettings, SettingsError, parse_settings


def test_by_default_there_is_no_cluster_and_the_service_stays_in_process(tmp_path) -> None:
    settings = parse_settings({"database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"}})
    assert settings.cluster == ClusterSettings()
    assert Service(settings).cluster is None


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ({"redis_url": "http://127.0.0.1:6379"}, "cluster.redis_url"),
        ({"lease_seconds": 2.0, "renew_seconds": 1.0}, "cluster.renew_seconds"),
        ({"renew_seconds": 0}, "cluster.renew_seconds"),
        ({"lease_seconds": "3"}, "cluster.lease_seconds"),
    ],
)
def test_bad_cluster_settings_are_refused_naming_the_key(cluster: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings({"cluster": cluster})
