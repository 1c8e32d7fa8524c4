"""Builds every part from Settings, wires them through the bus, and starts and stops them in order.

Start: database (migrated) → services → bus → web server → PBX links (so the
first pop-up already has a console to go to). Stop: PBX links first (no new
events), then the bus is drained so no call record is left unwritten, then the
web server and the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy.engine import make_url

from agent_ui import metrics_route, recordings_api, security
from agent_ui.admin.labels import seed_label
from agent_ui.admin.state import ADMIN
from agent_ui.api_v1.campaigns import ROOM as CAMPAIGN_ROOM
from agent_ui.api_v1.services import CrmServices
from agent_ui.app import create_app
from agent_ui.context import UiServices
from agent_ui.hub import ConsoleHub
from agent_ui.security.throttle import ThrottlePolicy
from agent_ui.wallboard import Thresholds, WallboardHub
from callcenter import campaigns_wiring
from callcenter.agents import AgentDirectory
from callcenter.cluster import Cluster
from callcenter.metrics import LiveFigures, exposition
from callcenter.settings import PbxSettings, Settings, kpi_rules, parse_window
from crm_core.admin.services import AdminServices
from crm_core.audit.service import AuditService
from crm_core.bus import EventBus
from crm_core.call_sweep import CallRecordWriter
from crm_core.callbacks.service import CallbackPolicy, CallbackService
from crm_core.calls import BATCH_EVENTS, CallRecordService
from crm_core.contacts.service import CustomerProfiles
from crm_core.contacts.timeline import Timeline
from crm_core.customers import CustomerService
from crm_core.db import Database
from crm_core.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallOffered,
    CallQueued,
    CallTransferred,
    OfferWithdrawn,
    PbxLinkChanged,
    PbxResynced,
    SystemAlarm,
)
from crm_core.kb.service import KnowledgeBase
from crm_core.kpi.service import KpiReports
from crm_core.metrics import PopClock, instrument_engine
from crm_core.migrate import upgrade
from crm_core.ports import Telephony
from crm_core.recording.mute import MuteController
from crm_core.recording.policy import RecordOnAnswer
from crm_core.recording.service import BATCH_EVENTS as RECORDING_BATCH_EVENTS
from crm_core.recording.service import RecordingService, RetentionPolicy
from crm_core.recycle.service import RecycleBin
from crm_core.seat_history import BATCH_EVENTS as SEAT_BATCH_EVENTS
from crm_core.seat_history import SeatHistoryService
from crm_core.sessions import SessionService
from crm_core.tickets.service import TicketService
from crm_core.users import UserService
from cti.actions import Dialplan
from cti.pbx_adapter import PbxAdapter
from cti.tracker import CallTracker
from ivr import IvrServices
from ivr.server import IvrServer
from ivr.server import build as build_ivr
from recordings.store import RecordingStore

log = logging.getLogger(__name__)
CALL_EVENTS = (
    CallQueued,
    CallOffered,
    OfferWithdrawn,
    CallAnswered,
    CallTransferred,
    CallHoldChanged,
    CallEnded,
)
AGENT_REFRESH_SECONDS = 60.0
RETENTION_CHECK_SECONDS = 3600.0  # recordings past their retention go within the hour


def cancelled() -> bool:
    """The running task was asked to stop (a cancel some library code swallowed or re-labelled)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def ensure_sqlite_folder(url: str) -> None:
    """A relative SQLite path like var/crm.sqlite3 works on a fresh clone."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def build_crm(settings: Settings, customers: CustomerService) -> CrmServices:
    crm, db = settings.crm, customers.db
    policy = CallbackPolicy(
        window=parse_window(crm.callback_window),
        preferred_timeout=timedelta(minutes=crm.callback_preferred_minutes),
        retry_delay=timedelta(minutes=crm.callback_retry_minutes),
        max_attempts=crm.callback_max_attempts,
        auto_for_abandoned=crm.auto_callback_for_abandoned,
    )
    return CrmServices(
        customers,
        CustomerProfiles(customers),
        Timeline(db),
        TicketService(db, types=crm.ticket_types),
        CallbackService(db, customers, policy),
        KnowledgeBase(db),
        AuditService(db),
        RecycleBin(db),
    )


class Service:
    """The running product: one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        ensure_sqlite_folder(settings.database.url)
        self.db = Database(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms)
        instrument_engine(self.db.writer, "writer")
        if self.db.reader is not self.db.writer:
            instrument_engine(self.db.reader, "reader")
        crm = settings.crm
        self.bus = EventBus()
        # [cluster] redis_url set: events shared with the other instances, PBX links leased
        self.cluster = Cluster(settings.cluster, self.bus) if settings.cluster.redis_url else None
        self.users = UserService(self.db)
        self.customers = CustomerService(self.db, crm.default_region, crm.default_timezone)
        self.kpi = kpi_rules(settings)  # one set of KPI rules for reports and the wallboard
        self.crm = build_crm(settings, self.customers)
        self.calls = CallRecordService(self.db, crm.default_region, crm.dispositions)
        self.seat_history = SeatHistoryService(self.db)
        self.sessions = SessionService(
            self.db,
            idle_timeout=timedelta(minutes=settings.sessions.idle_minutes),
            absolute_timeout=timedelta(hours=settings.sessions.absolute_hours),
        )
        self.pop_clock = PopClock()  # when each offer arrived: the pop-up latency on /metrics
        self.hub = ConsoleHub(self.users, self.customers, self.pop_clock)
        wb = settings.wallboard
        self.wallboard = WallboardHub(
            self.users,
            self.customers,
            thresholds=Thresholds(
                wb.queue_wait_alert_seconds, wb.service_level_alert_percent, wb.paused_alert_minutes
            ),
            kpi=self.kpi,
        )
        self.users.listeners.append(self.wallboard.users_changed)
        self.directory = AgentDirectory(self.users)
        self.users.listeners.append(self._users_changed)
        self.pbx_links: dict[str, PbxAdapter] = {}  # this instance's AMI links (the dialer dials only here)
        # What consoles, the API, admin and mutes act through: in a cluster, forwarded to the PBX's owner
        self.telephony: dict[str, Telephony] = {}
        self.campaigns = campaigns_wiring.build_room(settings, self.customers, self.crm.profiles)
        self.dialer = campaigns_wiring.build_dialer(settings, self.campaigns, self.pbx_links, self.users)
        rec = settings.recordings
        self.recordings = RecordingService(
            self.db,
            RecordingStore(Path(rec.store_dir), Path(rec.spool_dir)),
            self.bus.publish,
            RetentionPolicy(rec.default_retention_days, rec.retention_days),
            file_format=rec.file_format,
        )
        self.mutes = MuteController(self.db, self.telephony, self.bus.publish, rec.auto_resume_seconds)
        self.record_on_answer = RecordOnAnswer(self.pbx_links, rec.record_on_answer_queues, rec.file_format)
        self.ivr: IvrServer | None = None
        if settings.ivr:
            ivr_services = IvrServices(self.db, self.customers, self.crm.tickets, self.crm.callbacks)
            self.ivr = build_ivr(settings.ivr, ivr_services)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.web_port = 0

    def add_pbx(self, pbx: PbxSettings) -> PbxAdapter:
        dialplan = Dialplan(
            outbound_context=pbx.outbound_context,
            callback_context=pbx.callback_context,
            callback_dial=pbx.callback_dial,
            transfer_context=pbx.transfer_context,
            queue_context=pbx.queue_context,
            spy_context=pbx.spy_context,
            campaign_context=pbx.campaign_context,
            originate_timeout=pbx.originate_timeout,
        )
        adapter = PbxAdapter(
            pbx.name,
            self._publish_from_pbx,
            host=pbx.host,
            port=pbx.port,
            username=pbx.username,
            secret=pbx.secret,
            tracker=CallTracker(pbx.name, direct_agent=self.directory.agent_of),
            dialplan=dialplan,
            wrapup_seconds=self.settings.crm.wrapup_seconds,
            backoff_max=pbx.reconnect_max_seconds,
            ping_interval=pbx.ping_seconds,
        )
        self.pbx_links[pbx.name] = adapter
        self.telephony[pbx.name] = self.cluster.forward(pbx.name, adapter) if self.cluster else adapter
        return adapter

    async def start(self) -> None:
        if self.settings.database.migrate_on_start:
            await upgrade(self.db)
        admin = AdminServices.build(self.users, self.sessions, self.telephony)
        await admin.seed(self.settings.crm.dispositions, self.settings.crm.pause_reasons, seed_label)
        await self.directory.refresh()
        await self.hub.load_agents()  # every agent's interface known before the first pop-up
        records = CallRecordWriter(self.calls, self.bus.publish).handle_batch  # + calls that ended unwatched
        self.bus.subscribe("call-records", records, *CALL_EVENTS, PbxResynced, batch=BATCH_EVENTS)
        seats = self.seat_history.handle_batch  # one transaction per burst of seat changes
        self.bus.subscribe("seat-history", seats, AgentStateChanged, batch=SEAT_BATCH_EVENTS)
        hub_events = (*CALL_EVENTS, AgentStateChanged, SystemAlarm)
        self.bus.subscribe("console-hub", self.hub.handle, *hub_events, remote=True)  # remote: any instance
        await self.wallboard.refresh_directory()
        await self.wallboard.seed_today(
            KpiReports(self.db, self.kpi).ended_calls
        )  # before the PBX links: no call counted twice
        board_events = (*CALL_EVENTS, AgentStateChanged, PbxLinkChanged)
        self.bus.subscribe("wallboard", self.wallboard.handle, *board_events, remote=True)
        ingest = self.recordings.on_calls_ended
        self.bus.subscribe("recordings", ingest, CallEnded, batch=RECORDING_BATCH_EVENTS)
        self.bus.subscribe("recording-mutes", self.mutes.on_call_ended, CallEnded)
        if self.settings.recordings.record_on_answer_queues:
            self.bus.subscribe("record-on-answer", self.record_on_answer.on_call_answered, CallAnswered)
        if self.settings.crm.auto_callback_for_abandoned:
            self.bus.subscribe("abandoned-callbacks", self.crm.callbacks.on_call_ended, CallEnded)
        campaigns_wiring.subscribe(self.bus, self.campaigns, self.dialer, self.hub, self.customers)
        await self.bus.start()
        await self.mutes.start()  # re-arm auto-resume for spans left open by a restart
        await self._start_web()
        if self.cluster is not None:
            await self._join_cluster()
        for pbx in self.settings.pbx:
            self.add_pbx(pbx)
        for name, adapter in self.pbx_links.items():  # in a cluster: only while this instance owns it
            await (self.cluster.own(name, adapter) if self.cluster is not None else adapter.start())
        if self.ivr is not None:
            await self.ivr.start()
        self._every(AGENT_REFRESH_SECONDS, self.directory.refresh, "agent-directory")
        self._every(self.settings.crm.escalation_check_seconds, self._escalate, "complaint-escalation")
        self._every(RETENTION_CHECK_SECONDS, self._purge_recordings, "recording-retention")
        self._every(self.settings.campaigns.dialer_tick_seconds, self.dialer.tick, "campaign-dialer")

    async def _join_cluster(self) -> None:
        """Share events, user changes and sign-outs with the other instances (callcenter.cluster)."""
        assert self.cluster is not None and self._runner is not None
        relay = self.cluster.relay
        relay.users_changed.extend(self.users.listeners)  # what a change made elsewhere refreshes here
        relay.signed_out += [self.hub.streams.close_user, self.wallboard.close_user]
        self.users.listeners.append(relay.notify_users_changed)
        self._runner.app[ADMIN].users.signed_out.append(relay.notify_signed_out)
        self.bus.subscribe("cluster-out", relay.send)  # this instance's own events, in order
        await self.cluster.start()

    def _publish_from_pbx(self, event: object) -> None:
        """The PBX adapters publish synchronously as each AMI event is read: an offer is stamped here."""
        if isinstance(event, CallOffered):
            self.pop_clock.arrived(event.pbx, event.call_id, event.agent)
        self.bus.publish(event)

    async def _users_changed(self) -> None:
        self.hub.forget_agent_cache()
        await self.hub.load_agents()
        await self.directory.refresh()

    async def _purge_recordings(self) -> None:
        report = await self.recordings.purge()
        for line in report.lines():
            log.info("recording retention: %s", line)

    async def _escalate(self) -> None:
        escalated = await self.crm.tickets.escalate_overdue()
        if escalated:
            log.info("escalated overdue complaints count=%d", len(escalated))

    def _every(self, seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
        """Run job periodically in a task this service owns; a failing run is logged, not fatal."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception:
                    if not cancelled():
                        log.exception("periodic job failed job=%s", name)
                if cancelled():  # stop() cancelled us and the job swallowed or re-labelled it
                    return

        task = asyncio.create_task(loop(), name=name)
        self._tasks.add(task)

    async def _start_web(self) -> None:
        ui = UiServices(
            users=self.users,
            customers=self.customers,
            sessions=self.sessions,
            hub=self.hub,
            telephony=self.telephony,
            secure_cookies=self.settings.server.secure_cookies,
            public_origin=self.settings.server.public_origin,
            calls=self.calls,
            crm=self.crm,
            wrapup_seconds=self.settings.crm.wrapup_seconds,
            wallboard=self.wallboard,
            kpi=self.kpi,
        )
        app = create_app(ui)
        app[CAMPAIGN_ROOM] = self.campaigns
        sec = self.settings.security
        limits = ThrottlePolicy(
            sec.login_failures_per_account,
            sec.login_failures_per_address,
            sec.login_window_seconds,
            sec.login_throttle_max_keys,
        )
        security.install(app, limits, sec.trusted_proxies)
        recordings_api.setup(app, self.recordings.access, self.mutes)
        figures = LiveFigures(
            self.pbx_links, self.hub.streams.console_count, self.wallboard.screen_count, self.bus.queue_depths
        )
        metrics_route.setup(app, exposition(figures), self.settings.metrics.token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.server.host, self.settings.server.port)
        await site.start()
        self.web_port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ivr is not None:
            await self.ivr.stop()
        if self.cluster is not None:
            await self.cluster.stop_links()  # links down; leases kept until our events are written
        for adapter in self.pbx_links.values():
            await adapter.stop()
        if self._runner is not None:
            for site in list(self._runner.sites):
                await site.stop()  # no new requests: nothing can arm a timer or publish from now on
        if self.cluster is not None:
            await self.cluster.release_leases(self.bus.drain)  # drained first: no sweep races our writes
        await self.bus.stop()
        if self.cluster is not None:
            await self.cluster.close()  # after the bus: its last events are in the shared stream
        await self.mutes.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.db.dispose()
