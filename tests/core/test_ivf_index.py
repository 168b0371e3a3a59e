"""The ``ivf`` index kind: exact until it can train, then IVF with real deletes, filters and retraining."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexes import FaissIndex
from indexes.faiss_kinds import IvfVectors, read_vectors
from indexes.faiss_kinds import ivf as ivf_module
from rag.core.errors import ConfigError
from rag.core.types import DocumentRecord, NewChunk, SearchQuery

DIM = 16


@pytest.fixture(autouse=True)
def small_training_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivf_module, "IVF_MIN_VECTORS", 1000)


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Points around 40 centres: the structure real embeddings have and IVF relies on."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    rows = centres[rng.integers(0, 40, n)] + 0.3 * rng.normal(size=(n, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return ids[np.argsort(-(vectors @ query))[:k]].tolist()


def test_exact_until_enough_vectors_then_trained() -> None:
    data = clustered(3000)
    ids = np.arange(10, 3010)
    index = IvfVectors(DIM)
    index.add(ids[:900], data[:900])
    assert index.nlist == 0  # still flat: too few vectors to train lists on
    assert index.search(data[:1], 5)[1][0].tolist() == exact_top(data[:900], ids[:900], data[0], 5)
    index.add(ids[900:], data[900:])
    assert index.nlist == min(int(4 * np.sqrt(3000)), 3000 // 39)
    assert index.ntotal == 3000
    index.nprobe = index.nlist  # every list scanned: IVF must equal exact search
    for row in (0, 1234, 2999):
        assert index.search(data[row:row + 1], 10)[1][0].tolist() == exact_top(data, ids, data[row], 10)


def test_default_nprobe_keeps_recall_high() -> None:
    data = clustered(4000, seed=1)
    ids = np.arange(4000)
    index = IvfVectors(DIM, nprobe=8)
    index.add(ids, data)
    queries = clustered(50, seed=2)
    found = index.search(queries, 10)[1]
    recall = np.mean([len(set(f) & set(exact_top(data, ids, q, 10))) / 10 for f, q in zip(found.tolist(), queries,
                                                                                           strict=True)])
    assert recall >= 0.9


def test_deletes_filters_and_reopen(tmp_path: Path) -> None:
    data = clustered(1500, seed=3)
    index = FaissIndex.create(tmp_path / "i", "test", DIM, kind="ivf")
    items = [(DocumentRecord(f"d{i}", "h", {}, 1, "t"), [NewChunk(f"chunk {i}", 0, 7, {"lang": "fr" if i % 50 == 0
                                                                                       else "en"})])
             for i in range(1500)]
    index.upsert(items, data)
    index.save()
    index.delete("d7")
    index.save()
    index.close()
    reopened = FaissIndex.open(tmp_path / "i")
    reopened.tune(nprobe=1)  # few lists: the filtered search must still fill k from the allowed vectors
    assert reopened.count() == 1499
    assert "d7" not in [h.chunk.document_id for h in reopened.search(SearchQuery(5, vector=data[7]))]
    french = reopened.search(SearchQuery(5, vector=data[1], filter={"lang": "fr"}))
    expected = sorted(((float(data[i] @ data[1]), i) for i in range(0, 1500, 50)), reverse=True)[:5]
    assert [h.chunk.document_id for h in french] == [f"d{i}" for _, i in expected]
    top = reopened.search(SearchQuery(1, vector=data[2]))[0]
    assert top.chunk.document_id == "d2"
    np.testing.assert_allclose(reopened.vectors_of([top.chunk.id])[0], data[2], atol=1e-6)  # the direct map
    with pytest.raises(ConfigError, match="nprobe must be at least 1"):
        reopened.tune(nprobe=0)
    reopened.close()


def test_growth_retrains_on_save(tmp_path: Path) -> None:
    index = IvfVectors(DIM)
    data = clustered(9000, seed=4)
    index.add(np.arange(1000), data[:1000])
    first = index.nlist
    index.add(np.arange(1000, 9000), data[1000:])
    assert index.nlist == first  # adding alone never retrains: that waits for a save
    index.write(tmp_path / "v.faiss")
    assert index.nlist == min(int(4 * np.sqrt(9000)), 9000 // 39) > first
    reread = read_vectors(tmp_path / "v.faiss", DIM, "ivf")
    assert reread.nlist == index.nlist and reread.ntotal == 9000
