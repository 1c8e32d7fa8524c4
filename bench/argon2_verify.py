"""How long one argon2id password check takes here, with the product's own hasher.

Why it matters: every sign-in (right or wrong) pays this on a worker thread, and login
throttling is sized from it. Run: `.venv/bin/python bench/argon2_verify.py [rounds]`.
Prints the setup (library, parameters, machine) and then the figures.
"""

from __future__ import annotations

import concurrent.futures
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_core.passwords import _hasher, hash_password, verify_password


def _timed(fn: object, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def _line(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:<28} n={len(ms):<4} median={statistics.median(ms):7.1f} ms  "
        f"min={ordered[0]:7.1f} ms  p95={p95:7.1f} ms  max={ordered[-1]:7.1f} ms"
    )


def _parallel(stored: str, workers: int, total: int) -> float:
    """Checks per second with `workers` threads (argon2-cffi releases the GIL while hashing)."""
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: verify_password(stored, "correct horse"), range(total)))
    return total / (time.perf_counter() - start)


def main(rounds: int = 30) -> None:
    p = _hasher
    print("setup")
    print(f"  argon2-cffi {version('argon2-cffi')}, type argon2{p.type.name.lower()}")
    print(f"  time_cost={p.time_cost} memory_cost={p.memory_cost} KiB parallelism={p.parallelism}")
    print(f"  hash_len={p.hash_len} salt_len={p.salt_len}")
    print(f"  python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPU(s)")
    print(f"  cpu: {_cpu_name()}")
    stored = hash_password("correct horse")
    verify_password(stored, "warm-up")
    print("figures (wall clock, one thread)")
    print(_line("verify, right password", _timed(lambda: verify_password(stored, "correct horse"), rounds)))
    print(_line("verify, wrong password", _timed(lambda: verify_password(stored, "wrong horse"), rounds)))
    print(_line("verify, unknown login", _timed(lambda: verify_password(None, "any"), rounds)))
    print(_line("hash (new password)", _timed(lambda: hash_password("correct horse"), rounds // 3 or 1)))
    for workers in (1, os.cpu_count() or 1):
        rate = _parallel(stored, workers, max(rounds, 8))
        print(f"throughput with {workers} thread(s): {rate:6.1f} checks/s")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
