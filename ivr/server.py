"""The FastAGI listener: one task per Asterisk connection, each bounded in size, time and number.

panoramisk's fast_agi is not used: its header loop spins forever on a peer that closes
mid-block (read() returns b'' at EOF), buffers without limit, has no timeouts, reads one
line of a 520 usage reply and relies on asyncio.coroutine, gone in Python 3.11.
"""

from __future__ import annotations

import asyncio
import logging
import time

from ivr.agi import AgiChannel, AgiHangup, AgiProtocolError, read_env
from ivr.config import IvrConfig
from ivr.flow import FlowRunner
from ivr.services import IvrServices
from ivr.session import Call

log = logging.getLogger(__name__)
LINE_LIMIT = 4096  # longest line we accept from a peer; Asterisk's are far shorter


class IvrServer:
    def __init__(self, config: IvrConfig, services: IvrServices) -> None:
        self.config = config
        self.runner = FlowRunner(config, services)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.finished: list[Call] = []  # the last calls' outcomes, for tests and the status page
        self.rejected = 0  # connections dropped as not FastAGI

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("IVR server not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.config.host, self.config.port, limit=LINE_LIMIT
        )
        log.info("ivr listening host=%s port=%s", self.config.host, self.port)

    async def stop(self) -> None:
        """Stop listening, then end the calls still in the IVR (their channels get no more commands)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._tasks) >= self.config.max_sessions:
            log.warning("ivr busy: refusing a connection sessions=%d", len(self._tasks))
            writer.close()
            return
        self._tasks.add(task)
        try:
            await self._session(reader, writer)
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        try:
            env = await read_env(reader, self.config.env_timeout)
        except (AgiProtocolError, AgiHangup, TimeoutError, OSError) as exc:
            self.rejected += 1
            why = str(exc) if isinstance(exc, AgiProtocolError) else ""  # our own fixed texts, no peer bytes
            log.info("ivr dropped a peer that is not FastAGI: %s %s", type(exc).__name__, why)
            return
        channel = AgiChannel(reader, writer, self.config.command_timeout)
        try:
            call = await self.runner.run(channel, env)
        except (AgiProtocolError, TimeoutError, OSError) as exc:
            log.warning("ivr session failed uniqueid=%s: %s", env.get("agi_uniqueid", ""), exc)
            return
        except Exception:
            log.exception("ivr session crashed uniqueid=%s", env.get("agi_uniqueid", ""))
            return
        self.finished = [*self.finished[-99:], call]
        log.info(
            "ivr call pbx=%s call=%s outcome=%s customer=%s seconds=%.1f",
            call.key.pbx,
            call.key.call_id,
            call.outcome,
            call.customer_id,
            time.monotonic() - started,
        )


def build(config: dict, services: IvrServices) -> IvrServer:
    """The IVR server for the parsed [ivr] table; a mistake raises IvrConfigError now, not mid-call."""
    from ivr.config import build_config

    return IvrServer(build_config(config), services)
