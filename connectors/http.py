"""HTTP for connectors: every hop URL-checked, bodies size-capped, whole-request deadlines, retries.

Redirects are followed by hand so each target passes ``check_url`` (httpx would follow them without
asking), and request headers (which may carry tokens) are dropped when a redirect leaves the origin.
Clients come from ``guarded_client`` (connect-time address checks); each request, redirects and body
included, must finish within ``deadline`` seconds, not only each read. Retries follow the shared
policy in ``rag.core.retry``; every message passes through ``redact_url``/``redact``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from connectors.guarded_transport import deadline_passed, guarded_client, request_deadline
from connectors.netguard import check_url, redact_url
from rag.core.errors import ConnectorError
from rag.core.retry import RETRY_STATUS, RetryPolicy, retry_after_seconds

__all__ = ["Fetched", "RateLimiter", "fetch", "fetch_with_retries", "guarded_client", "retry_after_seconds"]

log = logging.getLogger("ragloom.connectors.http")
_REDIRECTS = (301, 302, 303, 307, 308)


class DeadlineExceeded(ConnectorError):
    """A request (redirects and body included) did not finish within its deadline."""


class _RedactQueries(logging.Filter):
    """httpx logs every request URL at INFO, query string included; API keys can sit there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactQueries())


@dataclass(frozen=True)
class Fetched:
    url: str  # final URL, query included: never put it in a message without redact_url
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=([\w.:-]+)", self.headers.get("content-type", ""), re.I)
        return match.group(1) if match else None


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port


def fetch(
    client: httpx.Client,
    url: str,
    *,
    allow_private: bool,
    max_bytes: int,
    method: str = "GET",
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    max_redirects: int = 5,
    deadline: float | None = None,
) -> Fetched:
    """One request (following checked redirects) that must complete within ``deadline`` seconds
    (default: the client's timeout); raises ``ConnectorError`` or ``httpx.TransportError``."""
    if deadline is None:
        deadline = client.timeout.read or client.timeout.connect
    with request_deadline(deadline):
        try:
            return _fetch(client, url, allow_private, max_bytes, method, params, headers, json_body, max_redirects)
        except httpx.TimeoutException:
            if deadline_passed():
                raise DeadlineExceeded(f"{redact_url(url)}: no complete answer within {deadline:g}s "
                                       "(whole-request deadline)") from None
            raise


def _fetch(client: httpx.Client, url: str, allow_private: bool, max_bytes: int, method: str,
           params: dict[str, Any] | None, headers: dict[str, str] | None, json_body: Any,
           max_redirects: int) -> Fetched:
    current, hop_headers, hop_params, body = url, dict(headers or {}), params, json_body
    for _ in range(max_redirects + 1):
        check_url(current, allow_private=allow_private)
        try:
            request = client.build_request(method, current, params=hop_params, headers=hop_headers, json=body)
        except httpx.InvalidURL as exc:
            raise ConnectorError(f"refused {redact_url(current)}: invalid URL ({exc})") from None
        try:
            # httpx parses a redirect's Location even when not following it, and fails on a bad one
            response = client.send(request, stream=True, follow_redirects=False)
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
            if isinstance(exc, httpx.RemoteProtocolError) and "location" not in str(exc).lower():
                raise
            raise ConnectorError(f"refused a redirect from {redact_url(current)}: its Location is not a valid "
                                 "http(s) URL (only http and https URLs are followed)") from None
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                target = urljoin(str(request.url), location)
                if _origin(target) != _origin(str(request.url)):
                    hop_headers = {}  # credentials belong to the origin they were written for
                if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                    method, body = "GET", None
                current, hop_params = target, None  # the query now lives in the target URL
                continue
            return Fetched(str(request.url), response.status_code, response.headers, _read(response, max_bytes))
        finally:
            response.close()
    raise ConnectorError(f"more than {max_redirects} redirects from {redact_url(url)}")


def _read(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ConnectorError(f"response from {redact_url(str(response.url))} is over the {max_bytes} byte limit")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ConnectorError(f"response from {redact_url(str(response.url))} is over the {max_bytes} byte limit")
        if deadline_passed():
            raise httpx.ReadTimeout("the request deadline passed")
        chunks.append(chunk)
    return b"".join(chunks)


def _deadline_of(client: httpx.Client, kwargs: dict[str, Any]) -> float:
    return kwargs.get("deadline") or client.timeout.read or client.timeout.connect or 0.0


class RateLimiter:
    """At most ``per_second`` calls per second (evenly spaced); ``None`` or 0 means unlimited."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


def fetch_with_retries(
    client: httpx.Client,
    url: str,
    *,
    max_retries: int,
    backoff: float,
    max_wait: float = 60.0,
    limiter: RateLimiter | None = None,
    **kwargs: Any,
) -> Fetched:
    """``fetch`` retried on connection errors, timeouts and retryable statuses (``rag.core.retry``).

    ``Retry-After`` wins over the computed backoff (capped at ``max_wait``). Other responses, 4xx
    included, are returned for the caller to judge.
    """
    policy = RetryPolicy(max_retries=max_retries, backoff=backoff, max_wait=max_wait)
    attempt = 0
    while True:
        if limiter:
            limiter.wait()
        retry_after: str | None = None
        status: int | None = None
        try:
            result = fetch(client, url, **kwargs)
        except DeadlineExceeded:
            problem = f"timed out (no complete answer within {_deadline_of(client, kwargs):g}s)"
        except httpx.TimeoutException:
            problem = "timed out"
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__})"
        else:
            if result.status not in RETRY_STATUS:
                return result
            status = result.status
            problem = f"HTTP {result.status}"
            retry_after = result.headers.get("retry-after")
        if not policy.should_retry(attempt, status):
            raise ConnectorError(f"{redact_url(url)}: {problem} (gave up after {attempt + 1} attempts)")
        delay = policy.delay(attempt, retry_after)
        log.warning("%s: %s; retry %d of %d in %.2fs", redact_url(url), problem, attempt + 1, max_retries, delay)
        time.sleep(delay)
        attempt += 1
