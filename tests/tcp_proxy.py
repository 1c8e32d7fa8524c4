"""A loopback TCP proxy in front of Redis that a test can break without touching the machine's Redis.

cut(): a silent partition (traffic swallowed, no reset), as a dead network looks to a client.
go_down() / come_back(): an outage (every connection reset, new ones refused until it ends), as a
Redis restart or failover looks to its clients.
"""

from __future__ import annotations

import asyncio
import contextlib


class LoopbackProxy:
    """Forwards 127.0.0.1:<port> to a target."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.cut_off = False
        self.down = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        if self.cut_off:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await src.read(65536):
                if self.cut_off:
                    return  # a partition: nothing more gets through, and nobody is told
                dst.write(data)
                await dst.drain()
        with contextlib.suppress(ConnectionError, OSError):
            dst.close()

    def cut(self) -> None:
        """Silently swallow traffic from now on, like a dead network (no RST to the client)."""
        self.cut_off = True

    def go_down(self) -> None:
        """Reset every connection and refuse new ones."""
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def come_back(self) -> None:
        self.down = False

    async def stop(self) -> None:
        self.cut_off = True
        self.go_down()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
