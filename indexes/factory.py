"""Create and open indexes by kind name: the one place that knows which backends exist.

    index = create_index("hnsw", "my-index", embedder="all-MiniLM-L6-v2", dimension=384)
    index = open_index("my-index", embedder="all-MiniLM-L6-v2")   # the kind comes from the manifest

A kind maps to a backend: an object with ``create(folder, *, kind, embedder, dimension, chunking,
**options)`` and ``open(folder, *, embedder, dimension, **options)`` returning an ``Index``. The
FAISS kinds are built in. An optional backend is registered by its module path and the extra that
installs its packages, and imported only when used, so a missing package fails with
``BackendMissingError`` naming the extra, and only for the kind that needs it::

    register_index_kind("milvus", "indexes.milvus:BACKEND", extra="milvus")

Options a backend does not know are ignored (``ef_search``/``nprobe`` mean nothing to a flat index),
so one settings object can open every kind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from indexes.manifest import read_manifest
from rag.core.errors import BackendMissingError, ConfigError, RagloomError
from rag.core.protocols import Index

_OUR_PACKAGES = ("rag", "indexes", "connectors", "ui")


class IndexBackend(Protocol):
    def create(self, folder: Path, *, kind: str, embedder: str, dimension: int, chunking: dict[str, Any],
               **options: Any) -> Index: ...

    def open(self, folder: Path, *, embedder: str | None, dimension: int | None, **options: Any) -> Index: ...


@dataclass(frozen=True)
class _Registration:
    target: str | IndexBackend  # "module:attribute" (imported on first use) or the backend itself
    extra: str | None = None  # the pip extra that installs the backend's packages


_KINDS: dict[str, _Registration] = {}


def register_index_kind(kind: str, target: str | IndexBackend, *, extra: str | None = None) -> None:
    """Make ``kind`` available to ``create_index``; ``target`` is a backend or ``"module:attribute"``."""
    _KINDS[kind] = _Registration(target, extra)


def index_kinds() -> tuple[str, ...]:
    """Every registered kind name (its backend may still need an extra installed)."""
    return tuple(_KINDS)


def backend_for(kind: str) -> IndexBackend:
    registration = _KINDS.get(kind)
    if registration is None:
        raise ConfigError(f"unknown index kind {kind!r}; choose one of {', '.join(_KINDS)}")
    if not isinstance(registration.target, str):
        return registration.target
    module_name, _, attribute = registration.target.partition(":")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing in _OUR_PACKAGES:
            raise  # a bug in our code, not a missing package
        install = f"pip install 'ragloom[{registration.extra}]'" if registration.extra else f"pip install {missing}"
        raise BackendMissingError(
            f"index kind {kind!r} needs the package {missing!r}, which is not installed; install it with {install}"
        ) from exc
    return getattr(module, attribute)


def create_index(kind: str, folder: str | os.PathLike[str], *, embedder: str, dimension: int,
                 chunking: dict[str, Any] | None = None, **options: Any) -> Index:
    """A new, empty index of ``kind`` in ``folder`` (an existing index there is an error)."""
    return backend_for(kind).create(Path(folder), kind=kind, embedder=embedder, dimension=dimension,
                                    chunking=chunking or {}, **options)


def open_index(folder: str | os.PathLike[str], *, embedder: str | None = None, dimension: int | None = None,
               **options: Any) -> Index:
    """The index in ``folder``, by the kind its manifest names; another embedder or dimension is refused."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RagloomError(f"no index at {folder}")
    kind = read_manifest(folder)["vector_index"]["kind"]
    return backend_for(kind).open(folder, embedder=embedder, dimension=dimension, **options)


class FaissBackend:
    """The built-in kinds: FAISS vectors + SQLite chunk store (``indexes.faiss_index``)."""

    def create(self, folder: Path, *, kind: str, embedder: str, dimension: int, chunking: dict[str, Any],
               ef_search: int | None = None, nprobe: int | None = None, **_: Any) -> Index:
        from indexes.faiss_index import FaissIndex

        index = FaissIndex.create(folder, embedder, dimension, kind=kind, chunking=chunking)
        index.tune(ef_search=ef_search, nprobe=nprobe)
        return index

    def open(self, folder: Path, *, embedder: str | None, dimension: int | None, ef_search: int | None = None,
             nprobe: int | None = None, **_: Any) -> Index:
        from indexes.faiss_index import FaissIndex

        index = FaissIndex.open(folder, embedder=embedder, dimension=dimension)
        return tuned(index, ef_search=ef_search, nprobe=nprobe)


def tuned(index: Any, *, ef_search: int | None, nprobe: int | None) -> Any:
    """A just-opened index with its search effort set; closed again (locks, files) when the values are bad."""
    try:
        index.tune(ef_search=ef_search, nprobe=nprobe)
    except BaseException:
        index.close()
        raise
    return index


FAISS = FaissBackend()
for _kind in ("flat", "hnsw", "ivf"):
    register_index_kind(_kind, FAISS)
# Optional backends register by module path (imported on first use).
register_index_kind("milvus", "indexes.milvus_index:BACKEND", extra="scale")
