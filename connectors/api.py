"""REST/JSON APIs at ingest time: page through a spec'd endpoint and yield one document per record.

Records are yielded page by page as they arrive, so a pipeline that writes in batches keeps what it
got if a later page fails; a rerun yields everything again and incremental sync skips what is
unchanged. A failure that retries cannot fix raises ``ConnectorError`` (rather than ending quietly),
so the caller never mistakes a half-read API for a complete one and deletes the rest.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx

from connectors.api_spec import ApiSpec, load_spec, record_document, substitute
from connectors.dotted import get_path
from connectors.formats.base import FormatError
from connectors.formats.json_records import parse_json
from connectors.http import Fetched, RateLimiter, fetch_with_retries, guarded_client
from connectors.netguard import redact_url
from connectors.options import ConnectorOptions
from rag.core.errors import ConnectorError
from rag.core.types import Document, Skipped

log = logging.getLogger("ragloom.connectors.api")
MAX_RESPONSE_DEPTH = 256  # records are walked recursively; a 100k-deep response must not end in RecursionError


class ApiConnector:
    """Every record of the API described by ``spec`` (an ``ApiSpec`` or a path to a spec file)."""

    def __init__(self, spec: ApiSpec | str | os.PathLike[str], options: ConnectorOptions | None = None) -> None:
        self.spec = spec if isinstance(spec, ApiSpec) else load_spec(spec)
        self.options = options or ConnectorOptions()

    def load(self) -> Iterator[Document | Skipped]:
        spec = self.spec
        allow_private = spec.allow_private or self.options.allow_private
        limiter = RateLimiter(spec.rate_limit)
        url: str = substitute(spec.url, spec)
        params: dict[str, Any] | None = substitute(spec.params, spec)
        headers: dict[str, str] = substitute(spec.headers, spec)
        body = substitute(spec.body, spec)
        pages = spec.pagination
        page_number, offset = pages.start, 0
        if pages.page_param:
            params = {**(params or {}), pages.page_param: page_number}
        if pages.offset_param:
            params = {**(params or {}), pages.offset_param: offset}
            if pages.limit_param and pages.page_size:
                params[pages.limit_param] = pages.page_size
        seen_ids: set[str] = set()
        requested: set[str] = set()
        number = 0
        with guarded_client(timeout=spec.timeout, allow_private=allow_private,
                            headers={"Accept": "application/json"}) as client:
            for page_index in range(spec.max_pages):
                marker = json.dumps([url, params], sort_keys=True, default=str)
                if marker in requested:
                    log.warning("API '%s': pagination repeats a page; stopping", spec.name)
                    return
                requested.add(marker)
                result = fetch_with_retries(
                    client, url, method=spec.method, params=params, headers=headers, json_body=body,
                    max_retries=spec.max_retries, backoff=spec.backoff, limiter=limiter,
                    allow_private=allow_private, max_bytes=spec.max_response_bytes,
                )
                payload = _json(spec, result)
                records = get_path(payload, spec.records)
                if not isinstance(records, list):
                    where = f"at '{spec.records}'" if spec.records else "at the top level"
                    raise ConnectorError(f"API '{spec.name}': no list of records {where} of page {page_index + 1}")
                for record in records:
                    number += 1
                    item = record_document(spec, record, number, "api")
                    if isinstance(item, Document):
                        if item.source_id in seen_ids:
                            continue  # shifting pages can repeat a record; yield each once
                        seen_ids.add(item.source_id)
                    yield item
                if pages.next or pages.link_header:
                    following = _next_url(spec, payload, result)
                    if not following:
                        return
                    url, params = urljoin(result.url, following), None  # a next URL carries its own query
                elif pages.page_param and records:
                    page_number += 1
                    params = {**(params or {}), pages.page_param: page_number}
                elif pages.offset_param and records and not (pages.page_size and len(records) < pages.page_size):
                    offset += len(records)
                    params = {**(params or {}), pages.offset_param: offset}
                else:
                    return
            log.warning("API '%s': stopped at max_pages=%d", spec.name, spec.max_pages)


def _json(spec: ApiSpec, result: Fetched) -> Any:
    if result.status >= 400:
        raise ConnectorError(f"API '{spec.name}': HTTP {result.status} from {redact_url(result.url)}")
    try:
        return parse_json(result.content, MAX_RESPONSE_DEPTH)
    except (FormatError, UnicodeDecodeError) as exc:
        raise ConnectorError(f"API '{spec.name}': {redact_url(result.url)} did not return usable JSON ({exc})") from exc


def _next_url(spec: ApiSpec, payload: Any, result: Fetched) -> str | None:
    if spec.pagination.next:
        value = get_path(payload, spec.pagination.next)
        return value if isinstance(value, str) and value else None
    link = result.headers.get("link")
    if not link:
        return None
    # httpx's own Link parser: handles several links, quoting and multi-valued rel
    following = httpx.Response(200, headers={"link": link}).links.get("next", {}).get("url")
    return following or None
