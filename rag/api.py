"""``RAG``: the one object a library user needs. Every other front end (CLI, UI) calls this.

    from rag import RAG
    rag = RAG("my-index")                 # opens it, or creates it on first ingest
    rag.ingest(["docs/"])                 # incremental: unchanged files write nothing
    hits = rag.search("what is X?", k=5, filter={"file_type": "markdown"})
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import connectors
from connectors import Connector, ConnectorOptions
from indexes.chunk_store import DocumentRecord
from indexes.faiss_index import FaissIndex
from indexes.filters import Filter
from indexes.manifest import MANIFEST_NAME, read_manifest
from rag.chunking import Chunker, ChunkingSettings
from rag.config import Settings, load_settings
from rag.embeddings import Embedder, create_embedder
from rag.errors import RagloomError
from rag.ingest import Ingestor, IngestReport, SyncMode
from rag.types import Document, ScoredChunk

Source = str | os.PathLike[str] | Document | Connector


class RAG:
    """An index folder plus the models that read and write it.

    Construction is cheap: it reads the manifest (if the index exists) but loads no model;
    models load on first use or in ``warm_up()``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, settings: Settings | None = None,
                 embedder: Embedder | str | None = None) -> None:
        self.settings = settings or load_settings()
        self.path = Path(path if path is not None else self.settings.index)
        manifest = read_manifest(self.path) if (self.path / MANIFEST_NAME).exists() else None
        if isinstance(embedder, str) or embedder is None:
            # An existing index knows its embedder; a new one uses the configured one.
            name = embedder or (manifest["embedder"]["name"] if manifest else self.settings.embedder)
            embedder = create_embedder(name)
        self.embedder: Embedder = embedder
        self._index: FaissIndex | None = None
        if manifest is not None:
            self._index = FaissIndex.open(self.path, embedder=self.embedder.name)

    @classmethod
    def open(cls, path: str | os.PathLike[str], **kwargs: Any) -> RAG:
        """Open an existing index (``RAG(path)`` also creates one on first ingest)."""
        if not (Path(path) / MANIFEST_NAME).exists():
            raise RagloomError(f"no index at {path}; create one with `ragloom ingest PATH --index {path}`")
        return cls(path, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------
    def warm_up(self) -> None:
        self.embedder.warm_up()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def __enter__(self) -> RAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def exists(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> FaissIndex:
        if self._index is None:
            raise RagloomError(f"no index at {self.path} yet; ingest some documents first")
        return self._index

    def _writable_index(self) -> FaissIndex:
        if self._index is None:
            chunking = ChunkingSettings(chunk_tokens=self.settings.chunk_tokens,
                                        overlap_tokens=self.settings.overlap_tokens)
            self._index = FaissIndex.create(self.path, self.embedder.name, self.embedder.dimension,
                                            kind=self.settings.index_kind, chunking=chunking.as_dict())
        elif self._index.manifest["embedder"]["dimension"] != self.embedder.dimension:
            raise RagloomError(f"index {self.path} holds {self._index.manifest['embedder']['dimension']}-dim "
                               f"vectors but embedder {self.embedder.name} makes {self.embedder.dimension}")
        return self._index

    # -- writing -------------------------------------------------------------------------------
    def ingest(self, sources: Source | Iterable[Source], *, sync: SyncMode | str = SyncMode.ADD,
               chunk: bool = True, options: ConnectorOptions | None = None, progress: bool = False) -> IngestReport:
        """Add or update documents from paths, ``Document``s or connectors; see ``SyncMode``."""
        if isinstance(sources, str | os.PathLike | Document | Connector):
            sources = [sources]
        mode = SyncMode.parse(sync)
        index = self._writable_index()
        stored = index.manifest.get("chunking") or {}
        settings = ChunkingSettings(enabled=chunk, chunk_tokens=stored.get("chunk_tokens", self.settings.chunk_tokens),
                                    overlap_tokens=stored.get("overlap_tokens", self.settings.overlap_tokens))
        chunker = Chunker(settings, self.embedder.count_tokens, self.embedder.max_tokens)
        ingestor = Ingestor(index, self.embedder, chunker, embed_batch_size=self.settings.embed_batch_size)
        return ingestor.run(connectors.load_sources(sources, options), sync=mode, progress=progress)

    def delete(self, source_id: str) -> int:
        """Remove one document and its chunks; returns how many chunks went. Other ids never change."""
        index = self.index
        if index.document(source_id) is None and Path(source_id).exists():
            source_id = str(Path(source_id).resolve())  # files are keyed by their resolved path
        if index.document(source_id) is None:
            raise RagloomError(f"no document {source_id!r} in {self.path}")
        removed = index.delete(source_id)
        index.save()
        return removed

    # -- reading -------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, *, filter: Filter | None = None,
               min_score: float | None = None) -> list[ScoredChunk]:
        """The ``k`` chunks most similar to ``query`` (cosine), among those matching ``filter``."""
        if not query or not query.strip():
            raise RagloomError("the query is empty")
        return self.search_vectors(self.embedder.embed_query(query)[None, :], k, filter=filter,
                                   min_score=min_score)[0]

    def search_vectors(self, vectors: np.ndarray, k: int | None = None, *, filter: Filter | None = None,
                       min_score: float | None = None) -> list[list[ScoredChunk]]:
        """Batch search with query vectors already embedded (used by evaluation)."""
        k = self.settings.k if k is None else k
        floor = self.settings.min_score if min_score is None else min_score
        results = self.index.search(vectors, k, filter)
        if floor is None:
            return results
        return [[hit for hit in hits if hit.score >= floor] for hits in results]

    def documents(self) -> list[DocumentRecord]:
        return self.index.documents() if self.exists else []

    def info(self) -> dict[str, Any]:
        if not self.exists:
            return {"path": str(self.path), "documents": 0, "chunks": 0, "embedder": self.embedder.name,
                    "dimension": None, "bytes": 0}
        manifest = self.index.manifest
        return {
            "path": str(self.path),
            "documents": len(self.index.documents()),
            "chunks": self.index.count(),
            "embedder": manifest["embedder"]["name"],
            "dimension": manifest["embedder"]["dimension"],
            "bytes": self.index.size_bytes(),
            "index_kind": manifest["vector_index"]["kind"],
            "chunking": manifest.get("chunking", {}),
        }

    def chunks(self, ids: Sequence[int]) -> list[Any]:
        return self.index.get(ids)
