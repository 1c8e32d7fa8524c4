"""Real service processes for the cluster tests and bench/failover.py: `python -m callcenter run`.

Each instance gets its own config.toml (its own web port, picked by the OS and read back
from its log line "console at http://127.0.0.1:<port>/"), the shared database, the
shared Redis namespace and the simulated PBX's AMI port.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]
PORT_LINE = re.compile(rb"console at http://127\.0\.0\.1:(\d+)/")


@dataclass(frozen=True)
class ClusterSetup:
    database_url: str
    redis_url: str
    namespace: str
    ami_port: int
    ami_secret: str
    pbx: str = "test"
    lease_seconds: float = 3.0
    renew_seconds: float = 1.0


def write_config(folder: Path, name: str, setup: ClusterSetup) -> Path:
    """An instance's config.toml: loopback web server on any port, migrations already applied."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0
[database]
url = "{setup.database_url}"
migrate_on_start = false
[demo]
enabled = "no"
[crm]
callback_window = "00:00-23:59:59"
auto_callback_for_abandoned = false
[recordings]
spool_dir = "{folder / "spool"}"
store_dir = "{folder / "store"}"
[logging]
level = "INFO"
[cluster]
redis_url = "{setup.redis_url}"
instance_id = "{name}"
namespace = "{setup.namespace}"
lease_seconds = {setup.lease_seconds}
renew_seconds = {setup.renew_seconds}
[[pbx]]
name = "{setup.pbx}"
port = {setup.ami_port}
username = "crm"
secret = "{setup.ami_secret}"
reconnect_max_seconds = 1.0
ping_seconds = 2.0
""",
        encoding="utf-8",
    )
    return path


class Instance:
    """One service process; its log is kept in its folder (shown when it fails to start)."""

    def __init__(self, name: str, folder: Path, setup: ClusterSetup) -> None:
        self.name, self.folder, self.setup = name, folder, setup
        self.config = write_config(folder, name, setup)
        self.log = folder / "service.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, within: float = 60.0) -> None:
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "callcenter", "--config", str(self.config), "run",
                stdout=out, stderr=asyncio.subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            found = PORT_LINE.search(self.log.read_bytes())
            if found:
                self.port = int(found.group(1))
                return
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError(f"instance {self.name} did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no clean stop, no lease handed back."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self, within: float = 15.0) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), within)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    async def pbx_up(self, http: aiohttp.ClientSession) -> bool:
        """This instance holds the PBX's AMI link and is in sync with it (its own link, on /metrics).

        Not /api/health: in a cluster that says whether the PBX can be reached from the instance,
        which is also true of a standby while the owner is alive (actions are forwarded)."""
        try:
            async with http.get(f"{self.base}/metrics", timeout=aiohttp.ClientTimeout(total=1)) as resp:
                text = await resp.text()
        except (aiohttp.ClientError, TimeoutError):
            return False
        return f'crm_ami_link_up{{pbx="{self.setup.pbx}"}} 1.0' in text

    async def pbx_reachable(self, http: aiohttp.ClientSession) -> bool:
        """GET /api/health: the PBX can be acted on from this instance (linked here or forwarded)."""
        try:
            async with http.get(f"{self.base}/api/health", timeout=aiohttp.ClientTimeout(total=1)) as resp:
                body: dict[str, Any] = await resp.json()
        except (aiohttp.ClientError, TimeoutError):
            return False
        return bool(body.get("pbx", {}).get(self.setup.pbx))
