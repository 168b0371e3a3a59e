"""Fixtures of the index contract suite: one ``index_kind`` per backend in ``BACKENDS``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from indexes import factory
from rag.core.protocols import Index
from tests.contract.backends import BACKENDS, Backend

EMBEDDER = "contract-test-embedder"
DIM = 16


@pytest.fixture(scope="session", autouse=True)
def _stop_milvus_server() -> Iterator[None]:
    yield
    from tests.milvus_server import stop  # the server is started only by a test that needs it

    stop()


@pytest.fixture(params=BACKENDS, ids=str)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backend:
    chosen: Backend = request.param
    if chosen.register is not None:
        monkeypatch.setattr(factory, "_KINDS", dict(factory._KINDS))  # registration ends with the test
        factory.register_index_kind(chosen.kind, chosen.register)
    if chosen.setup is not None:
        chosen.setup(monkeypatch)
    return chosen


class Indexes:
    """Creates and reopens indexes of one backend in one folder, closing whatever it opened."""

    def __init__(self, backend: Backend, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self._open: list[Index] = []

    def create(self, dimension: int = DIM, **options: Any) -> Index:
        index = factory.create_index(self.backend.kind, self.folder, embedder=EMBEDDER, dimension=dimension,
                                     chunking={"chunk_tokens": 200}, **self.backend.options(self.folder), **options)
        self._open.append(index)
        return index

    def open(self, embedder: str | None = EMBEDDER, dimension: int | None = None, **options: Any) -> Index:
        index = factory.open_index(self.folder, embedder=embedder, dimension=dimension,
                                   **self.backend.options(self.folder), **options)
        self._open.append(index)
        return index

    def close(self, index: Index) -> None:
        index.close()
        self._open.remove(index)

    def close_all(self) -> None:
        for index in self._open:
            index.close()
        self._open.clear()


@pytest.fixture
def indexes(backend: Backend, tmp_path: Path) -> Iterator[Indexes]:
    made = Indexes(backend, tmp_path / "index")
    yield made
    made.close_all()


@pytest.fixture
def new_index(indexes: Indexes) -> Callable[..., Index]:
    return indexes.create
