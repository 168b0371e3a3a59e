"""The FAISS side of an index: vectors by stable int64 id, inner product on unit vectors (= cosine).

``flat`` is exact search (``IndexFlatIP``); ``hnsw`` (``IndexHNSWFlat``) and ``ivf``
(``IndexIVFFlat``) are approximate, for large collections. Flat and HNSW sit in an ``IndexIDMap2``
so ids are ours, never FAISS positions; IVF stores our ids itself (with a hash-table direct map for
reconstruction and removal). HNSW cannot remove vectors, so its deletes are tombstones that
searches exclude until the next compaction.

IVF needs training, which needs data: an ``ivf`` index stays exact (flat) until it holds
``IVF_MIN_VECTORS``, then trains ``4 * sqrt(n)`` lists on a sample and moves its vectors in. When
the collection has grown ``IVF_RETRAIN_GROWTH`` times past its training size, the next save
retrains, so lists stay about ``sqrt(n) / 4`` long and ``nprobe`` keeps meaning the same recall.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from rag.core.errors import ConfigError, IndexCorruptError

KINDS = ("flat", "hnsw", "ivf")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
IVF_MIN_VECTORS = 20_000  # below this, exact search is fast (a few ms) and training data is thin
IVF_RETRAIN_GROWTH = 4
IVF_SAMPLE_PER_LIST = 64  # k-means training points per list: enough for stable centroids, fast


class VectorIndex:
    def __init__(self, dimension: int, kind: str = "flat", ef_search: int = 128, nprobe: int = 32) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}")
        self.dimension = dimension
        self.kind = kind
        self.ef_search = ef_search
        self.nprobe = nprobe
        self.tombstones: set[int] = set()
        self._index = faiss.IndexIDMap2(self._base_index())

    def _base_index(self) -> faiss.Index:
        if self.kind == "hnsw":
            hnsw = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            return hnsw
        return faiss.IndexFlatIP(self.dimension)  # flat, and ivf until it has enough vectors to train

    @property
    def trained_ivf(self) -> faiss.IndexIVF | None:
        """The IVF index once an ``ivf`` index has trained (before that it is flat)."""
        return faiss.try_extract_index_ivf(self._index) if self.kind == "ivf" else None

    @property
    def nlist(self) -> int:
        ivf = self.trained_ivf
        return int(ivf.nlist) if ivf is not None else 0

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
        if self.kind == "ivf" and self.trained_ivf is None and self._index.ntotal >= IVF_MIN_VECTORS:
            self._train_ivf()

    def _all_ids_and_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ivf = self.trained_ivf
        if ivf is None:
            ids = faiss.vector_to_array(self._index.id_map)
            return ids, self.reconstruct(ids)
        lists = ivf.invlists
        ids, vectors = [], []
        for number in range(ivf.nlist):
            size = lists.list_size(number)
            if size:  # IVFFlat codes are the raw float32 vectors
                ids.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
                codes = faiss.rev_swig_ptr(lists.get_codes(number), size * ivf.code_size)
                vectors.append(np.frombuffer(codes, dtype=np.float32).reshape(size, self.dimension).copy())
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(ids), np.vstack(vectors)

    def _train_ivf(self) -> None:
        """(Re)build as IVF with ``4 * sqrt(n)`` lists trained on a fixed-seed sample of the vectors."""
        ids, vectors = self._all_ids_and_vectors()
        nlist = max(1, min(int(4 * np.sqrt(len(ids))), len(ids) // 39))  # FAISS wants >= 39 points per list
        quantizer = faiss.IndexFlatIP(self.dimension)
        ivf = faiss.IndexIVFFlat(quantizer, self.dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).choice(len(ids), min(len(ids), IVF_SAMPLE_PER_LIST * nlist), replace=False)
        ivf.train(vectors[np.sort(sample)])
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by our ids
        ivf.add_with_ids(vectors, ids)
        self._index = ivf

    def remove(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        if self.kind == "hnsw":
            self.tombstones.update(ids)
        else:
            self._index.remove_ids(np.array(ids, dtype=np.int64))

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
        approximate = self.kind == "hnsw" or self.trained_ivf is not None
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        elif approximate:
            params = faiss.SearchParametersIVF(nprobe=min(self.nprobe, self.nlist))
        elif selector is not None:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(queries, k, params=params)
        if approximate and allowed_ids is not None:
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
        all_ids, vectors = self._all_ids_and_vectors()
        keep = ~np.isin(all_ids, np.fromiter(self.tombstones, dtype=np.int64))
        self._index = faiss.IndexIDMap2(self._base_index())
        self.tombstones = set()
        self.add(all_ids[keep], vectors[keep])

    def write(self, path: Path) -> None:
        if self.kind == "hnsw" and len(self.tombstones) > 0.2 * max(1, self._index.ntotal):
            self.compact()
        ivf = self.trained_ivf
        if ivf is not None and ivf.ntotal >= IVF_RETRAIN_GROWTH * (ivf.nlist / 4) ** 2:
            self._train_ivf()  # grown well past its training size: longer lists would cost recall or time
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
        vectors._index = index  # the IndexIDMap2 with its id map, or the trained IVF with its direct map
        vectors.tombstones = set(tombstones)
        return vectors
