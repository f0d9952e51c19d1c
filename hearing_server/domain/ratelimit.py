"""Failure-counting rate limiters for sign-in and code exchange (pure: the caller passes the
time in)."""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict, deque
from collections.abc import Hashable
from dataclasses import dataclass


class FailureLimiter:
    """Allow at most ``max_failures`` failures per key in a sliding window.

    Once a key is over the limit every attempt is refused until the oldest
    failure leaves the window, so the right user gets in again after at most
    one window, and a guesser gets ``max_failures`` tries per window.
    """

    def __init__(self, *, max_failures: int, window_s: float, max_keys: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def _prune(self, key: Hashable, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, key: Hashable, now: float) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may try now."""
        times = self._prune(key, now)
        if times is None or len(times) < self.max_failures:
            return None
        return max(1, math.ceil(times[0] + self.window_s - now))

    def record_failure(self, key: Hashable, now: float) -> None:
        times = self._prune(key, now)
        if times is None:
            times = deque()
            self._failures[key] = times
        times.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def reset(self, key: Hashable) -> None:
        self._failures.pop(key, None)


class BackoffLimiter:
    """``max_failures`` failures of a key within ``window_s`` lock it for ``window_s``; each
    further lockout without a success between doubles that, up to ``max_lock_s``. A success
    (``reset``) or ``max_lock_s`` without a failure forgets the key."""

    def __init__(
        self, *, max_failures: int, window_s: float, max_lock_s: float, max_keys: int = 100_000
    ) -> None:
        self.failures = FailureLimiter(
            max_failures=max_failures, window_s=window_s, max_keys=max_keys
        )
        self.window_s = window_s
        self.max_lock_s = max_lock_s
        self.max_keys = max_keys
        # key -> (lockouts so far, locked until, last failure)
        self._locks: OrderedDict[Hashable, tuple[int, float, float]] = OrderedDict()

    def retry_after(self, key: Hashable, now: float) -> int | None:
        lock = self._locks.get(key)
        if lock is None or lock[1] <= now:
            return None
        return max(1, math.ceil(lock[1] - now))

    def record_failure(self, key: Hashable, now: float) -> None:
        strikes, until, last = self._locks.get(key, (0, 0.0, now))
        if now - last > self.max_lock_s:
            strikes = 0
        self.failures.record_failure(key, now)
        if self.failures.retry_after(key, now) is not None:  # the limit is reached: lock
            until = now + min(self.window_s * 2**strikes, self.max_lock_s)
            strikes += 1
            self.failures.reset(key)
        self._locks[key] = (strikes, until, now)
        self._locks.move_to_end(key)
        while len(self._locks) > self.max_keys:
            self._locks.popitem(last=False)

    def reset(self, key: Hashable) -> None:
        self.failures.reset(key)
        self._locks.pop(key, None)


@dataclass(frozen=True)
class ThrottlePolicy:
    pair_failures: int = 5  # one account from one source
    source_failures: int = 50  # one source, all accounts together
    account_failures: int = 20  # one account, all sources it never signed in from
    window_s: float = 60.0
    max_lock_s: float = 3600.0
    known_sources_per_account: int = 8


class SignInThrottle:
    """Failed sign-ins and code exchanges (docs/api.md, "Rate limits").

    Failures count per (account, source) with back-off, so a guesser elsewhere never locks
    out the owner and parties behind one NAT, each with their own account, never lock out
    each other. Two wider counters stop guessing at scale: per source across accounts (much
    higher), and per account across sources; the account's counter is not applied to (and is
    not fed by) sources that signed in to that account before, so the owner's usual address
    still gets in while a distributed guess is held back. ``account`` is None for a secret
    that names no account (an invitation link's token): only the source counter applies.
    """

    def __init__(self, policy: ThrottlePolicy, *, max_keys: int = 100_000) -> None:
        self.policy = policy

        def limiter(failures: int) -> BackoffLimiter:
            return BackoffLimiter(
                max_failures=failures, window_s=policy.window_s,
                max_lock_s=policy.max_lock_s, max_keys=max_keys,
            )  # fmt: skip

        self.pairs = limiter(policy.pair_failures)
        self.sources = limiter(policy.source_failures)
        self.accounts = limiter(policy.account_failures)
        self.max_keys = max_keys
        self._known: OrderedDict[Hashable, deque[Hashable]] = OrderedDict()

    def _known_source(self, account: Hashable, source: Hashable) -> bool:
        return source in self._known.get(account, ())

    def retry_after(self, account: Hashable | None, source: Hashable, now: float) -> int | None:
        """Seconds until this account may be tried from this source, or None: now."""
        waits = []
        if account is None:
            waits.append(self.sources.retry_after(source, now))
        else:
            waits.append(self.pairs.retry_after((account, source), now))
            if not self._known_source(account, source):
                waits.append(self.sources.retry_after(source, now))
                waits.append(self.accounts.retry_after(account, now))
        found = [wait for wait in waits if wait is not None]
        return max(found) if found else None

    def record_failure(self, account: Hashable | None, source: Hashable, now: float) -> None:
        if account is None:
            self.sources.record_failure(source, now)
            return
        self.pairs.record_failure((account, source), now)
        if not self._known_source(account, source):
            self.sources.record_failure(source, now)
            self.accounts.record_failure(account, now)

    def record_success(self, account: Hashable | None, source: Hashable) -> None:
        if account is None:
            return
        self.pairs.reset((account, source))
        known = self._known.setdefault(account, deque(maxlen=self.policy.known_sources_per_account))
        if source not in known:
            known.append(source)
        self._known.move_to_end(account)
        while len(self._known) > self.max_keys:
            self._known.popitem(last=False)


def source_of(address: str) -> str:
    """Who a failure is counted against: an IPv4 address, or an IPv6 address's /64 (one
    subscriber's whole prefix, which it can hop through freely)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)
