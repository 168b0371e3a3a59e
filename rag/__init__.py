"""ragloom: offline-first retrieval-augmented generation."""

from rag.api import RAG
from rag.ingest import IngestReport, SyncMode
from rag.types import Chunk, Document, ScoredChunk, Skipped

__all__ = ["RAG", "Chunk", "Document", "IngestReport", "ScoredChunk", "Skipped", "SyncMode"]
__version__ = "0.1.0"
