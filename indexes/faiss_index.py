"""The default index: FAISS vectors + a SQLite chunk store + a JSON manifest, in one folder.

Folder layout::

    manifest.json          what built the index (checked on open), counts
    chunks.sqlite          chunk texts/metadata, document records, the name of the live vector file
    vectors-NNNNNN.faiss   FAISS native file (IndexIDMap2), one generation per save

A save writes a *new* vector file beside the old one, then commits SQLite (which records the new
file's name), then deletes the old file. A process killed anywhere in between leaves SQLite
pointing at a complete vector file that matches it. Nothing here is pickled.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexes.atomic import fsync_dir, write_atomic, write_json_atomic
from indexes.chunk_store import ChunkStore
from indexes.faiss_kinds import FaissVectors, new_vectors, read_vectors
from indexes.manifest import MANIFEST_NAME, check_embedder, new_manifest, read_manifest
from rag.core.errors import ConfigError, IndexCorruptError, RagloomError
from rag.core.protocols import IndexCapability
from rag.core.types import Chunk, DocumentRecord, Filter, NewChunk, ScoredChunk, SearchMode, SearchQuery

STORE_NAME = "chunks.sqlite"


class FaissIndex:
    """A persistent index folder. Build with ``create`` or ``open``; changes are durable after ``save``.

    Implements ``rag.core.protocols.Index`` for the kinds flat, hnsw and ivf (``indexes.faiss_kinds``);
    callers get one through ``indexes.factory``. Keyword search is BM25 over the chunk store's FTS5.
    """

    capabilities = frozenset({IndexCapability.KEYWORD})

    def __init__(self, folder: Path, manifest: dict[str, Any], store: ChunkStore, vectors: FaissVectors) -> None:
        self.folder = folder
        self.manifest = manifest
        self._store = store
        self._vectors = vectors
        self._lock_fd: int | None = None

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(
        cls, folder: str | os.PathLike[str], embedder: str, dimension: int, kind: str = "flat",
        chunking: dict[str, Any] | None = None,
    ) -> FaissIndex:
        folder = Path(folder)
        if (folder / MANIFEST_NAME).exists():
            raise RagloomError(f"an index already exists at {folder}")
        if folder.exists() and not folder.is_dir():
            raise RagloomError(f"{folder} exists and is not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        index = cls(folder, new_manifest(embedder, dimension, kind, chunking or {}), ChunkStore(folder / STORE_NAME),
                    new_vectors(kind, dimension))
        index._acquire_lock()
        index._store.set_setting("created", "1")
        index.save()
        return index

    @classmethod
    def open(
        cls, folder: str | os.PathLike[str], embedder: str | None = None, dimension: int | None = None
    ) -> FaissIndex:
        folder = Path(folder)
        if not folder.is_dir():
            raise RagloomError(f"no index at {folder}")
        manifest = read_manifest(folder)
        check_embedder(manifest, folder, embedder, dimension)
        store = ChunkStore(folder / STORE_NAME)
        vectors_file = store.get_setting("vectors_file")
        if vectors_file is None or not (folder / vectors_file).is_file():
            store.close()
            raise IndexCorruptError(f"index {folder} has no vector file; it was never saved completely")
        vectors = read_vectors(folder / vectors_file, manifest["embedder"]["dimension"],
                               manifest["vector_index"]["kind"], store.tombstones())
        return cls(folder, manifest, store, vectors)

    @property
    def kind(self) -> str:
        return self._vectors.kind

    def tune(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Search effort of the approximate kinds (ignored by flat): recall against speed."""
        for name, value in (("ef_search", ef_search), ("nprobe", nprobe)):
            if value is not None:
                if value < 1:
                    raise ConfigError(f"{name} must be at least 1, got {value}")
                setattr(self._vectors, name, int(value))

    # -- writing -------------------------------------------------------------------------------
    def _acquire_lock(self) -> None:
        """One writer per index folder; held from the first change until close."""
        if self._lock_fd is not None:
            return
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RagloomError(f"index {self.folder} is being written by another process") from None
        self._lock_fd = fd
        self._remove_orphans()

    def _remove_orphans(self) -> None:
        # Vector files of saves that died before their commit, and half-written temp files.
        live = self._store.get_setting("vectors_file")
        for path in [*self.folder.glob("vectors-*.faiss"), *self.folder.glob(".*.tmp-*")]:
            if path.name != live:
                path.unlink(missing_ok=True)

    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        self._acquire_lock()
        total = sum(len(chunks) for _, chunks in items)
        # Check before writing anything, so a bad call cannot leave the store half-changed.
        if len(vectors) != total or (total and vectors.shape[1] != self._vectors.dimension):
            raise ValueError(f"{total} chunks of {self._vectors.dimension} dims but vectors of shape {vectors.shape}")
        all_ids = []
        for record, chunks in items:
            self.delete(record.source_id)
            self._store.put_document(record)
            all_ids.append(self._store.add_chunks(record.source_id, chunks))
        if total:
            self._vectors.add(np.concatenate(all_ids), vectors)

    def delete(self, document_id: str) -> int:
        self._acquire_lock()
        removed = self._store.delete_document(document_id)
        self._vectors.remove(removed)
        return len(removed)

    def save(self) -> None:
        if not self._store.dirty:
            return
        generation = int(self._store.get_setting("generation") or 0) + 1
        old = self._store.get_setting("vectors_file")
        name = f"vectors-{generation:06d}.faiss"
        write_atomic(self.folder / name, self._vectors.write)
        if self._vectors.kind == "hnsw":
            self._store.set_tombstones(self._vectors.tombstones)
        self._store.set_setting("vectors_file", name)
        self._store.set_setting("generation", str(generation))
        self._store.commit()  # the moment the new state becomes the index
        if old and old != name:
            (self.folder / old).unlink(missing_ok=True)
            fsync_dir(self.folder)
        self.manifest["counts"] = {"documents": self._store.count_documents(), "chunks": self._store.count_chunks()}
        write_json_atomic(self.folder / MANIFEST_NAME, self.manifest)

    def close(self) -> None:
        self._store.close()  # unsaved changes are rolled back, never half-written
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- reading -------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[ScoredChunk]:
        if query.mode is SearchMode.KEYWORD:
            return self._keyword_search(query)
        vector = np.asarray(query.vector, dtype=np.float32).reshape(-1)
        if query.candidates is not None:
            return self._score_candidates(vector, query)
        allowed = self._store.chunk_ids(query.filter) if query.filter else None
        if self._vectors.ntotal == 0 or (allowed is not None and len(allowed) == 0):
            return []
        scores, ids = self._vectors.search(vector[None, :], query.k, allowed)
        chunks = self._store.get_chunks(int(i) for i in ids[0] if i >= 0)
        hits = [(float(s), chunks[int(i)]) for s, i in zip(scores[0], ids[0], strict=True) if int(i) in chunks]
        return [ScoredChunk(chunk=c, score=s, rank=r, cosine=s) for r, (s, c) in enumerate(hits, start=1)]

    def _score_candidates(self, vector: np.ndarray, query: SearchQuery) -> list[ScoredChunk]:
        """Exact cosine of the given candidates (those still stored and matching the filter)."""
        wanted = query.candidates or ()
        if query.filter:
            allowed = set(self._store.chunk_ids(query.filter).tolist())
            wanted = tuple(i for i in wanted if i in allowed)
        chunks = self._store.get_chunks(wanted)
        ids = [i for i in dict.fromkeys(wanted) if i in chunks]
        sims = self._vectors.reconstruct(ids) @ vector
        order = sorted(range(len(ids)), key=lambda n: (-sims[n], ids[n]))[: query.k]
        return [ScoredChunk(chunk=chunks[ids[n]], score=float(sims[n]), rank=r, cosine=float(sims[n]))
                for r, n in enumerate(order, start=1)]

    def _keyword_search(self, query: SearchQuery) -> list[ScoredChunk]:
        """Top ``k`` chunks by BM25 (FTS5), filtered before ranking; ``score`` is the BM25 score."""
        pairs = self._store.keyword_search(query.text or "", query.k, query.filter, query.candidates)
        chunks = self._store.get_chunks(i for i, _ in pairs)
        found = [(i, s) for i, s in pairs if i in chunks]
        return [ScoredChunk(chunk=chunks[i], score=s, rank=r, keyword=s) for r, (i, s) in enumerate(found, start=1)]

    def get(self, ids: Sequence[int]) -> list[Chunk]:
        found = self._store.get_chunks(ids)
        return [found[int(i)] for i in ids if int(i) in found]

    def count(self) -> int:
        return self._store.count_chunks()

    def documents(self) -> list[DocumentRecord]:
        return self._store.documents()

    def document(self, source_id: str) -> DocumentRecord | None:
        return self._store.get_document(source_id)

    def document_hashes(self) -> dict[str, str]:
        return self._store.document_hashes()

    def document_groups(self) -> dict[str, str]:
        return self._store.document_groups()

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        return self._store.chunk_ids(filter)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        return self._vectors.reconstruct(ids)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())
