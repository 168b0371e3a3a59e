"""Connectors turn sources into ``Document``s: files and folders, web pages, REST/JSON APIs, LangChain loaders.

``load_sources(sources, options)`` is the one entry point ingestion needs. A source may be a path, an
``http(s)://`` URL, a ``Document``, a ``Connector`` or a LangChain loader; API spec files come through
``options.api_specs``. One bad file or page yields ``Skipped`` and the run goes on; a source that fails
as a whole (an API that keeps erroring, a bad spec) raises ``ConnectorError``.

Source ids and sync: a file is keyed by its resolved path; the parts of a file (PDF pages, Markdown
sections, CSV rows, JSON records) are keyed ``<path>#page=N`` / ``#section=...`` / ``#row=...`` /
``#id=...`` and all carry ``metadata["source"] == <path>``. Sync should treat documents sharing a
``source`` as one group, so parts that vanished from a re-read file (a PDF that lost pages) are removed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.api import ApiConnector
from connectors.files import FileConnector
from connectors.langchain import LangChainConnector, from_langchain, is_langchain_loader
from connectors.options import ConnectorOptions
from connectors.tools import ApiTool, ToolError, load_tool
from connectors.web import WebConnector
from rag.core.protocols import Connector
from rag.core.secrets import has_secrets, redact
from rag.core.types import Document, Skipped

__all__ = [
    "ApiConnector", "ApiTool", "Connector", "ConnectorOptions", "FileConnector", "LangChainConnector",
    "ToolError", "WebConnector", "connector_for", "from_langchain", "load_sources", "load_tool",
]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class _Refused:
    """A source no connector accepts; loading it yields one ``Skipped`` with the reason."""

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason

    def load(self) -> Iterator[Document | Skipped]:
        yield Skipped(self.source, self.reason)


def connector_for(source: Any, options: ConnectorOptions | None = None) -> Connector:
    """The connector that reads ``source``: a path, an http(s) URL, a ``Connector`` or a LangChain loader."""
    options = options or ConnectorOptions()
    if is_langchain_loader(source):
        return from_langchain(source)
    if isinstance(source, Connector):
        return source
    if isinstance(source, str) and _SCHEME.match(source):
        if source.lower().startswith(("http://", "https://")):
            return WebConnector(source, options)
        return _Refused(source, f"unsupported URL scheme {source.split(':', 1)[0]}: (only http and https)")
    if isinstance(source, str | os.PathLike):
        return FileConnector(source, options)
    return _Refused(repr(source)[:80], f"cannot ingest a {type(source).__name__}")


def load_sources(
    sources: Iterable[str | os.PathLike[str] | Document | Connector | Any], options: ConnectorOptions | None = None
) -> Iterator[Document | Skipped]:
    """Every document from every source in order, then from every API spec in ``options.api_specs``."""
    options = options or ConnectorOptions()
    for source in sources:
        if isinstance(source, Document):
            yield source
        else:
            yield from _redacted(connector_for(source, options).load())
    for spec in options.api_specs:
        yield from _redacted(ApiConnector(spec, options).load())


def _redacted(items: Iterator[Document | Skipped]) -> Iterator[Document | Skipped]:
    """Skip reasons go into reports and onto the screen: no registered secret in them, whatever wrote them."""
    for item in items:
        if isinstance(item, Skipped) and has_secrets():
            item = Skipped(redact(item.source), redact(item.reason))
        yield item
