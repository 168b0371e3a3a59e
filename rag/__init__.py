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
    "AskOptions": "rag.core.options",
    "IngestReport": "rag.ingest",
    "SyncMode": "rag.ingest",
    "Chunk": "rag.core.types",
    "Document": "rag.core.types",
    "ScoredChunk": "rag.core.types",
    "Skipped": "rag.core.types",
}
__all__ = ["RAG", "AskOptions", "Chunk", "Document", "IngestReport", "ScoredChunk", "Skipped", "SyncMode"]

if TYPE_CHECKING:
    from rag.api import RAG
    from rag.core.options import AskOptions
    from rag.core.types import Chunk, Document, ScoredChunk, Skipped
    from rag.ingest import IngestReport, SyncMode


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
