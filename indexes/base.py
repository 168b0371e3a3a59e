"""The narrow contract every vector index backend keeps (FAISS is the embedded default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from indexes.chunk_store import DocumentRecord, NewChunk
from indexes.filters import Filter
from rag.types import Chunk, ScoredChunk


class Index(Protocol):
    manifest: dict[str, Any]

    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        """Store documents (replacing any earlier version) with their chunks; ``vectors`` has one row per chunk."""
        ...

    def delete(self, document_id: str) -> int:
        """Remove a document and its chunks; returns the number of chunks removed. Other ids never shift."""
        ...

    def search(self, queries: np.ndarray, k: int, filter: Filter | None = None) -> list[list[ScoredChunk]]:
        """Top ``k`` chunks per query row (unit vectors), filtered before ranking; score = cosine similarity."""
        ...

    def get(self, ids: Sequence[int]) -> list[Chunk]: ...

    def count(self) -> int: ...

    def documents(self) -> list[DocumentRecord]: ...

    def document(self, source_id: str) -> DocumentRecord | None: ...

    def save(self) -> None:
        """Make every change durable, atomically."""
        ...

    def close(self) -> None: ...
