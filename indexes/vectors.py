"""The FAISS side of an index: vectors by stable int64 id, inner product on unit vectors (= cosine).

``flat`` is exact search (``IndexFlatIP``); ``hnsw`` is approximate (``IndexHNSWFlat``) for large
collections. Both sit in an ``IndexIDMap2`` so ids are ours, never FAISS positions. HNSW cannot
remove vectors, so its deletes are tombstones that searches exclude until the next compaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from rag.errors import ConfigError, IndexCorruptError

KINDS = ("flat", "hnsw")
HNSW_M = 32


class VectorIndex:
    def __init__(self, dimension: int, kind: str = "flat", ef_search: int = 128) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.dimension = dimension
        self.kind = kind
        self.ef_search = ef_search
        self.tombstones: set[int] = set()
        self._index = faiss.IndexIDMap2(self._base_index())

    def _base_index(self) -> faiss.Index:
        if self.kind == "flat":
            return faiss.IndexFlatIP(self.dimension)
        hnsw = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 200
        return hnsw

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal) - len(self.tombstones)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ConfigError(f"vectors have shape {vectors.shape}, the index holds {self.dimension}-dim vectors")
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        if self.kind == "flat":
            self._index.remove_ids(np.array(ids, dtype=np.int64))
        else:
            self.tombstones.update(ids)

    def search(
        self, queries: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)``, each ``len(queries) x k``; missing results have id -1.

        With ``allowed_ids`` only those vectors are searched (FAISS id selector), and when the
        approximate index returns fewer than can exist, the allowed vectors are searched exactly,
        so a filter never loses results.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, self.ntotal)) if self.ntotal else 1
        selector = self._selector(allowed_ids)
        params = None
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
            if selector is not None:
                params.sel = selector
        elif selector is not None:
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(queries, k, params=params)
        if self.kind == "hnsw" and allowed_ids is not None:
            available = min(k, len(allowed_ids) - len(self.tombstones.intersection(allowed_ids.tolist())))
            short = (ids >= 0).sum(axis=1) < available
            for row in np.flatnonzero(short):
                scores[row], ids[row] = self._exact(queries[row], k, allowed_ids)
        return scores, ids

    def _selector(self, allowed_ids: np.ndarray | None) -> faiss.IDSelector | None:
        dead = np.fromiter(self.tombstones, dtype=np.int64) if self.tombstones else None
        if allowed_ids is not None:
            allowed = np.ascontiguousarray(allowed_ids, dtype=np.int64)
            if dead is not None:
                allowed = np.setdiff1d(allowed, dead)
            # Keep the array alive with the selector: FAISS holds only a pointer.
            selector = faiss.IDSelectorBatch(allowed)
            selector.referenced = allowed  # type: ignore[attr-defined]
            return selector
        if dead is not None:
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(dead))
            return selector
        return None

    def _exact(self, query: np.ndarray, k: int, allowed_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        live = np.array([i for i in allowed_ids.tolist() if i not in self.tombstones], dtype=np.int64)
        sims = self.reconstruct(live) @ query
        order = np.argsort(-sims)[:k]
        scores = np.full(k, -np.inf, dtype=np.float32)
        ids = np.full(k, -1, dtype=np.int64)
        scores[: len(order)], ids[: len(order)] = sims[order], live[order]
        return scores, ids

    def reconstruct(self, ids: Iterable[int]) -> np.ndarray:
        keys = np.fromiter((int(i) for i in ids), dtype=np.int64)
        if not len(keys):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._index.reconstruct_batch(keys)

    def compact(self) -> None:
        """Rebuild an HNSW graph without its tombstoned vectors."""
        if not self.tombstones:
            return
        all_ids = faiss.vector_to_array(self._index.id_map)
        keep = all_ids[~np.isin(all_ids, np.fromiter(self.tombstones, dtype=np.int64))]
        vectors = self.reconstruct(keep) if len(keep) else np.zeros((0, self.dimension), dtype=np.float32)
        self._index = faiss.IndexIDMap2(self._base_index())
        self.tombstones = set()
        self.add(keep, vectors)

    def write(self, path: Path) -> None:
        if self.kind == "hnsw" and len(self.tombstones) > 0.2 * max(1, self._index.ntotal):
            self.compact()
        faiss.write_index(self._index, str(path))

    @classmethod
    def read(cls, path: Path, dimension: int, kind: str, tombstones: Iterable[int] = ()) -> VectorIndex:
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorruptError(f"cannot read vector file {path}: {str(exc).splitlines()[0]}") from exc
        if index.d != dimension:
            raise IndexCorruptError(f"{path} holds {index.d}-dim vectors, the manifest says {dimension}")
        vectors = cls(dimension, kind)
        vectors._index = index  # read_index gives back the IndexIDMap2 with its id map
        vectors.tombstones = set(tombstones)
        return vectors
