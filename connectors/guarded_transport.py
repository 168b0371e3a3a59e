"""An httpx client whose sockets are checked at connect time and whose requests have a deadline.

Two things a plain ``httpx.Client`` cannot do:

- **Check the address actually connected to.** ``check_url`` resolves a name before the request,
  but httpx resolves it again when it connects; a DNS answer that changes in between (rebinding)
  would slip through. Here the network backend resolves once, checks every address with
  ``netguard.checked_addresses`` and connects to a checked address, so what was checked is what
  is contacted.
- **Bound the whole request.** httpx's timeouts are per socket operation: a server that trickles
  one byte per second never trips a 5-second read timeout. ``request_deadline(seconds)`` sets a
  deadline for everything the current thread sends and reads until it ends (connect, TLS, headers,
  body); each socket operation gets at most the time left, and none starts after it.

The backend is installed into httpx's connection pool (``HTTPTransport._pool._network_backend``,
the hook httpcore provides; httpx does not expose it). With a proxy configured in the environment,
requests go through httpx's proxy transport instead and only the pre-request ``check_url`` applies.
"""

from __future__ import annotations

import math
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from connectors.netguard import checked_addresses

_state = threading.local()


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[float]:
    """Everything this thread sends or reads inside the block must finish within ``seconds``."""
    previous = getattr(_state, "deadline", None)
    deadline = math.inf if seconds is None else time.monotonic() + seconds
    _state.deadline = min(deadline, previous) if previous is not None else deadline
    try:
        yield _state.deadline
    finally:
        _state.deadline = previous


def deadline_passed() -> bool:
    deadline = getattr(_state, "deadline", None)
    return deadline is not None and time.monotonic() >= deadline


def _time_left(timeout: float | None, kind: type[Exception]) -> float | None:
    deadline = getattr(_state, "deadline", None)
    if deadline is None or deadline == math.inf:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise kind("the request deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to checked addresses, and applies the thread's request deadline."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, allow_private=self.allow_private)
        last_error: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(str(address), port, _time_left(timeout, httpcore.ConnectTimeout),
                                             local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream)
        raise last_error or httpcore.ConnectError(f"no address to connect to for {host}")


def guarded_client(*, timeout: float, allow_private: bool, headers: dict[str, str] | None = None) -> httpx.Client:
    """An ``httpx.Client`` that never follows redirects itself and connects only to checked addresses."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):  # pragma: no cover - a new httpx layout
        raise RuntimeError("this httpx/httpcore version has no network backend hook; connect-time checks impossible")
    pool._network_backend = GuardedBackend(allow_private)
    return httpx.Client(timeout=timeout, headers=headers, transport=transport, follow_redirects=False)

