"""The index backends the contract suite runs against: add one ``Backend`` to ``BACKENDS`` to cover a new kind.

``options(folder)`` gives the keyword options ``create_index``/``open_index`` pass to the backend
(e.g. a server URI); ``setup(monkeypatch)`` prepares the process (e.g. a lower IVF training
threshold so the trained path runs on test-sized data); ``register`` makes a kind that lives
outside ``indexes`` (the in-memory reference) known to the factory for the test's duration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from indexes.faiss_kinds import ivf
from tests.contract.memory_index import MemoryBackend


@dataclass(frozen=True)
class Backend:
    kind: str
    options: Callable[[Path], dict[str, Any]] = field(default=lambda folder: {})
    setup: Callable[[pytest.MonkeyPatch], None] | None = None
    register: Any = None  # a backend object to register under ``kind`` (None: already in the factory)
    label: str | None = None  # the test id, when one kind runs in several set-ups

    def __str__(self) -> str:
        return self.label or self.kind


def _trained_ivf(monkeypatch: pytest.MonkeyPatch) -> None:
    # Train after 200 vectors (nlist = min(4 sqrt(n), n / 39)), so searches go through real IVF lists.
    monkeypatch.setattr(ivf, "IVF_MIN_VECTORS", 200)


def _needs_milvus(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymilvus")  # the "scale" extra
    pytest.importorskip("milvus_lite")


def _milvus_server(folder: Path) -> dict[str, Any]:
    from tests.milvus_server import server_uri

    return {"milvus_uri": server_uri()}


BACKENDS = [
    Backend("flat"),
    Backend("hnsw"),
    Backend("ivf", setup=_trained_ivf),
    Backend("memory", register=MemoryBackend()),
    Backend("milvus", setup=_needs_milvus, label="milvus-lite"),  # embedded: <index>/milvus.db
    Backend("milvus", options=_milvus_server, setup=_needs_milvus, label="milvus-server"),  # by URI
]
