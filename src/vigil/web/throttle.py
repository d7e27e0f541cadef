"""Failed logins per client address: a brake on password spraying across many accounts.

Account lockout (accounts/login.py) stops guessing at one account; it does not stop
one password tried against every account. This keeps, in memory, the times of
recent failures per client address and refuses further logins from an address
with too many. It forgets on restart, which is acceptable for a brake.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginThrottle:
    """At most ``max_failures`` failed logins per address within ``window_s`` seconds."""

    def __init__(self, max_failures: int = 20, window_s: float = 900.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str | None, now: float | None = None) -> bool:
        """True when ``client`` has failed too often lately."""
        with self._lock:
            recent = self._recent(client or "?", now)
            return len(recent) >= self.max_failures

    def failed(self, client: str | None, now: float | None = None) -> None:
        """Count one failed login from ``client``."""
        with self._lock:
            self._recent(client or "?", now).append(time.monotonic() if now is None else now)

    def _recent(self, client: str, now: float | None) -> deque[float]:
        times = self._failures[client]
        cutoff = (time.monotonic() if now is None else now) - self.window_s
        while times and times[0] < cutoff:
            times.popleft()
        return times
