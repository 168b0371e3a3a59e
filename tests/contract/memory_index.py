"""A reference ``Index`` in plain numpy and dicts: exact cosine, filters in Python, no keyword search.

It is the contract written as the simplest code that keeps it, so the contract suite can tell a
backend's bug from a test's mistake, and so ``Ingestor`` and ``Retriever`` can be driven without
FAISS. It declares no ``keyword`` capability on purpose: the suite checks that a keyword search is
refused clearly. State is saved as JSON plus a ``.npy`` (no pickle) beside the usual manifest.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexes.atomic import write_atomic, write_json_atomic
from indexes.filters import compile_filter
from indexes.manifest import MANIFEST_NAME, check_embedder, new_manifest, read_manifest
from rag.core.errors import RagloomError, UnsupportedCapabilityError
from rag.core.types import Chunk, DocumentRecord, Filter, NewChunk, ScoredChunk, SearchMode, SearchQuery

STATE_NAME = "memory.json"
VECTORS_NAME = "memory-vectors.npy"


class MemoryIndex:
    kind = "memory"
    capabilities: frozenset[str] = frozenset()

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.dimension = int(manifest["embedder"]["dimension"])
        self._chunks: dict[int, Chunk] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self._documents: dict[str, DocumentRecord] = {}
        self._next_id = 1
        self._dirty = False

    # -- writing -------------------------------------------------------------------------------
    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        total = sum(len(chunks) for _, chunks in items)
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(vectors) != total or (total and vectors.shape[1] != self.dimension):
            raise ValueError(f"{total} chunks of {self.dimension} dims but vectors of shape {vectors.shape}")
        row = 0
        for record, chunks in items:
            self.delete(record.source_id)
            self._documents[record.source_id] = record
            for new in chunks:
                chunk_id, self._next_id = self._next_id, self._next_id + 1
                self._chunks[chunk_id] = Chunk(chunk_id, record.source_id, new.text, new.start, new.end,
                                               dict(new.metadata))
                self._vectors[chunk_id] = vectors[row].copy()
                row += 1
        self._dirty = True

    def delete(self, document_id: str) -> int:
        gone = [i for i, c in self._chunks.items() if c.document_id == document_id]
        for chunk_id in gone:
            del self._chunks[chunk_id], self._vectors[chunk_id]
        if self._documents.pop(document_id, None) is not None or gone:
            self._dirty = True
        return len(gone)

    def save(self) -> None:
        if not self._dirty:
            return
        ids = sorted(self._chunks)
        matrix = np.vstack([self._vectors[i] for i in ids]) if ids else np.zeros((0, self.dimension), np.float32)
        write_atomic(self.folder / VECTORS_NAME, lambda tmp: _save_npy(tmp, matrix))
        state = {
            "next_id": self._next_id,
            "chunks": [[c.id, c.document_id, c.text, c.start, c.end, c.metadata]
                       for c in (self._chunks[i] for i in ids)],
            "documents": [[d.source_id, d.content_hash, d.metadata, d.chunk_count, d.ingested_at]
                          for d in self._documents.values()],
        }
        write_json_atomic(self.folder / STATE_NAME, state)
        self.manifest["counts"] = {"documents": len(self._documents), "chunks": len(self._chunks)}
        write_json_atomic(self.folder / MANIFEST_NAME, self.manifest)
        self._dirty = False

    def close(self) -> None:
        self._chunks, self._vectors, self._documents = {}, {}, {}

    # -- concurrency: a reference for one process, so nothing to lock or re-read
    def begin_write(self) -> None:
        pass

    def end_write(self) -> None:
        pass

    def reading(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    # -- searching -----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[ScoredChunk]:
        if query.mode is SearchMode.KEYWORD:
            raise UnsupportedCapabilityError("the in-memory reference index has no keyword search")
        ids = self.chunk_ids(query.filter).tolist()
        if query.candidates is not None:
            wanted = set(query.candidates)
            ids = [i for i in ids if i in wanted]
        if not ids:
            return []
        vector = np.asarray(query.vector, dtype=np.float32).reshape(-1)
        sims = np.vstack([self._vectors[i] for i in ids]) @ vector
        order = sorted(range(len(ids)), key=lambda n: (-sims[n], ids[n]))[: query.k]
        return [ScoredChunk(self._chunks[ids[n]], float(sims[n]), rank, cosine=float(sims[n]))
                for rank, n in enumerate(order, start=1)]

    # -- reading -------------------------------------------------------------------------------
    def get(self, ids: Sequence[int]) -> list[Chunk]:
        return [self._chunks[int(i)] for i in ids if int(i) in self._chunks]

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        compile_filter(filter)  # the same validation (and the same FilterError) as every other index
        ids = [i for i, c in sorted(self._chunks.items()) if _matches(c, filter)]
        return np.array(ids, dtype=np.int64)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self._vectors[int(i)] for i in ids])

    def count(self) -> int:
        return len(self._chunks)

    def documents(self) -> list[DocumentRecord]:
        return [self._documents[k] for k in sorted(self._documents)]

    def document(self, source_id: str) -> DocumentRecord | None:
        return self._documents.get(source_id)

    def document_hashes(self) -> dict[str, str]:
        return {k: d.content_hash for k, d in self._documents.items()}

    def document_groups(self) -> dict[str, str]:
        return {k: str(d.metadata.get("source") or k) for k, d in self._documents.items()}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())


class MemoryBackend:
    """The factory's view of ``MemoryIndex`` (registered by the contract suite as kind ``memory``)."""

    def create(self, folder: Path, *, kind: str, embedder: str, dimension: int, chunking: dict[str, Any],
               **_: Any) -> MemoryIndex:
        if (folder / MANIFEST_NAME).exists():
            raise RagloomError(f"an index already exists at {folder}")
        folder.mkdir(parents=True, exist_ok=True)
        index = MemoryIndex(folder, new_manifest(embedder, dimension, kind, chunking))
        index._dirty = True
        index.save()
        return index

    def open(self, folder: Path, *, embedder: str | None, dimension: int | None, **_: Any) -> MemoryIndex:
        manifest = read_manifest(folder)
        check_embedder(manifest, folder, embedder, dimension)
        index = MemoryIndex(folder, manifest)
        state = json.loads((folder / STATE_NAME).read_text(encoding="utf-8"))
        matrix = np.load(folder / VECTORS_NAME, allow_pickle=False)
        index._next_id = state["next_id"]
        for row, (chunk_id, document_id, text, start, end, metadata) in enumerate(state["chunks"]):
            index._chunks[chunk_id] = Chunk(chunk_id, document_id, text, start, end, metadata)
            index._vectors[chunk_id] = matrix[row]
        for source_id, content_hash, metadata, chunk_count, ingested_at in state["documents"]:
            index._documents[source_id] = DocumentRecord(source_id, content_hash, metadata, chunk_count, ingested_at)
        return index


