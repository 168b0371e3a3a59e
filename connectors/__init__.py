"""Connectors turn sources (paths, later URLs and API specs) into ``Document``s."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from connectors.base import Connector
from connectors.files import FileConnector
from connectors.options import ConnectorOptions
from rag.types import Document, Skipped

__all__ = ["Connector", "ConnectorOptions", "FileConnector", "connector_for", "load_sources"]


def connector_for(source: str | os.PathLike[str], options: ConnectorOptions | None = None) -> Connector:
    """The connector that reads ``source`` (a file or folder path)."""
    return FileConnector(source, options)


def load_sources(
    sources: Iterable[str | os.PathLike[str] | Document | Connector], options: ConnectorOptions | None = None
) -> Iterator[Document | Skipped]:
    """Every document from every source, in order; ``Document``s pass through unchanged."""
    for source in sources:
        if isinstance(source, Document):
            yield source
        elif isinstance(source, Connector):
            yield from source.load()
        else:
            yield from connector_for(source, options).load()
