"""Login throttling per account and per address: a pure sliding-window counter of failed attempts.

Why: argon2 makes each guess cost the server ~50 ms, but nothing stopped a guesser from
making 20 of them a second. Over the limit the sign-in is refused with 429 *before* the
password is looked at, so a locked account answers the same whether the guess was right.

Each attempt is counted as failed the moment it starts (`begin`) and forgiven on success
(`succeeded`): concurrent guesses racing the slow hash cannot slip past the limit. A
success clears the account's count; the address keeps its other failures (one valid
account must not reset the count of a guesser sharing its address).

Memory is bounded: each key keeps at most `limit` timestamps and each table at most
`max_keys` keys (the least recently touched go first, expired ones before live ones).
Time comes from an injected clock (monotonic seconds) so tests are exact.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)
MAX_ACCOUNT_KEY = 64  # logins are at most 64 characters; longer input cannot name an account
MAX_ADDRESS_KEY = 64


@dataclass(frozen=True)
class ThrottlePolicy:
    per_account: int = 5  # failed attempts per account per window
    per_address: int = 20  # failed attempts per remote address per window
    window_seconds: float = 60.0
    max_keys: int = 10_000  # per table (accounts, addresses)

    def __post_init__(self) -> None:
        if self.per_account < 1 or self.per_address < 1:
            raise ValueError("throttle limits must be at least 1")
        if self.window_seconds <= 0 or self.max_keys < 1:
            raise ValueError("throttle window and key cap must be positive")


@dataclass(frozen=True, slots=True)
class Locked:
    """The attempt is refused: which counter is full and how long until it lets one through."""

    scope: str  # "account" | "address"
    retry_after: int  # whole seconds, at least 1


@dataclass(frozen=True, slots=True)
class Attempt:
    """An attempt under way, already counted as failed until `succeeded` forgives it."""

    account: str
    address: str
    at: float
    reached_limit: bool  # this attempt filled a counter: a failure now locks it


class _Window:
    """Failure times per key, newest last, for one kind of key."""

    def __init__(self, limit: int, window: float, max_keys: int, kind: str) -> None:
        self.limit, self.window, self.max_keys, self.kind = limit, window, max_keys, kind
        self.keys: OrderedDict[str, deque[float]] = OrderedDict()

    def live(self, key: str, now: float) -> deque[float] | None:
        times = self.keys.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self.keys[key]
            return None
        return times

    def wait(self, key: str, now: float) -> int | None:
        """Seconds until key may try again, or None when it may try now."""
        times = self.live(key, now)
        if times is None or len(times) < self.limit:
            return None
        return max(1, math.ceil(times[0] + self.window - now))

    def add(self, key: str, now: float) -> bool:
        """Count one failure; True when the counter is now full."""
        times = self.live(key, now)
        if times is None:
            times = self.keys[key] = deque(maxlen=self.limit)
        times.append(now)
        self.keys.move_to_end(key)
        self._evict(now)
        return len(times) >= self.limit

    def forget(self, key: str, at: float | None = None) -> None:
        """Drop one failure at `at`, or the whole key when at is None."""
        if at is None:
            self.keys.pop(key, None)
            return
        times = self.keys.get(key)
        if times is not None and at in times:
            times.remove(at)
            if not times:
                del self.keys[key]

    def _evict(self, now: float) -> None:
        while len(self.keys) > self.max_keys:
            key, times = next(iter(self.keys.items()))
            if times and times[-1] > now - self.window:
                log.warning("login throttle full: forgetting a live %s counter", self.kind)
            del self.keys[key]


class LoginThrottle:
    def __init__(self, policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.monotonic):
        self.policy = policy or ThrottlePolicy()
        self.clock = clock
        p = self.policy
        self.accounts = _Window(p.per_account, p.window_seconds, p.max_keys, "account")
        self.addresses = _Window(p.per_address, p.window_seconds, p.max_keys, "address")

    def begin(self, login: str, address: str) -> Attempt | Locked:
        """Refuse (Locked) without counting, or count the attempt as failed and let it proceed."""
        account, remote = account_key(login), address[:MAX_ADDRESS_KEY]
        now = self.clock()
        for scope, window, key in (("address", self.addresses, remote), ("account", self.accounts, account)):
            wait = window.wait(key, now)
            if wait is not None:
                return Locked(scope, wait)
        full_account = self.accounts.add(account, now)
        full_address = self.addresses.add(remote, now)
        return Attempt(account, remote, now, full_account or full_address)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the account starts afresh, the address forgets this one attempt."""
        self.accounts.forget(attempt.account)
        self.addresses.forget(attempt.address, attempt.at)

    def forgive(self, attempt: Attempt) -> None:
        """The attempt never reached a password check (e.g. a malformed request): uncount it."""
        self.accounts.forget(attempt.account, attempt.at)
        self.addresses.forget(attempt.address, attempt.at)


def account_key(login: str) -> str:
    return login.strip()[:MAX_ACCOUNT_KEY]
