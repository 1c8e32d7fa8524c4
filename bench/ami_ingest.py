"""Benchmark a: AMI events through the whole pipeline, against panoramisk alone parsing the same stream.

The stream is the recorded event mix (bench/amimix.py: five scenarios of a real Asterisk, ~1,200
events a round, every copy with its own call ids), sent by bench/ami_feeder.py from a process of
its own as fast as the socket takes it. In the same run:
- baseline: panoramisk's Manager with one synchronous catch-all handler counting events;
- pipeline: the service (callcenter.service.Service, SQLite in a temporary folder, agents 1001/1002
  with accounts so pop-ups are built and queued to their streams, a known caller) — AMI link →
  call and seat trackers → bus → call records, seat history, console hub, wallboard; "ingested" is
  when the adapter has seen every event; "records and pop-ups" when the call records are written and
  the console hub has built and sent every pop-up (the pipeline the issue names: parse → tracker →
  call records → pop-ups); "drained" when every other bus subscriber is done too (seat history,
  recordings, campaigns, wallboard...). A second pipeline run mutes every subscriber but the call
  records and the console hub: the named pipeline alone.
Run: `.venv/bin/python bench/ami_ingest.py [rounds] [--profile]` (default 40 rounds, best of 2).
"""

from __future__ import annotations

import asyncio
import cProfile
import logging
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from panoramisk import Manager

from bench.ami_feeder import SECRET, USER
from bench.amimix import mix_stream
from bench.harness import PBX, Feeder, machine, mute_all_but, started, until

CORE = ("call-records", "console-hub")  # the pipeline the issue names: ... -> call records -> pop-ups


async def baseline(port: int, rounds: int) -> tuple[int, float, float]:
    """(events, seconds, CPU seconds) for panoramisk alone: parse, dispatch to one sync handler, count."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    count = 0

    def on_event(_manager: Manager, message: object) -> None:
        nonlocal count
        count += 1
        if message.get("Event") == "BenchDone" and not done.done():  # type: ignore[attr-defined]
            done.set_result(None)

    manager = Manager(host="127.0.0.1", port=port, username=USER, secret=SECRET, ping_delay=0)
    manager.register_event("*", on_event)
    await manager.connect()
    await manager.send_action({"Action": "BenchPrepare", "Rounds": str(rounds)})
    await asyncio.sleep(0.2)  # FullyBooted and friends are in
    count = 0
    began, cpu = time.perf_counter(), time.process_time()
    await manager.send_action({"Action": "BenchBlast", "Rounds": str(rounds)})
    await asyncio.wait_for(done, 120)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    manager.close()
    return count, seconds, cpu


async def pipeline(
    port: int, rounds: int, profile: bool, alone: bool = False
) -> tuple[int, list[tuple[float, float]]]:
    """Events; (seconds, CPU seconds) until the adapter saw them all, until the call records and
    pop-ups were done, until the whole bus was drained."""
    with tempfile.TemporaryDirectory() as folder:
        service = await started(Path(folder), port)
        if alone:
            mute_all_but(service, *CORE)
        try:
            await service.users.create(
                "agent1001", "bench-password-1", "Agent 1001", interface="Local/1001@agents/n"
            )
            await service.users.create(
                "agent1002", "bench-password-2", "Agent 1002", interface="Local/1002@agents/n"
            )
            await service.customers.create("Bench Caller", ["5550001"])
            adapter = service.pbx_links[PBX]
            expected = sum(1 for _ in mix_stream(rounds)) + 1
            first = adapter.events_received
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            began, cpu = time.perf_counter(), time.process_time()
            await adapter.link.send_action({"Action": "BenchBlast", "Rounds": str(rounds)})
            await until(lambda: adapter.events_received - first >= expected, 300.0)
            marks = [(time.perf_counter() - began, time.process_time() - cpu)]
            await service.bus.drain(*CORE)
            marks.append((time.perf_counter() - began, time.process_time() - cpu))
            await service.bus.drain()
            marks.append((time.perf_counter() - began, time.process_time() - cpu))
            if profiler:
                profiler.disable()
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats("/work/main/(crm_core|cti|agent_ui)", 40)
            return expected, marks
        finally:
            await service.stop()


def _add(rates: dict[str, list[float]], key: str, events: int, seconds: float, cpu: float) -> None:
    rates.setdefault(f"{key} wall", []).append(events / seconds)
    rates.setdefault(f"{key} cpu", []).append(events / max(cpu, 1e-9))


async def main(rounds: int, profile: bool) -> None:
    logging.basicConfig(level=os.environ.get("BENCH_LOG", "ERROR"))
    feeder = Feeder()
    try:
        events = sum(1 for _ in mix_stream(rounds)) + 1
        print(f"setup: {machine()}; {rounds} rounds of the recorded mix = {events} events "
              f"(~{len(b''.join(s.encode() for s in mix_stream(1))) * rounds / 1e6:.0f} MB); "
              "feeder in its own process; SQLite; best of 2")  # fmt: skip
        rates: dict[str, list[float]] = {}
        for _ in range(2):
            n, seconds, cpu = await baseline(feeder.port, rounds)
            _add(rates, "base", n, seconds, cpu)
            n, marks = await pipeline(feeder.port, rounds, profile)
            for key, (seconds, cpu) in zip(("ingested", "core", "drained"), marks, strict=True):
                _add(rates, key, n, seconds, cpu)
            n, marks = await pipeline(feeder.port, rounds, False, alone=True)
            _add(rates, "alone", n, *marks[1])
        best = {key: max(values) for key, values in rates.items()}
        print("  events per second of wall time | per second of this process's CPU time")
        for key, label in (
            ("base", "panoramisk alone (sync catch-all handler)"),
            ("ingested", "pipeline, ingested (link+trackers+publish)"),
            ("core", "pipeline, call records and pop-ups done"),
            ("drained", "pipeline, drained (every subscriber done)"),
            ("alone", "call records and pop-ups, others muted"),
        ):
            wall, cpu = best[f"{key} wall"], best[f"{key} cpu"]
            ratios = (
                f"ratio {wall / best['base wall']:.2f} | {cpu / best['base cpu']:.2f}"
                if key != "base"
                else ""
            )
            print(f"  {label:<44} {wall:9,.0f} | {cpu:9,.0f}   {ratios}")
    finally:
        feeder.stop()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    asyncio.run(main(int(args[0]) if args else 40, "--profile" in sys.argv))
