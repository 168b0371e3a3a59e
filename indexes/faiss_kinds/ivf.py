"""``ivf``: inverted lists (``IndexIVFFlat``) for the largest collections, with real deletes.

IVF needs training, which needs data: an ``ivf`` index stays exact (flat) until it holds
``IVF_MIN_VECTORS``, then trains ``4 * sqrt(n)`` lists on a sample and moves its vectors in. When
the collection has grown ``IVF_RETRAIN_GROWTH`` times past its training size, the next write
retrains, so lists stay about ``sqrt(n) / 4`` long and ``nprobe`` keeps meaning the same recall.
The trained index stores our ids itself, with a hash-table direct map for reconstruction and removal.
"""

from __future__ import annotations

import faiss
import numpy as np

from indexes.faiss_kinds.base import FaissVectors

IVF_MIN_VECTORS = 20_000  # below this, exact search is fast (a few ms) and training data is thin
IVF_RETRAIN_GROWTH = 4
IVF_SAMPLE_PER_LIST = 64  # k-means training points per list: enough for stable centroids, fast


class IvfVectors(FaissVectors):
    kind = "ivf"

    def _new_index(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))  # exact until it has enough vectors to train

    @property
    def trained_ivf(self) -> faiss.IndexIVF | None:
        """The IVF index once trained (before that the index is flat)."""
        return faiss.try_extract_index_ivf(self._index)

    @property
    def nlist(self) -> int:
        ivf = self.trained_ivf
        return int(ivf.nlist) if ivf is not None else 0

    @property
    def approximate(self) -> bool:
        return self.trained_ivf is not None

    def _search_params(self, k: int) -> faiss.SearchParameters | None:
        return faiss.SearchParametersIVF(nprobe=min(self.nprobe, self.nlist)) if self.approximate else None

    def _after_add(self) -> None:
        if self.trained_ivf is None and self._index.ntotal >= IVF_MIN_VECTORS:
            self._train()

    def _before_write(self) -> None:
        ivf = self.trained_ivf
        if ivf is not None and ivf.ntotal >= IVF_RETRAIN_GROWTH * (ivf.nlist / 4) ** 2:
            self._train()  # grown well past its training size: longer lists would cost recall or time

    def _all_ids_and_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        ivf = self.trained_ivf
        if ivf is None:
            return super()._all_ids_and_vectors()
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

    def _train(self) -> None:
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
