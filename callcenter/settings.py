"""Settings as data: every key has a type, a default and one line of help.

config.toml is read here and nowhere else; the rest of the code receives these
typed objects. A test fails when a key is missing from the commented config.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, dataclass, field, fields
from datetime import time as dt_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_core.kpi.settings import KpiSettings as KpiRules
from ivr.config import IvrConfigError
from ivr.config import build_config as build_ivr_config


class SettingsError(ValueError):
    """config.toml is malformed or names an unknown key or a wrong type."""


def _key(default: Any, help: str, secret: bool = False) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help}, repr=not secret)


@dataclass(frozen=True)
class ServerSettings:
    host: str = _key("127.0.0.1", "Address the web console and API listen on.")
    port: int = _key(8080, "TCP port of the web console and API.")
    secure_cookies: bool = _key(False, "Mark session cookies Secure (set true when served over HTTPS).")
    public_origin: str = _key("", "Origin browsers use when behind a proxy, e.g. https://crm.example.com.")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = _key(
        "sqlite+aiosqlite:///var/crm.sqlite3", "SQLAlchemy URL: SQLite file or postgresql+asyncpg://."
    )
    busy_timeout_ms: int = _key(
        5000, "How long a writer waits for a lock (SQLite busy timeout, PostgreSQL lock_timeout); then 503."
    )
    migrate_on_start: bool = _key(True, "Apply pending schema migrations at start-up.")


@dataclass(frozen=True)
class CrmSettings:
    default_region: str = _key("CN", "Region for numbers written without a country code (ISO 3166 code).")
    default_timezone: str = _key("Asia/Shanghai", "Time zone of customers who have none of their own.")
    ticket_types: list[str] = _key(["inquiry", "repair", "complaint", "other"], "Service request types.")
    dispositions: list[str] = _key(
        ["resolved", "follow_up", "sales", "complaint", "wrong_number", "other"],
        "Wrap-up dispositions an agent chooses from.",
    )
    pause_reasons: list[str] = _key(
        ["break", "lunch", "meeting", "training"],
        "Reasons an agent may pause for (seeded once; then kept in the administration).",
    )
    wrapup_seconds: float = _key(30.0, "After-call work time before a seat is ready again (0: none).")
    callback_window: str = _key("09:00-20:00", "Hours (customer's local time) callbacks may be dialled.")
    callback_max_attempts: int = _key(3, "Dial attempts before a callback is given up.")
    callback_retry_minutes: int = _key(15, "Pause between two attempts of a callback.")
    callback_preferred_minutes: int = _key(30, "How long a callback waits for its preferred agent.")
    auto_callback_for_abandoned: bool = _key(True, "Schedule a callback for each abandoned queue call.")
    escalation_check_seconds: float = _key(60.0, "How often overdue complaints are escalated.")


@dataclass(frozen=True)
class SessionSettings:
    idle_minutes: int = _key(60, "A console session idle this long must sign in again.")
    absolute_hours: int = _key(12, "A console session ends after this long, active or not.")


@dataclass(frozen=True)
class SecuritySettings:
    login_failures_per_account: int = _key(5, "Failed sign-ins one account may have per window; then 429.")
    login_failures_per_address: int = _key(20, "Failed sign-ins one address may have per window; then 429.")
    login_window_seconds: float = _key(60.0, "Length of the sliding window those failures are counted in.")
    login_throttle_max_keys: int = _key(10000, "Accounts (and addresses) kept at most; the oldest go first.")
    trusted_proxies: list[str] = _key(
        [], "Addresses of reverse proxies whose X-Forwarded-For names the client (else: the peer)."
    )


@dataclass(frozen=True)
class PbxSettings:
    name: str = _key("main", "Name of this PBX (site); part of every call id.")
    host: str = _key("127.0.0.1", "Asterisk Manager Interface host.")
    port: int = _key(5038, "AMI TCP port.")
    username: str = _key("crm", "AMI user (manager.conf section).")
    secret: str = _key("", "AMI secret of that user.", secret=True)
    reconnect_max_seconds: float = _key(30.0, "Longest pause between reconnection attempts.")
    ping_seconds: float = _key(10.0, "Ping interval; a PBX that stops answering is dropped within 2 of them.")
    outbound_context: str = _key("outbound", "Dialplan context click-to-dial sends the customer's number to.")
    callback_context: str = _key("callback", "Context an answered callback customer runs (then Queue).")
    callback_dial: str = _key("Local/{number}@pstn", "How a callback customer is dialled ({number}).")
    transfer_context: str = _key("transfer", "Context of blind/attended transfers to an extension.")
    queue_context: str = _key("queues", "Context whose extension <queue> puts the caller in that queue.")
    spy_context: str = _key("supervisor", "Context of supervisors' extensions for listen/whisper/barge.")
    campaign_context: str = _key(
        "campaign", "Context an answered campaign customer runs (progressive): Dial(${CAMPAIGN_AGENT})."
    )
    originate_timeout: float = _key(30.0, "Seconds the first leg of an Originate may ring.")


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
class RecordingsSettings:
    spool_dir: str = _key("/var/spool/asterisk/monitor", "Folder the PBX's MixMonitor writes into.")
    store_dir: str = _key("var/recordings", "Folder recordings are kept in (dated sub-folders).")
    default_retention_days: int = _key(365, "Days a recording is kept unless its queue says otherwise.")
    retention_days: dict[str, int] = _key({}, "Days kept per queue, e.g. { support = 90 }.")
    auto_resume_seconds: float = _key(120.0, "A recording muted for card data resumes by itself after this.")
    file_format: str = _key("wav", "Format MixMonitor records in (files are <pbx>-<Linkedid>.<format>).")
    record_on_answer_queues: list[str] = _key(
        [], "Queues the CRM records itself on answer (else: the dialplan)."
    )


@dataclass(frozen=True)
class WallboardSettings:
    queue_wait_alert_seconds: float = _key(
        60.0, "Alert when a caller has waited longer than this in a queue (0: off)."
    )
    service_level_alert_percent: float = _key(
        80.0, "Alert when a queue's service level today is under this percent (0: off)."
    )
    paused_alert_minutes: float = _key(15.0, "Alert when an agent has been paused longer than this (0: off).")


@dataclass(frozen=True)
class KpiSettings:
    timezone: str = _key("", "Time zone report intervals and days are cut in (empty: crm.default_timezone).")
    service_level_seconds: float = _key(20.0, "Service level: % of calls answered within this many seconds.")
    short_abandon_seconds: float = _key(5.0, "Callers hanging up sooner are short abandons, counted apart.")
    short_abandons_counted: bool = _key(False, "Count short abandons in offered, abandoned and SL too.")
    service_level_abandons: str = _key(
        "after_t", "Unanswered calls in the service level: none, all, or after_t (waited over T)."
    )
    fcr_days: int = _key(7, "Days in which a repeat call on the same matter undoes first-contact resolution.")


@dataclass(frozen=True)
class CampaignSettings:
    reservation_minutes: float = _key(
        10.0, "How long a preview entry stays reserved for the agent who got it, unless dialed or skipped."
    )
    dialer_tick_seconds: float = _key(
        2.0, "How often the progressive dialer looks for ready agents and entries that came due."
    )
    progressive_ring_seconds: float = _key(
        25.0, "How long the progressive dialer lets a customer's phone ring before it counts no answer."
    )


@dataclass(frozen=True)
class ClusterSettings:
    redis_url: str = _key("", "Redis the instances share, e.g. redis://127.0.0.1:6379/0 (empty: just one).")
    instance_id: str = _key("", "This instance's name in leases and logs (empty: <hostname>-<pid>).")
    namespace: str = _key("crm", "Prefix of every Redis key, so several deployments can share one Redis.")
    lease_seconds: float = _key(3.0, "A PBX whose owner stopped renewing is taken over after this long.")
    renew_seconds: float = _key(1.0, "How often the owner renews its lease (at most a third of the lease).")
    forward_timeout_seconds: float = _key(
        5.0, "How long an action asked on an instance without the PBX waits for the owner's answer."
    )


@dataclass(frozen=True)
class LoggingSettings:
    level: str = _key("INFO", "Log level: DEBUG, INFO, WARNING, ERROR.")
    format: str = _key("keyvalue", "One line per event: keyvalue (ts=... level=... msg=...) or json.")


@dataclass(frozen=True)
class MetricsSettings:
    token: str = _key(
        "", "Bearer token Prometheus sends to read /metrics (empty: loopback clients only).", secret=True
    )


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    crm: CrmSettings = field(default_factory=CrmSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    recordings: RecordingsSettings = field(default_factory=RecordingsSettings)
    kpi: KpiSettings = field(default_factory=KpiSettings)
    wallboard: WallboardSettings = field(default_factory=WallboardSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    campaigns: CampaignSettings = field(default_factory=CampaignSettings)
    pbx: list[PbxSettings] = field(default_factory=list)
    # The [ivr] table as written: its flows are validated by ivr.build_config (keys named in errors).
    ivr: dict[str, Any] = field(default_factory=dict)

    @property
    def demo_mode(self) -> bool:
        return self.demo.enabled == "yes" or (self.demo.enabled == "auto" and not self.pbx)


SECTIONS: dict[str, type] = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "crm": CrmSettings,
    "sessions": SessionSettings,
    "security": SecuritySettings,
    "demo": DemoSettings,
    "logging": LoggingSettings,
    "metrics": MetricsSettings,
    "recordings": RecordingsSettings,
    "kpi": KpiSettings,
    "wallboard": WallboardSettings,
    "cluster": ClusterSettings,
    "campaigns": CampaignSettings,
    "pbx": PbxSettings,
}


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise SettingsError(f"[{where}] must be a table")
    known = {f.name: f for f in fields(cls)}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"unknown key {where}.{key}")
        default = known[key].default
        expected = type(known[key].default_factory()) if default is MISSING else type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise SettingsError(f"{where}.{key} must be {expected.__name__}, not {type(value).__name__}")
    return cls(**data)


def parse_settings(data: dict[str, Any]) -> Settings:
    data = dict(data)
    ivr = data.pop("ivr", {})
    if ivr:
        try:
            build_ivr_config(ivr)
        except IvrConfigError as exc:
            raise SettingsError(str(exc)) from exc
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
    settings = Settings(**built, ivr=ivr)
    if settings.demo.enabled not in ("auto", "yes", "no"):
        raise SettingsError("demo.enabled must be auto, yes or no")
    _check_crm(settings.crm)
    _check_security(settings.security)
    kpi_rules(settings)
    _check_wallboard(settings.wallboard)
    if settings.logging.format not in ("keyvalue", "json"):
        raise SettingsError("logging.format must be keyvalue or json")
    _check_cluster(settings.cluster)
    return settings


def _check_cluster(cluster: ClusterSettings) -> None:
    if cluster.redis_url and not cluster.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("cluster.redis_url must start with redis://, rediss:// or unix://")
    if cluster.renew_seconds <= 0 or cluster.lease_seconds < 3 * cluster.renew_seconds:
        # the owner must renew, and miss a renewal, and still stop its AMI link before the lease ends
        raise SettingsError("cluster.renew_seconds must be positive and at most a third of lease_seconds")
    if not 0 < cluster.forward_timeout_seconds <= 60:
        raise SettingsError("cluster.forward_timeout_seconds must be between 0 and 60")


def _check_wallboard(wb: WallboardSettings) -> None:
    for name in ("queue_wait_alert_seconds", "service_level_alert_percent", "paused_alert_minutes"):
        if getattr(wb, name) < 0:
            raise SettingsError(f"wallboard.{name} must be 0 (off) or more")
    if wb.service_level_alert_percent > 100:
        raise SettingsError("wallboard.service_level_alert_percent must be at most 100")


def kpi_rules(settings: Settings) -> KpiRules:
    """The [kpi] section as crm_core.kpi takes it (time zone defaulted); refuses bad values."""
    kpi = settings.kpi
    try:
        return KpiRules(
            timezone=kpi.timezone or settings.crm.default_timezone,
            service_level_seconds=kpi.service_level_seconds,
            short_abandon_seconds=kpi.short_abandon_seconds,
            short_abandons_counted=kpi.short_abandons_counted,
            service_level_abandons=kpi.service_level_abandons,
            fcr_days=kpi.fcr_days,
        )
    except ValueError as exc:
        raise SettingsError(f"kpi.{exc}") from exc


def _check_security(sec: SecuritySettings) -> None:
    for name in ("login_failures_per_account", "login_failures_per_address", "login_throttle_max_keys"):
        if getattr(sec, name) < 1:
            raise SettingsError(f"security.{name} must be at least 1")
    if sec.login_window_seconds <= 0:
        raise SettingsError("security.login_window_seconds must be positive")
    if not all(isinstance(p, str) and p for p in sec.trusted_proxies):
        raise SettingsError("security.trusted_proxies must be a list of addresses")


def parse_window(text: str) -> tuple[dt_time, dt_time]:
    """ "09:00-20:00" -> (09:00, 20:00); the start must come before the end."""
    try:
        start, end = (dt_time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise SettingsError(f"crm.callback_window must look like 09:00-20:00, not {text!r}") from exc
    if start >= end:
        raise SettingsError("crm.callback_window must start before it ends")
    return start, end


def _check_crm(crm: CrmSettings) -> None:
    parse_window(crm.callback_window)
    try:
        ZoneInfo(crm.default_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"crm.default_timezone: unknown time zone {crm.default_timezone!r}") from exc
    for name in ("ticket_types", "dispositions", "pause_reasons"):
        values = getattr(crm, name)
        if not values or not all(isinstance(v, str) and v for v in values):
            raise SettingsError(f"crm.{name} must be a non-empty list of names")


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
