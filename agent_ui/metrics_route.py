"""GET /metrics: the service's figures in the Prometheus text format.

Prometheus cannot sign in, so this route does not use sessions. Who may read it:
- with ``[metrics] token`` set: whoever sends ``Authorization: Bearer <token>`` (from anywhere);
- with no token: only a client on this machine's loopback that did not come through a proxy
  (a request carrying X-Forwarded-For / Forwarded is refused: a reverse proxy on the same
  host would otherwise open the figures to the world).
Every refusal is audited like any other refused access.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from agent_ui.access import audit_refusal
from agent_ui.errors import json_error

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


@dataclass(frozen=True)
class MetricsEndpoint:
    render: Callable[[], bytes]  # the exposition text of every collector
    token: str = ""


METRICS = web.AppKey("metrics", MetricsEndpoint)


def setup(app: web.Application, render: Callable[[], bytes], token: str = "") -> None:
    app[METRICS] = MetricsEndpoint(render, token)
    app.router.add_get("/metrics", metrics)


def _loopback(request: web.Request) -> bool:
    try:
        local = ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False
    return local and not any(h in request.headers for h in PROXY_HEADERS)


def _bearer_ok(request: web.Request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def metrics(request: web.Request) -> web.StreamResponse:
    endpoint = request.app[METRICS]
    if endpoint.token and not _bearer_ok(request, endpoint.token):
        await audit_refusal(request, "metrics token", 401)
        response = json_error(request, 401, "error.unauthenticated")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not endpoint.token and not _loopback(request):
        await audit_refusal(request, "metrics not loopback")
        return json_error(request, 403, "error.forbidden")
    return web.Response(body=endpoint.render(), headers={"Content-Type": CONTENT_TYPE})
