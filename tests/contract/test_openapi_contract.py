"""The API contract: schemathesis sends requests made from /api/v1/openapi.json to the running
app, once per signed-in role (session cookie and CSRF header), on SQLite and on PostgreSQL.

Zero 5xx and zero responses that break the document (body schema, status code, content
type). Bounded: a fixed seed and a few
examples per operation, the three roles at once (``CRM_CONTRACT_EXAMPLES`` raises the count;
``CRM_CONTRACT_PHASES=examples,coverage,fuzzing`` runs schemathesis's boundary-value phase too).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from callcenter.service import Service
from tests.contract.conftest import ROLES
from tests.signin import sign_in

EXAMPLES = os.environ.get("CRM_CONTRACT_EXAMPLES", "5")
PHASES = os.environ.get("CRM_CONTRACT_PHASES", "examples,fuzzing")
SEED = "20261201"
# No 5xx; the body matches the documented schema, the status code and content type are documented.
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
RUN_SECONDS = 240


async def _credentials(base: str, login: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, as the console's scripts hold them."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        body = await sign_in(http, base, login)
        cookie = next(c.value for c in http.cookie_jar if c.key == "crm_session")
    return cookie, body["csrf_token"]


async def _schemathesis(base: str, login: str, workdir: Path) -> tuple[int, str]:
    cookie, csrf = await _credentials(base, login)
    args = [
        "run", f"{base}/api/v1/openapi.json",
        "-H", f"Cookie: crm_session={cookie}", "-H", f"X-CSRF-Token: {csrf}", "-H", f"Origin: {base}",
        "--checks", CHECKS,
        "--phases", PHASES, "--max-examples", EXAMPLES, "--seed", SEED,
        "--workers", "1", "--no-shrink", "--request-timeout", "20", "--max-failures", "20",
    ]  # fmt: skip
    await asyncio.to_thread(workdir.mkdir)  # schemathesis may leave its report folder there
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), *args, cwd=workdir, env={**os.environ, "NO_COLOR": "1"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), RUN_SECONDS)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, f"schemathesis as {login} ran over {RUN_SECONDS} s"
    return proc.returncode or 0, out.decode(errors="replace")


def _summary(output: str) -> str:
    tail = output[output.find("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    return " | ".join(line.strip() for line in tail.splitlines() if "generated" in line or "❌" in line)


async def test_given_each_role_signed_in_when_schemathesis_runs_the_document_then_no_5xx_no_schema_break(
    service: Service, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{service.web_port}"
    started = asyncio.get_running_loop().time()
    results = await asyncio.gather(*(_schemathesis(base, login, tmp_path / login) for login in ROLES))
    seconds = asyncio.get_running_loop().time() - started
    for login, (code, output) in zip(ROLES, results, strict=True):
        print(f"\n[contract] {login}: exit {code}; {_summary(output)}")
    print(f"[contract] three roles in {seconds:.1f} s")
    failed = {login: out for login, (code, out) in zip(ROLES, results, strict=True) if code != 0}
    assert not failed, "\n\n".join(f"== {login}\n{out[-6000:]}" for login, out in failed.items())
