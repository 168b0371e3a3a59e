"""Web pages: fetch a URL, keep its main text, and optionally crawl same-host links breadth-first.

Only HTML and plain-text responses are read. Depth 0 (the default) fetches just the given page; depth N
follows links found on pages up to N hops away, never leaving the start URL's scheme-less host and
port, and never more than ``max_pages`` pages. Each page is one document keyed by its URL (fragment
dropped); a page that fails becomes ``Skipped`` and the crawl goes on.
"""

from __future__ import annotations

import email.utils
from collections import deque
from collections.abc import Iterator
from datetime import UTC
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from connectors.formats.base import FormatError, decode_text
from connectors.formats.html import extract_html
from connectors.http import Fetched, fetch, guarded_client
from connectors.netguard import check_url, public_url, redact_url, register_url_secrets
from connectors.options import ConnectorOptions
from rag.core.errors import ConnectorError
from rag.core.types import Document, Skipped

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_USER_AGENT = "ragloom/0.1 (+https://github.com/ragloom)"


class WebConnector:
    """Reads the page at ``url`` and, with ``options.crawl_depth`` > 0, the same-host pages it links to."""

    def __init__(self, url: str, options: ConnectorOptions | None = None) -> None:
        self.url = urldefrag(url.strip())[0]
        self.options = options or ConnectorOptions()
        register_url_secrets(self.url)

    def load(self) -> Iterator[Document | Skipped]:
        options = self.options
        try:
            check_url(self.url, allow_private=options.allow_private)
        except ConnectorError as exc:
            yield Skipped(public_url(self.url), str(exc))
            return
        site = _site(self.url)
        queue: deque[tuple[str, int]] = deque([(self.url, 0)])
        seen = {self.url}
        fetched = 0
        with guarded_client(timeout=options.http_timeout, allow_private=options.allow_private,
                            headers={"User-Agent": _USER_AGENT}) as client:
            while queue and fetched < max(1, options.max_pages):
                url, depth = queue.popleft()
                fetched += 1
                try:
                    page = fetch(client, url, allow_private=options.allow_private,
                                 max_bytes=options.max_response_bytes)
                    document, links = _to_document(url, page)
                except (ConnectorError, FormatError) as exc:
                    yield Skipped(public_url(url), str(exc))
                    continue
                except httpx.HTTPError as exc:
                    yield Skipped(public_url(url), f"fetch failed: {type(exc).__name__}")
                    continue
                yield document
                if depth >= options.crawl_depth:
                    continue
                for href in links:
                    link = urldefrag(urljoin(page.url, href.strip()))[0]
                    if link not in seen and _site(link) == site:
                        register_url_secrets(link)
                        seen.add(link)
                        queue.append((link, depth + 1))


def _site(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return parts.hostname.lower(), parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def _to_document(url: str, page: Fetched) -> tuple[Document, list[str]]:
    if page.status != 200:
        raise ConnectorError(f"HTTP {page.status} from {redact_url(page.url)}")
    kind = page.content_type
    if kind not in _HTML_TYPES and kind != "text/plain":
        raise ConnectorError(f"unsupported content type {kind or '(none)'}; only HTML and plain text are read")
    text = _decode(page)
    links: list[str] = []
    title: str | None = None
    if kind in _HTML_TYPES:
        html = extract_html(text)
        text, title, links = html.text, html.title, html.links
    text = text.strip()
    if not text:
        raise FormatError("page has no text")
    source = public_url(url)  # no password or token in the index or in `ragloom documents`
    metadata: dict[str, str] = {"source": source, "file_type": "html" if kind in _HTML_TYPES else "text",
                                "title": title or urlsplit(url).path.rsplit("/", 1)[-1] or source}
    modified = _http_date(page.headers.get("last-modified"))
    if modified:
        metadata["modified"] = modified
    return Document(source_id=source, text=text, metadata=metadata), links


def _decode(page: Fetched) -> str:
    if page.charset:
        try:
            return page.content.decode(page.charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong charset label is common; fall back to detection
    return decode_text(page.content)


def _http_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(UTC).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return None
