"""``hnsw``: an approximate graph (``IndexHNSWFlat`` in an ``IndexIDMap2``) for large collections.

HNSW cannot remove vectors, so its deletes are tombstones that searches exclude; a write rebuilds
the graph without them once they pass 20% of the vectors.
"""

from __future__ import annotations

from collections.abc import Iterable

import faiss
import numpy as np

from indexes.faiss_kinds.base import FaissVectors

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
COMPACT_FRACTION = 0.2  # tombstones beyond this share of the graph are compacted away on write


class HnswVectors(FaissVectors):
    kind = "hnsw"

    def _new_index(self) -> faiss.Index:
        hnsw = faiss.IndexHNSWFlat(self.dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        return faiss.IndexIDMap2(hnsw)

    @property
    def approximate(self) -> bool:
        return True

    def _search_params(self, k: int) -> faiss.SearchParameters:
        return faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))

    def remove(self, ids: Iterable[int]) -> None:
        self.tombstones.update(int(i) for i in ids)

    def compact(self) -> None:
        """Rebuild the graph without its tombstoned vectors."""
        if not self.tombstones:
            return
        all_ids, vectors = self._all_ids_and_vectors()
        keep = ~np.isin(all_ids, np.fromiter(self.tombstones, dtype=np.int64))
        self._index = self._new_index()
        self.tombstones = set()
        self.add(all_ids[keep], vectors[keep])

    def _before_write(self) -> None:
        if len(self.tombstones) > COMPACT_FRACTION * max(1, self._index.ntotal):
            self.compact()
