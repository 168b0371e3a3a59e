"""The ``Index`` contract, run against every backend in ``tests/contract/backends.py``.

Stable ids, upsert replaces, delete, filters before ranking, exact candidates, keyword search as a
declared capability, reopening after a save, and the manifest check. The vectors are random unit
vectors with a few planted neighbours, small enough that every kind (HNSW's graph and a trained
IVF included) must find the exact top k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexes import factory
from rag.core.errors import FilterError, IndexMismatchError, RagloomError, UnsupportedCapabilityError
from rag.core.protocols import Index, IndexCapability
from rag.core.types import DocumentRecord, NewChunk, SearchMode, SearchQuery
from tests.contract.conftest import DIM, EMBEDDER, Indexes

N_DOCS = 120  # x 3 chunks = 360 vectors: past the test IVF training threshold
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(rows)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def corpus(n_docs: int = N_DOCS, seed: int = 0) -> tuple[list[tuple[DocumentRecord, list[NewChunk]]], np.ndarray]:
    """``n_docs`` documents of 3 chunks; metadata ``lang`` is "fr" for every 20th document, ``year`` cycles."""
    rng = np.random.default_rng(seed)
    items = []
    for d in range(n_docs):
        metadata = {"lang": "fr" if d % 20 == 0 else "en", "year": 2000 + d % 10, "source": f"file{d // 2}"}
        chunks = [NewChunk(f"document {d} part {p} about {WORDS[(d + p) % len(WORDS)]}", p * 10, p * 10 + 9,
                           dict(metadata)) for p in range(3)]
        items.append((DocumentRecord(f"doc{d}", f"hash{d}", metadata, 3, "2026-01-01T00:00:00+00:00"), chunks))
    return items, unit(rng.normal(size=(3 * n_docs, DIM)))


def exact_top(index: Index, query: np.ndarray, k: int, ids: list[int]) -> list[int]:
    vectors = index.vectors_of(ids)
    sims = vectors @ query
    return [ids[n] for n in sorted(range(len(ids)), key=lambda n: (-sims[n], ids[n]))[:k]]


def dense(index: Index, query: np.ndarray, k: int, **fields) -> list:
    return index.search(SearchQuery(k, vector=query, **fields))


@pytest.fixture
def filled(new_index) -> tuple[Index, list, np.ndarray]:
    index = new_index()
    items, vectors = corpus()
    index.upsert(items, vectors)
    index.save()
    return index, items, vectors


def test_is_an_index_with_a_kind(filled, backend) -> None:
    index, _, _ = filled
    assert isinstance(index, Index)
    assert index.kind == backend.kind
    assert index.manifest["embedder"] == {"name": EMBEDDER, "dimension": DIM}
    assert index.manifest["vector_index"]["kind"] == backend.kind
    assert index.count() == 3 * N_DOCS and len(index.documents()) == N_DOCS


def test_ids_are_stable_and_never_reused(filled) -> None:
    index, items, vectors = filled
    before = {c.id: c for c in index.get(index.chunk_ids().tolist())}
    assert len(before) == 3 * N_DOCS
    removed = set(index.chunk_ids({"document_id": "doc5"}).tolist())
    assert index.delete("doc5") == 3
    extra_items, extra_vectors = corpus(2, seed=9)
    extra = [(DocumentRecord("new0", "h", {}, 3, "t"), extra_items[0][1])]
    index.upsert(extra, extra_vectors[:3])
    index.save()
    after = {c.id: c for c in index.get(index.chunk_ids().tolist())}
    for chunk_id, chunk in before.items():
        if chunk_id not in removed:
            assert after[chunk_id] == chunk  # nobody else's id shifted
    fresh = set(after) - set(before)
    assert len(fresh) == 3 and not fresh & set(before)  # new ids, never a deleted one reused
    np.testing.assert_allclose(index.vectors_of(sorted(fresh)), extra_vectors[:3], atol=1e-5)
    kept = sorted(set(before) - removed)[:7]
    np.testing.assert_allclose(index.vectors_of(kept), vectors[[i - min(before) for i in kept]], atol=1e-5)


def test_upsert_replaces_the_document(filled) -> None:
    index, items, vectors = filled
    old_ids = index.chunk_ids({"document_id": "doc7"}).tolist()
    record = DocumentRecord("doc7", "hash-v2", {"lang": "de"}, 1, "2026-02-01T00:00:00+00:00")
    replacement = unit(vectors[0] + 0.01)  # right next to doc0's first chunk
    index.upsert([(record, [NewChunk("doc7 version two", 0, 16, {"lang": "de"})])], replacement)
    index.save()
    assert index.get(old_ids) == []
    assert index.count() == 3 * N_DOCS - 2
    assert index.document("doc7") == record
    assert index.document_hashes()["doc7"] == "hash-v2"
    [chunk] = index.get(index.chunk_ids({"document_id": "doc7"}).tolist())
    assert chunk.text == "doc7 version two" and chunk.metadata == {"lang": "de"}
    hits = dense(index, replacement[0], 2)
    assert hits[0].chunk.document_id == "doc7" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.chunk.text for h in dense(index, replacement[0], 1, filter={"lang": "de"})] == ["doc7 version two"]


def test_delete_removes_from_every_view(filled) -> None:
    index, items, vectors = filled
    assert index.delete("doc3") == 3
    assert index.delete("doc3") == 0 and index.delete("never-there") == 0
    index.save()
    assert index.document("doc3") is None and "doc3" not in index.document_hashes()
    assert "doc3" not in {d.source_id for d in index.documents()}
    assert index.chunk_ids({"document_id": "doc3"}).tolist() == []
    for row in (9, 10, 11):  # doc3's own vectors find other chunks now
        assert "doc3" not in {h.chunk.document_id for h in dense(index, vectors[row], 5)}
    assert index.count() == 3 * N_DOCS - 3


def test_dense_scores_are_cosines_best_first(filled) -> None:
    index, items, vectors = filled
    all_ids = index.chunk_ids().tolist()
    for row in (0, 77, 200, 359):
        hits = dense(index, vectors[row], 10)
        assert [h.rank for h in hits] == list(range(1, 11))
        assert [h.chunk.id for h in hits] == exact_top(index, vectors[row], 10, all_ids)
        stored = index.vectors_of([h.chunk.id for h in hits])
        for hit, vector in zip(hits, stored, strict=True):
            assert hit.score == pytest.approx(float(vector @ vectors[row]), abs=1e-5)
            assert hit.cosine == pytest.approx(hit.score, abs=1e-6)
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)  # the query's own chunk


def test_filters_select_before_ranking(filled) -> None:
    index, items, vectors = filled
    query = vectors[3]  # an "en" chunk: a post-filter of its top 5 would hold no "fr" chunk
    french_ids = index.chunk_ids({"lang": "fr"}).tolist()
    assert len(french_ids) == 3 * N_DOCS // 20
    hits = dense(index, query, 5, filter={"lang": "fr"})
    assert [h.chunk.id for h in hits] == exact_top(index, query, 5, french_ids)
    assert all(h.chunk.metadata["lang"] == "fr" for h in hits)
    ranged = dense(index, query, 8, filter={"year": {"$gte": 2003, "$lt": 2005}, "lang": {"$in": ["en", "fr"]}})
    assert len(ranged) == 8 and all(2003 <= h.chunk.metadata["year"] < 2005 for h in ranged)
    few = dense(index, query, 50, filter={"document_id": {"$in": ["doc1", "doc2"]}})
    assert sorted(h.chunk.document_id for h in few) == ["doc1"] * 3 + ["doc2"] * 3  # all 6, not k
    assert dense(index, query, 5, filter={"lang": "xx"}) == []  # a valid filter matching nothing
    assert dense(index, query, 5, filter={"lang": {"$ne": "en"}, "year": {"$nin": [2000]}}) == []
    with pytest.raises(FilterError):
        dense(index, query, 5, filter={"lang": {"$regex": "f.*"}})


def test_candidates_are_scored_exactly(filled) -> None:
    index, items, vectors = filled
    ids = index.chunk_ids().tolist()
    chosen = [ids[300], ids[4], ids[150], 10**9]  # an unknown id is ignored
    hits = dense(index, vectors[4], 10, candidates=chosen)
    assert [h.chunk.id for h in hits] == exact_top(index, vectors[4], 10, chosen[:3])
    assert hits[0].chunk.id == ids[4] and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.chunk.id for h in dense(index, vectors[4], 1, candidates=chosen)] == [ids[4]]
    in_french = dense(index, vectors[4], 10, candidates=chosen, filter={"lang": "fr"})
    assert all(h.chunk.metadata["lang"] == "fr" for h in in_french)


def test_keyword_search_is_a_declared_capability(filled) -> None:
    index, items, vectors = filled
    query = SearchQuery(5, text="foxtrot", mode=SearchMode.KEYWORD, filter={"lang": "fr"})
    if IndexCapability.KEYWORD not in index.capabilities:
        with pytest.raises(UnsupportedCapabilityError):
            index.search(query)
        return
    hits = index.search(query)
    assert hits and all("foxtrot" in h.chunk.text and h.chunk.metadata["lang"] == "fr" for h in hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(h.keyword == h.score > 0 for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)
    ids = [h.chunk.id for h in hits]
    among = index.search(SearchQuery(5, text="foxtrot", mode=SearchMode.KEYWORD, candidates=ids[:2]))
    assert {h.chunk.id for h in among} == set(ids[:2])
    assert index.search(SearchQuery(5, text="zulu", mode=SearchMode.KEYWORD)) == []


def test_reopen_after_save_gives_the_same_results(indexes: Indexes, filled) -> None:
    index, items, vectors = filled
    index.delete("doc11")
    index.save()
    before = [[(h.chunk, round(h.score, 5)) for h in dense(index, vectors[row], 7, filter=f)]
              for row in (0, 50, 300) for f in (None, {"lang": "fr"})]
    documents, count, hashes = index.documents(), index.count(), index.document_hashes()
    groups = index.document_groups()
    indexes.close(index)
    reopened = indexes.open()
    assert reopened.kind == index.kind and reopened.count() == count
    assert reopened.documents() == documents and reopened.document_hashes() == hashes
    assert reopened.document_groups() == groups and groups["doc4"] == "file2"
    after = [[(h.chunk, round(h.score, 5)) for h in dense(reopened, vectors[row], 7, filter=f)]
             for row in (0, 50, 300) for f in (None, {"lang": "fr"})]
    assert after == before
    assert reopened.manifest["counts"] == {"documents": N_DOCS - 1, "chunks": 3 * (N_DOCS - 1)}
    assert reopened.size_bytes() > 0


def test_manifest_refuses_another_embedder(indexes: Indexes, filled) -> None:
    index, _, _ = filled
    indexes.close(index)
    with pytest.raises(IndexMismatchError, match="was built with embedder"):
        indexes.open(embedder="another-model")
    with pytest.raises(IndexMismatchError, match=f"{DIM} dims"):
        indexes.open(embedder=None, dimension=DIM * 2)
    with pytest.raises(RagloomError, match="already exists"):
        indexes.create()
    indexes.close(indexes.open(embedder=EMBEDDER, dimension=DIM))


def test_bad_vectors_change_nothing(filled) -> None:
    index, items, vectors = filled
    record = DocumentRecord("doc1", "other", {}, 2, "t")
    with pytest.raises((ValueError, RagloomError)):
        index.upsert([(record, [NewChunk("a", 0, 1, {}), NewChunk("b", 1, 2, {})])], vectors[:1])
    assert index.document("doc1") == items[1][0] and index.count() == 3 * N_DOCS


def test_unknown_kind_and_missing_backend_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RagloomError, match="unknown index kind 'annoy'; choose one of flat, hnsw, ivf"):
        factory.create_index("annoy", tmp_path / "i", embedder=EMBEDDER, dimension=DIM)
    monkeypatch.setattr(factory, "_KINDS", dict(factory._KINDS))
    factory.register_index_kind("faraway", "ragloom_absent_backend_pkg.index:BACKEND", extra="faraway")
    with pytest.raises(ImportError, match=r"needs the package 'ragloom_absent_backend_pkg'.*ragloom\[faraway\]"):
        factory.create_index("faraway", tmp_path / "i", embedder=EMBEDDER, dimension=DIM)
    assert not (tmp_path / "i").exists()
