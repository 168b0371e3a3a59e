"""HTTP for connectors: every hop URL-checked, bodies size-capped, retries with backoff, rate limits.

Redirects are followed by hand so each target passes ``check_url`` (httpx would follow them without
asking), and request headers (which may carry tokens) are dropped when a redirect leaves the origin.
"""

from __future__ import annotations

import email.utils
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from connectors.netguard import check_url, redact_url
from rag.core.errors import ConnectorError

log = logging.getLogger("ragloom.connectors.http")
_REDIRECTS = (301, 302, 303, 307, 308)


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
) -> Fetched:
    """One request (following checked redirects); raises ``ConnectorError`` or ``httpx.TransportError``."""
    current, hop_headers, hop_params, body = url, dict(headers or {}), params, json_body
    for _ in range(max_redirects + 1):
        check_url(current, allow_private=allow_private)
        request = client.build_request(method, current, params=hop_params, headers=hop_headers, json=body)
        response = client.send(request, stream=True, follow_redirects=False)
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
        chunks.append(chunk)
    return b"".join(chunks)


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


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


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
    """``fetch`` retried on connection errors, timeouts, 429 and 5xx with exponential backoff.

    ``Retry-After`` wins over the computed backoff (capped at ``max_wait``). Other responses, 4xx
    included, are returned for the caller to judge.
    """
    attempt = 0
    while True:
        if limiter:
            limiter.wait()
        wait_hint: float | None = None
        try:
            result = fetch(client, url, **kwargs)
        except httpx.TimeoutException:
            problem = "timed out"
        except httpx.TransportError as exc:
            problem = f"connection failed ({type(exc).__name__})"
        else:
            if result.status != 429 and result.status < 500:
                return result
            problem = f"HTTP {result.status}"
            wait_hint = retry_after_seconds(result.headers.get("retry-after"))
        if attempt >= max_retries:
            raise ConnectorError(f"{redact_url(url)}: {problem} (gave up after {attempt + 1} attempts)")
        delay = min(wait_hint if wait_hint is not None else backoff * 2**attempt, max_wait)
        log.warning("%s: %s; retry %d of %d in %.2fs", redact_url(url), problem, attempt + 1, max_retries, delay)
        time.sleep(delay)
        attempt += 1