def _save_npy(path: Path, matrix: np.ndarray) -> None:
    with open(path, "wb") as handle:  # np.save on a path would append ".npy" to the temp name
        np.save(handle, matrix, allow_pickle=False)
        handle.flush()
        os.fsync(handle.fileno())


_ORDER = {"$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b, "$lt": lambda a, b: a < b,
          "$lte": lambda a, b: a <= b}


def _matches(chunk: Chunk, filter: Filter | None) -> bool:
    """SQLite's semantics: a chunk without the key matches no condition on it; types must agree to compare."""
    for key, condition in (filter or {}).items():
        value = chunk.document_id if key == "document_id" else chunk.metadata.get(key)
        if value is None:
            return False
        conditions = condition if isinstance(condition, Mapping) else {"$eq": condition}
        for op, target in conditions.items():
            if op == "$eq" and not _same(value, target):
                return False
            if op == "$ne" and _same(value, target):
                return False
            if op == "$in" and not any(_same(value, t) for t in target):
                return False
            if op == "$nin" and any(_same(value, t) for t in target):
                return False
            if op in _ORDER and not (_comparable(value, target) and _ORDER[op](value, target)):
                return False
    return True


def _same(a: Any, b: Any) -> bool:
    return _comparable(a, b) and a == b


def _comparable(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))
