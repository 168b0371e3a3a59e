"""The FAISS index kinds, one module each, behind ``FaissVectors`` (``base.py``).

``flat`` (exact), ``hnsw`` (graph) and ``ivf`` (inverted lists) share a folder format and the
chunk store (``indexes.faiss_index``); only the vector file differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from indexes.faiss_kinds.base import FaissVectors
from indexes.faiss_kinds.flat import FlatVectors
from indexes.faiss_kinds.hnsw import HnswVectors
from indexes.faiss_kinds.ivf import IvfVectors
from rag.core.errors import ConfigError

VECTOR_KINDS: dict[str, type[FaissVectors]] = {cls.kind: cls for cls in (FlatVectors, HnswVectors, IvfVectors)}
KINDS = tuple(VECTOR_KINDS)


def vectors_class(kind: str) -> type[FaissVectors]:
    try:
        return VECTOR_KINDS[kind]
    except KeyError:
        raise ConfigError(f"unknown index kind {kind!r}; choose one of {', '.join(KINDS)}") from None


def new_vectors(kind: str, dimension: int, ef_search: int = 128, nprobe: int = 32) -> FaissVectors:
    """An empty vector index of this kind."""
    return vectors_class(kind)(dimension, ef_search=ef_search, nprobe=nprobe)


def read_vectors(path: Path, dimension: int, kind: str, tombstones: Iterable[int] = ()) -> FaissVectors:
    """A vector index of this kind from its FAISS file (tombstones come from the chunk store)."""
    return vectors_class(kind).read(path, dimension, tombstones)


__all__ = ["KINDS", "FaissVectors", "FlatVectors", "HnswVectors", "IvfVectors", "new_vectors", "read_vectors",
           "vectors_class"]
