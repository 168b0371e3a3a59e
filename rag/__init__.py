"""ragloom: offline-first retrieval-augmented generation.

    from rag import RAG

The public names load lazily, so importing a small module (``rag.core``)
never pulls in the models, FAISS or the index backends.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "RAG": "rag.api",
    "IngestReport": "rag.ingest",
    "SyncMode": "rag.ingest",
    "Chunk": "rag.core.types",
    "Document": "rag.core.types",
    "ScoredChunk": "rag.core.types",
    "Skipped": "rag.core.types",
    # used by the HTTP service (rag/service), which reaches the library only through this module
    "Answer": "rag.core.answer",
    "ConfigError": "rag.core.errors",
    "ConnectorOptions": "connectors",
    "FilterError": "rag.core.errors",
    "RagloomError": "rag.core.errors",
    "SamplingParams": "rag.core.sampling",
    "Settings": "rag.config",
    "load_settings": "rag.config",
    "load_sources": "connectors",
    "parse_cli_filters": "indexes.filters",
}
__all__ = ["RAG", "Chunk", "Document", "IngestReport", "ScoredChunk", "Skipped", "SyncMode",
           "Answer", "ConfigError", "ConnectorOptions", "FilterError", "RagloomError", "SamplingParams", "Settings",
           "load_settings", "load_sources", "parse_cli_filters"]

if TYPE_CHECKING:
    from connectors import ConnectorOptions, load_sources
    from indexes.filters import parse_cli_filters
    from rag.api import RAG
    from rag.config import Settings, load_settings
    from rag.core.answer import Answer
    from rag.core.errors import ConfigError, FilterError, RagloomError
    from rag.core.sampling import SamplingParams
    from rag.core.types import Chunk, Document, ScoredChunk, Skipped
    from rag.ingest import IngestReport, SyncMode


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
