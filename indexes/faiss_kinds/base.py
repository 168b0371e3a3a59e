"""What every FAISS kind shares: vectors by stable int64 id, inner product on unit vectors (= cosine).

Each kind (``flat.py``, ``hnsw.py``, ``ivf.py``) builds its FAISS index and says how to search it;
filtered search, the exact fallback that keeps a filter from losing results, reconstruction by id
and reading/writing FAISS's native file format live here once. Ids are ours, never FAISS positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

from rag.core.errors import ConfigError, IndexCorruptError


class FaissVectors:
    """The vector side of a FAISS index folder. Subclasses set ``kind`` and build ``_new_index``."""

    kind: ClassVar[str] = ""

    def __init__(self, dimension: int, ef_search: int = 128, nprobe: int = 32) -> None:
        self.dimension = dimension
        # Search effort of the approximate kinds (each kind reads the one it uses): recall against speed.
        self.ef_search = ef_search
        self.nprobe = nprobe
        self.tombstones: set[int] = set()  # deleted ids still in the FAISS index (only HNSW has any)
        self._index: faiss.Index = self._new_index()

    # -- what a kind decides -------------------------------------------------------------------
    def _new_index(self) -> faiss.Index:
        raise NotImplementedError

    @property
    def approximate(self) -> bool:
        """Whether a search may miss a true neighbour (then a filtered search is completed exactly)."""
        return False

    def _search_params(self, k: int) -> faiss.SearchParameters | None:
        return None

    def _after_add(self) -> None:
        """Called after every add (IVF trains here once it has enough vectors)."""

    def _before_write(self) -> None:
        """Called before every write (HNSW compacts, IVF retrains here)."""

    # -- shared --------------------------------------------------------------------------------
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
        self._after_add()

    def remove(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if ids:
            self._index.remove_ids(np.array(ids, dtype=np.int64))

    def _all_ids_and_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ids = faiss.vector_to_array(self._index.id_map)
        return ids, self.reconstruct(ids)

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
        params = self._search_params(k)
        if params is None and selector is not None:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(queries, k, params=params)
        if self.approximate and allowed_ids is not None:
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
            return faiss.IDSelectorNot(faiss.IDSelectorBatch(dead))
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

    def write(self, path: Path) -> None:
        self._before_write()
        faiss.write_index(self._index, str(path))

    @classmethod
    def read(cls, path: Path, dimension: int, tombstones: Iterable[int] = ()) -> FaissVectors:
        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexCorruptError(f"cannot read vector file {path}: {str(exc).splitlines()[0]}") from exc
        if index.d != dimension:
            raise IndexCorruptError(f"{path} holds {index.d}-dim vectors, the manifest says {dimension}")
        vectors = cls(dimension)
        vectors._index = index  # the IndexIDMap2 with its id map, or the trained IVF with its direct map
        vectors.tombstones = set(tombstones)
        return vectors
