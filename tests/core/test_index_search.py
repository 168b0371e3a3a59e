"""Search semantics: cosine scores, filters before ranking, HNSW, mismatch and corruption errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from indexes import FaissIndex
from rag import RAG, Document
from rag.core.errors import FilterError, IndexCorruptError, IndexMismatchError, RagloomError
from rag.core.types import DocumentRecord, NewChunk, SearchQuery


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_scores_are_cosine_similarities(tmp_path: Path, embedder) -> None:
    docs = [Document(f"d{i}", t) for i, t in enumerate(["The cat sat on the mat.", "Stock markets fell sharply.",
                                                          "A kitten naps on a rug."])]
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest(docs)
        hits = rag.search("a cat resting on a carpet", k=3, mode="dense")
        hybrid = rag.search("a cat resting on a carpet", k=3)
    assert {h.chunk.id: h.cosine for h in hybrid} == pytest.approx({h.chunk.id: h.score for h in hits})
    query = embedder.embed_documents(["a cat resting on a carpet"])[0]
    for hit in hits:
        vector = embedder.embed_documents([hit.chunk.text])[0]
        cosine = float(query @ vector / (np.linalg.norm(query) * np.linalg.norm(vector)))
        assert hit.score == pytest.approx(cosine, abs=1e-5)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert hits[2].chunk.document_id == "d1"


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_filter_returns_k_where_a_post_filter_would_not(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(0)
    index = FaissIndex.create(tmp_path / "i", "test", 16, kind=kind)
    vectors = unit(rng.normal(size=(500, 16)))
    items = [(DocumentRecord(f"doc{i}", "h", {}, 1, "t"),
              [NewChunk(f"chunk {i}", 0, 7, {"lang": "fr" if i % 50 == 0 else "en", "year": 2000 + i % 30})])
             for i in range(500)]
    index.upsert(items, vectors)
    index.save()
    query = vectors[1:2]  # an "en" chunk: its neighbourhood is almost all "en"
    post = [h for h in index.search(SearchQuery(5, vector=query)) if h.chunk.metadata["lang"] == "fr"]
    assert len(post) < 5
    pre = index.search(SearchQuery(5, vector=query, filter={"lang": "fr"}))
    assert len(pre) == 5 and all(h.chunk.metadata["lang"] == "fr" for h in pre)
    ranged = index.search(SearchQuery(8, vector=query, filter={"year": {"$gte": 2010, "$lt": 2012},
                                                             "lang": {"$in": ["en", "fr"]}}))
    assert len(ranged) == 8 and all(2010 <= h.chunk.metadata["year"] < 2012 for h in ranged)
    exact = sorted(((float(vectors[i] @ query[0]), i) for i in range(500) if i % 50 == 0), reverse=True)[:5]
    assert [h.chunk.document_id for h in pre] == [f"doc{i}" for _, i in exact]
    index.close()


def test_hnsw_deletes_survive_reopen(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng.normal(size=(200, 8)))
    index = FaissIndex.create(tmp_path / "i", "test", 8, kind="hnsw")
    index.upsert([(DocumentRecord(f"d{i}", "h", {}, 1, "t"), [NewChunk(str(i), 0, 1, {})]) for i in range(200)],
                 vectors)
    index.save()
    index.delete("d3")
    index.save()
    index.close()
    reopened = FaissIndex.open(tmp_path / "i")
    hits = reopened.search(SearchQuery(3, vector=vectors[3]))
    assert "d3" not in [h.chunk.document_id for h in hits] and len(hits) == 3
    assert reopened.count() == 199
    reopened.close()


def test_bad_filters_fail_clearly(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest([Document("d", "some text")])
        with pytest.raises(FilterError, match="unsupported filter operator"):
            rag.search("text", filter={"a": {"$regex": "x"}})
        with pytest.raises(FilterError, match="non-empty list"):
            rag.search("text", filter={"a": {"$in": []}})
        assert rag.search("text", filter={"missing_key": "x"}) == []  # a valid filter matching nothing


def test_opening_with_another_embedder_fails_clearly(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest([Document("d", "text")])
    with pytest.raises(IndexMismatchError, match="was built with embedder 'all-MiniLM-L6-v2'"):
        FaissIndex.open(tmp_path / "i", embedder="another-model", dimension=768)
    manifest = json.loads((tmp_path / "i" / "manifest.json").read_text())
    manifest["embedder"]["dimension"] = 768
    (tmp_path / "i" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorruptError, match="holds 384-dim vectors, the manifest says 768"):
        RAG(tmp_path / "i", embedder=embedder)


def test_second_writer_is_refused_while_the_first_writes(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "i", embedder=embedder) as first:
        first.ingest([Document("a", "alpha")])
        first.index.begin_write()  # what an ingest holds while it runs
        with RAG(tmp_path / "i", embedder=embedder) as second, \
                pytest.raises(RagloomError, match=f"being written by process {os.getpid()}"):
            second.ingest([Document("b", "beta")])
        first.index.end_write()
        with RAG(tmp_path / "i", embedder=embedder) as second:  # a finished writer holds nothing
            second.ingest([Document("b", "beta")])
        assert {d.source_id for d in first.documents()} == {"a", "b"}  # the long-lived object sees it too


def test_index_folder_holds_no_pickle(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest([Document(f"d{i}", f"document number {i}", {"n": i}) for i in range(20)])
        rag.delete("d3")
    names = sorted(p.name for p in (tmp_path / "i").iterdir())
    assert [n for n in names if not n.startswith(".")] == ["chunks.sqlite", "manifest.json", "vectors-000003.faiss"]
    for path in (tmp_path / "i").iterdir():
        head = path.read_bytes()[:2]
        assert not (len(head) == 2 and head[0] == 0x80 and head[1] <= 5), f"{path.name} looks like a pickle"
    assert (tmp_path / "i" / "chunks.sqlite").read_bytes().startswith(b"SQLite format 3\x00")
    json.loads((tmp_path / "i" / "manifest.json").read_text())
