"""The one retry policy for HTTP calls: which answers are worth retrying, and how long to wait.

Shared by the connectors (web pages, APIs, tools) and the OpenAI-compatible generator, so both
read ``Retry-After`` the same way and back off the same way. It knows nothing about any HTTP
library: callers pass status codes and header values, and sleep for what ``delay`` returns.

The rules: connection errors, timeouts, 408, 425, 429, 500, 502, 503 and 504 are retried; other
answers (4xx, 501, ...) are final. The wait before retry ``n`` (0-based) is ``backoff * 2**n``,
unless the server sent ``Retry-After`` (seconds or an HTTP date), which wins: the server knows
when it will be ready. Either way the wait is capped at ``max_wait``.
"""

from __future__ import annotations

import email.utils
import math
import time
from dataclasses import dataclass

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` value (``"3"``, ``"1.5"`` or an HTTP date) as seconds from now; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; parsedate gives naive for "-0000"
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request."""

    max_retries: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubles each time
    max_wait: float = 60.0  # no single wait is longer, whatever the server asks

    def should_retry(self, attempt: int, status: int | None = None) -> bool:
        """Whether attempt ``attempt`` (0-based) that failed (``status`` None: no answer) gets another try."""
        if attempt >= self.max_retries:
            return False
        return status is None or status in RETRY_STATUS

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based), honouring a ``Retry-After`` header."""
        hinted = retry_after_seconds(retry_after)
        wait = hinted if hinted is not None else self.backoff * 2 ** min(attempt, 30)
        return max(0.0, min(wait, self.max_wait))
