"""Settings as data: every key has a type, a default and one line of help.

config.toml is read here and nowhere else; the rest of the code receives these
typed objects. A test fails when a key is missing from the commented config.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """config.toml is malformed or names an unknown key or a wrong type."""


def _key(default: Any, help: str, secret: bool = False) -> Any:
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help})
    return field(default=default, metadata={"help": help}, repr=not secret)


@dataclass(frozen=True)
class ServerSettings:
    host: str = _key("127.0.0.1", "Address the web console and API listen on.")
    port: int = _key(8080, "TCP port of the web console and API.")
    secure_cookies: bool = _key(False, "Mark session cookies Secure (set true when served over HTTPS).")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _key(
        "sqlite+aiosqlite:///var/crm.sqlite3", "SQLAlchemy URL: SQLite file or postgresql+asyncpg://."
    )
    busy_timeout_ms: int = _key(5000, "How long a SQLite writer waits for the lock before giving up.")
    migrate_on_start: bool = _key(True, "Apply pending schema migrations at start-up.")


@dataclass(frozen=True)
class CrmSettings:
    default_region: str = _key("CN", "Region for numbers written without a country code (ISO 3166 code).")


@dataclass(frozen=True)
class SessionSettings:
    idle_minutes: int = _key(60, "A console session idle this long must sign in again.")
    absolute_hours: int = _key(12, "A console session ends after this long, active or not.")


@dataclass(frozen=True)
class PbxSettings:
    name: str = _key("main", "Name of this PBX (site); part of every call id.")
    host: str = _key("127.0.0.1", "Asterisk Manager Interface host.")
    port: int = _key(5038, "AMI TCP port.")
    username: str = _key("crm", "AMI user (manager.conf section).")
    secret: str = _key("", "AMI secret of that user.", secret=True)
    reconnect_max_seconds: float = _key(30.0, "Longest pause between reconnection attempts.")
    ping_seconds: float = _key(10.0, "Ping interval; a link silent past it is dropped and rebuilt.")


@dataclass(frozen=True)
class DemoSettings:
    enabled: str = _key("auto", "auto: simulated PBX when no [[pbx]] is configured; yes; no.")
    ami_port: int = _key(0, "Loopback port of the simulated PBX (0: any free port).")
    call_every_seconds: float = _key(6.0, "Average pause between two demo calls.")
    agent_password: str = _key("demo1234", "Password of the demo agents (printed at start-up).", secret=True)
    database_url: str = _key(
        "sqlite+aiosqlite:///var/demo.sqlite3", "Database of demo mode, apart from the real one."
    )


@dataclass(frozen=True)
class LoggingSettings:
    level: str = _key("INFO", "Log level: DEBUG, INFO, WARNING, ERROR.")


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    pbx: list[PbxSettings] = field(default_factory=list)

    @property
    def demo_mode(self) -> bool:
        return self.demo.enabled == "yes" or (self.demo.enabled == "auto" and not self.pbx)


SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "crm": CrmSettings,
    "sessions": SessionSettings,
    "demo": DemoSettings,
    "logging": LoggingSettings,
    "pbx": PbxSettings,
}


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise SettingsError(f"[{where}] must be a table")
    known = {f.name: f for f in fields(cls)}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"unknown key {where}.{key}")
        expected = type(known[key].default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SettingsError(f"{where}.{key} must be {expected.__name__}, not {type(value).__name__}")
    return cls(**data)


def parse_settings(data: dict[str, Any]) -> Settings:
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise SettingsError(f"unknown section(s): {', '.join(sorted(unknown))}")
    built = {name: _build(SECTIONS[name], data[name], name) for name in data if name != "pbx"}
    pbxes = data.get("pbx", [])
    if not isinstance(pbxes, list):
        raise SettingsError("[[pbx]] must be an array of tables")
    built["pbx"] = [_build(PbxSettings, item, "pbx") for item in pbxes]
    names = [p.name for p in built["pbx"]]
    if len(set(names)) != len(names):
        raise SettingsError("two [[pbx]] entries share a name")
    settings = Settings(**built)
    if settings.demo.enabled not in ("auto", "yes", "no"):
        raise SettingsError("demo.enabled must be auto, yes or no")
    return settings


def load_settings(path: Path | None, required: bool = False) -> Settings:
    """Read and validate config.toml; a missing file means all defaults unless it was asked for."""
    if path is None or not path.exists():
        if required:
            raise SettingsError(f"{path}: no such file")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    return parse_settings(data)
