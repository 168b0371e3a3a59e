"""Per-key request rate: a token bucket refilled at ``per_minute / 60`` tokens a second.

The bucket holds ten seconds' worth of requests (at least one), so short bursts pass and a steady
excess gets 429 with the seconds until the next token as Retry-After.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimiter:
    def __init__(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last refill time)

    def check(self, key_id: str, per_minute: float | None = None) -> int | None:
        """``None`` when the request may go ahead, else the whole seconds to wait before retrying."""
        rate = self.per_minute if per_minute is None else per_minute
        if rate <= 0:
            return None
        per_second = rate / 60.0
        capacity = max(1.0, per_second * 10)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * per_second)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / per_second))
