"""The AMI side of the benchmarks, run as a process of its own so it does not eat the service's CPU.

pbxsim's AMI server (banner, Login, FullyBooted, Ping exactly as Asterisk sends them) with two
benchmark actions a client sends once logged in:
- ``BenchBlast`` (Rounds): the recorded event mix (bench/amimix.py), written as fast as the
  socket takes it, then ``Event: BenchDone``.
- ``BenchCalls`` (Rate, Calls, Hold, Agents, AgentBase, Callers): new queue calls at Rate per second,
  each to the next agent; a call's events up to AgentCalled leave at once, stamped with
  ``ChanVariable: CRM_BENCH_T=<CLOCK_MONOTONIC ns>`` at the moment they are written (the pop-up
  carries CRM_* variables, so the console can tell how long it took); answer and hang-up follow
  Hold seconds later. Then ``Event: BenchDone``.
Prints its port on the first line of standard output; ends when standard input closes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amimix import encode, event_name, mix_stream, pop_template
from pbxsim.ami_server import AmiServer, response

USER, SECRET = "bench", "bench-secret"
_POP = pop_template()
DONE = b"Event: BenchDone\r\nPrivilege: user,all\r\n\r\n"


def _header(message: list[tuple[str, str]], key: str, default: str) -> str:
    return next((v for k, v in message if k.lower() == key.lower()), default)


_TASKS: set[asyncio.Task[None]] = set()  # the work runs beside the session's read loop (Pings answered)


def _spawn(work) -> None:  # type: ignore[no-untyped-def]
    task = asyncio.create_task(work)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def blast(session, message) -> None:  # type: ignore[no-untyped-def]
    session.send(response("Success", message, ("Message", "Blasting")))
    _spawn(_blast(session, message))


_PREPARED: dict[int, bytes] = {}


def _stream(rounds: int) -> bytes:
    if rounds not in _PREPARED:
        _PREPARED[rounds] = encode(list(mix_stream(rounds))) + DONE
    return _PREPARED[rounds]


async def prepare(session, message) -> None:  # type: ignore[no-untyped-def]
    """Build the stream before the clock starts (BenchBlast then only writes it)."""
    _stream(int(_header(message, "Rounds", "10")))
    session.send(response("Success", message, ("Message", "Prepared")))


async def _blast(session, message) -> None:  # type: ignore[no-untyped-def]
    session.writer.write(_stream(int(_header(message, "Rounds", "10"))))
    await session.writer.drain()


def _phases(serial: int, agent: str, caller: str) -> tuple[str, bytes]:
    """The call's first events (ending with AgentCalled, unstamped) and the rest, as bytes."""
    blocks = _POP.copy(serial, agent, caller)
    cut = next(i for i, b in enumerate(blocks) if event_name(b) == "AgentCalled") + 1
    first = "".join(f"{b}\r\n\r\n" for b in blocks[: cut - 1]) + blocks[cut - 1]
    return first, encode(blocks[cut:])


async def calls(session, message) -> None:  # type: ignore[no-untyped-def]
    """Answered once every call's events are built: the calls start 50 ms after the reply."""
    count, callers = int(_header(message, "Calls", "1000")), int(_header(message, "Callers", "1000"))
    agents, base = int(_header(message, "Agents", "1000")), int(_header(message, "AgentBase", "20000"))
    first = int(_header(message, "Serial", "1"))
    prepared = [_phases(first + i, str(base + i % agents), f"1390000{i % callers:04d}") for i in range(count)]
    session.send(response("Success", message, ("Message", "Calling")))
    _spawn(_calls(session, message, prepared))


async def _calls(session, message, prepared: list[tuple[str, bytes]]) -> None:  # type: ignore[no-untyped-def]
    rate, hold = float(_header(message, "Rate", "200")), float(_header(message, "Hold", "1.0"))
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    writer = session.writer
    for i, (first, rest) in enumerate(prepared):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        writer.write(f"{first}\r\nChanVariable: CRM_BENCH_T={time.monotonic_ns()}\r\n\r\n".encode())
        loop.call_at(due + hold, writer.write, rest)
    await asyncio.sleep(hold + 0.1)
    writer.write(DONE)


async def main() -> None:
    server = AmiServer(USER, SECRET)
    server.register_action("BenchPrepare", prepare)
    server.register_action("BenchBlast", blast)
    server.register_action("BenchCalls", calls)
    await server.start()
    print(server.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent goes
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
