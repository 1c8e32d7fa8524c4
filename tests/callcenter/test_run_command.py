"""The README's run command in demo mode: a newcomer signs in and sees pop-ups within seconds."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import aiohttp
import websockets

ROOT = Path(__file__).parents[2]


async def test_demo_mode_prints_a_login_and_pops_calls_to_that_agent(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"[server]\nport = {unused_tcp_port}\n"
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/real.sqlite3"\n'
        f'[demo]\ncall_every_seconds = 0.5\ndatabase_url = "sqlite+aiosqlite:///{tmp_path}/demo.sqlite3"\n',
        encoding="utf-8",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "callcenter", "--config", str(config), "run",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        banner = await asyncio.wait_for(_read_until(proc, "password:"), timeout=30)
        login = re.search(r"sign in as one of (agent\d+)", banner)
        password = re.search(r"password: (\S+)", banner)
        assert login and password, banner
        base = f"http://127.0.0.1:{unused_tcp_port}"
        async with aiohttp.ClientSession() as http:
            body = {"login": login.group(1), "password": password.group(1)}
            async with http.post(f"{base}/api/session", json=body) as resp:
                assert resp.status == 200
                token = resp.cookies["crm_session"].value
        ws_url = f"ws://127.0.0.1:{unused_tcp_port}/ws"
        async with websockets.connect(ws_url, additional_headers={"Cookie": f"crm_session={token}"}) as ws:
            pop = await asyncio.wait_for(_first_pop(ws), timeout=30)
        assert pop["customer"]["number"]
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=15)
    assert proc.returncode == 0, "the service did not shut down cleanly on SIGTERM"
    assert (tmp_path / "demo.sqlite3").exists() and not (tmp_path / "real.sqlite3").exists()


def test_given_explicit_config_that_does_not_exist_then_clear_error_not_demo_mode(tmp_path: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "callcenter", "--config", str(tmp_path / "typo.toml"), "run"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "typo.toml: no such file" in result.stderr


async def _read_until(proc: asyncio.subprocess.Process, marker: str) -> str:
    assert proc.stdout is not None
    seen = ""
    while marker not in seen:
        line = await proc.stdout.readline()
        if not line:
            raise AssertionError(f"service exited early:\n{seen}")
        seen += line.decode()
    return seen


async def _first_pop(ws: websockets.ClientConnection) -> dict:
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "pop":
            return message
    raise AssertionError("socket closed before any pop")


def test_recordings_verify_and_purge_commands_report_and_exit(tmp_path: Path) -> None:
    import subprocess

    config = tmp_path / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/crm.sqlite3"\n'
        f'[recordings]\nstore_dir = "{tmp_path}/store"\nspool_dir = "{tmp_path}/spool"\n',
        encoding="utf-8",
    )

    def cli(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "callcenter", "--config", str(config), command],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip

    verify, purge = cli("recordings-verify"), cli("recordings-purge")
    assert verify.returncode == 0 and purge.returncode == 0, verify.stderr + purge.stderr
    assert verify.stdout.strip() and purge.stdout.strip()  # real files and corruption: tests/recordings
