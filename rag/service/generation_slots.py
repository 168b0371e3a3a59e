"""Generation is serialised per model: one answer decodes at a time, a bounded queue waits behind it.

A request that finds the queue full is turned away at once (503 + Retry-After) instead of piling up;
a waiting or streaming request that goes away (client disconnected) gives its place back.
"""

from __future__ import annotations

import threading


class QueueFull(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("the model is busy; retry later")
        self.retry_after = retry_after


class GenerationSlots:
    def __init__(self, queue_size: int = 4, retry_after: int = 5) -> None:
        self.queue_size = queue_size  # requests allowed to wait while one generates
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._admitted = 0  # generating + waiting
        self._turn = threading.Lock()

    def admit(self) -> None:
        """Take a place in the queue or raise ``QueueFull`` (never blocks)."""
        with self._lock:
            if self._admitted >= 1 + self.queue_size:
                raise QueueFull(self.retry_after)
            self._admitted += 1

    def acquire_turn(self, timeout: float = -1) -> bool:
        """Wait (in a worker thread) until this request may generate."""
        return self._turn.acquire(timeout=timeout)

    def release_turn(self) -> None:
        self._turn.release()

    def leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    @property
    def admitted(self) -> int:
        return self._admitted
