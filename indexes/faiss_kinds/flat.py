"""``flat``: exact search (``IndexFlatIP`` in an ``IndexIDMap2``), the default kind."""

from __future__ import annotations

import faiss

from indexes.faiss_kinds.base import FaissVectors


class FlatVectors(FaissVectors):
    kind = "flat"

    def _new_index(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
