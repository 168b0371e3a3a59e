"""Question-time API tools: call an endpoint with the user's query and return its records as context.

A tool spec is an API spec (see ``connectors.api_spec``) whose ``url``/``params``/``body`` use
``{query}`` and other named parameters, e.g. ``url: https://wiki.example/api/search`` with
``params: {q: "{query}", limit: "{limit}"}``. Calls are short (default 5 s timeout, no retries) and
fail with ``ToolError``, whose message is safe to show: the answering pipeline degrades with a note.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from connectors.api import MAX_RESPONSE_DEPTH
from connectors.api_spec import ApiSpec, load_spec, record_document, substitute
from connectors.dotted import get_path
from connectors.formats.base import FormatError
from connectors.formats.json_records import parse_json
from connectors.http import fetch_with_retries, guarded_client
from rag.core.errors import ConnectorError
from rag.core.types import Document

_TOOL_DEFAULTS = {"timeout": 5.0, "max_retries": 0, "backoff": 0.2, "max_response_mb": 2}


class ToolError(ConnectorError):
    """A tool call failed (timeout, HTTP error, bad response); the message names the tool, never a secret."""


class ApiTool:
    """One API callable at question time: ``fetch(query, **params)`` returns context documents."""

    def __init__(self, spec: ApiSpec, *, allow_private: bool = False) -> None:
        self.spec = spec
        self.allow_private = allow_private or spec.allow_private

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def description(self) -> str:
        return self.spec.description

    def fetch(self, query: str, **params: Any) -> list[Document]:
        """The tool's records for ``query`` (at most ``max_results``), each with ``metadata["tool"]``."""
        spec = self.spec
        values = {"query": query, **params}
        try:
            url = substitute(spec.url, spec, values, in_url=True)
            request_params = substitute(spec.params, spec, values) or None
            headers = substitute(spec.headers, spec, values)
            body = substitute(spec.body, spec, values)
            with guarded_client(timeout=spec.timeout, allow_private=self.allow_private,
                                headers={"Accept": "application/json"}) as client:
                result = fetch_with_retries(
                    client, url, method=spec.method, params=request_params, headers=headers, json_body=body,
                    max_retries=spec.max_retries, backoff=spec.backoff, allow_private=self.allow_private,
                    max_bytes=spec.max_response_bytes,
                )
        except ToolError:
            raise
        except ConnectorError as exc:
            message = str(exc)
            if "timed out" in message:
                message = f"no answer within {spec.timeout:g}s"
            raise ToolError(f"tool '{spec.name}' failed: {message}") from exc
        except httpx.HTTPError as exc:
            raise ToolError(f"tool '{spec.name}' failed: {type(exc).__name__}") from exc
        if result.status >= 400:
            raise ToolError(f"tool '{spec.name}' failed: HTTP {result.status}")
        try:
            payload = parse_json(result.content, MAX_RESPONSE_DEPTH)
        except (FormatError, UnicodeDecodeError) as exc:
            raise ToolError(f"tool '{spec.name}' failed: the response is not usable JSON ({exc})") from exc
        records = get_path(payload, spec.records)
        if not isinstance(records, list):
            raise ToolError(f"tool '{spec.name}' failed: no list of records at '{spec.records or '(top level)'}'")
        documents: list[Document] = []
        for number, record in enumerate(records, start=1):
            item = record_document(spec, record, number, "tool")
            if isinstance(item, Document):
                documents.append(item)
            if len(documents) >= spec.max_results:
                break
        return documents


def load_tool(path: str | os.PathLike[str], *, allow_private: bool = False) -> ApiTool:
    """An ``ApiTool`` from a YAML/TOML spec file (tool defaults: 5 s timeout, no retries, 5 results)."""
    return ApiTool(load_spec(path, **_TOOL_DEFAULTS), allow_private=allow_private)
