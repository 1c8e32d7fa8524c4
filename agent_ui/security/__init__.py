"""Security pieces of the web layer that are not routes: login throttling, the client's address.

`install` puts them on the app: `create_app` installs the defaults, the composition root
installs them again from `[security]` before the app starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from agent_ui.security.throttle import LoginThrottle, ThrottlePolicy

MAX_ADDRESS = 64


@dataclass(frozen=True)
class Security:
    throttle: LoginThrottle
    trusted_proxies: frozenset[str]


SECURITY = web.AppKey("security", Security)


def install(
    app: web.Application,
    policy: ThrottlePolicy | None = None,
    trusted_proxies: Iterable[str] = (),
    clock: Callable[[], float] = time.monotonic,
) -> Security:
    security = Security(LoginThrottle(policy, clock), frozenset(trusted_proxies))
    app[SECURITY] = security
    return security


def client_address(request: web.Request) -> str:
    """Who is asking: the peer, or behind a trusted proxy the last address it did not add itself.

    X-Forwarded-For is believed only from configured proxies: anyone else could write any
    address there and escape the per-address throttle.
    """
    peer = (request.remote or "")[:MAX_ADDRESS]
    security = request.app.get(SECURITY)
    if security is None or peer not in security.trusted_proxies:
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for hop in reversed([h for h in hops if h]):
        if hop not in security.trusted_proxies:
            return hop[:MAX_ADDRESS]
    return peer


def served_over_tls(request: web.Request, configured: bool, public_origin: str) -> bool:
    """Whether cookies must be Secure: configured so, the public origin is https, or this request is."""
    return configured or public_origin.lower().startswith("https://") or request.secure


__all__ = ["SECURITY", "LoginThrottle", "Security", "ThrottlePolicy", "client_address", "install"]
