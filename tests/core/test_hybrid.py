"""Keyword and hybrid retrieval, fusion and MMR, against the real embedder and FTS5."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG, Document
from rag.config import Settings
from rag.retrieval import RetrievalSettings


def doc(source_id: str, text: str, kind: str, year: int = 0) -> Document:
    return Document(source_id, text, {"kind": kind, "year": year})


DOCS = [
    doc("zx81", "The ZX81 was a home computer sold by Sinclair Research in 1981.", "computer", 1981),
    doc("c64", "The Commodore 64 is an 8-bit home computer introduced in 1982.", "computer", 1982),
    doc("tea", "Oolong tea is partially oxidised; it sits between green and black tea.", "drink"),
    doc("coffee", "Espresso is coffee brewed by forcing hot water through fine grounds.", "drink"),
    doc("lava", "Pahoehoe lava has a smooth, ropy surface, unlike rough a'a lava.", "geology"),
]


@pytest.fixture
def rag(tmp_path: Path, embedder):
    with RAG(tmp_path / "index", embedder=embedder) as instance:
        instance.ingest(DOCS)
        yield instance


def test_keyword_search_finds_rare_exact_terms(rag: RAG) -> None:
    hits = rag.search("ZX81", k=2, mode="keyword")
    assert hits[0].chunk.document_id == "zx81"
    assert hits[0].keyword is not None and hits[0].score == hits[0].keyword > 0
    assert hits[0].cosine is not None  # cosine is filled in, so min_score works in every mode
    assert len(hits) == 1  # only one chunk contains the term


def test_keyword_index_follows_updates_and_deletes(rag: RAG) -> None:
    rag.ingest([doc("tea", "Matcha is powdered green tea from Japan.", "drink")])
    assert rag.search("oolong", k=3, mode="keyword") == []
    assert rag.search("matcha", k=3, mode="keyword")[0].chunk.document_id == "tea"
    rag.delete("tea")
    assert rag.search("matcha", k=3, mode="keyword") == []
    with RAG(rag.path, embedder=rag.embedder) as reopened:  # persisted with the chunks
        assert reopened.search("pahoehoe", k=3, mode="keyword")[0].chunk.document_id == "lava"
        assert reopened.search("matcha", k=3, mode="keyword") == []


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_filters_apply_in_every_mode(rag: RAG, mode: str) -> None:
    hits = rag.search("home computer tea coffee lava", k=5, mode=mode, filter={"kind": "drink"})
    assert {h.chunk.document_id for h in hits} == {"tea", "coffee"}
    hits = rag.search("home computer", k=5, mode=mode, filter={"year": {"$gte": 1982}})
    assert [h.chunk.document_id for h in hits] == ["c64"]


def test_hybrid_scores_are_fused_and_ranked(rag: RAG) -> None:
    hits = rag.search("Sinclair ZX81 home computer", k=5)
    assert hits[0].chunk.document_id == "zx81"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(0.0 <= h.score <= 1.0 for h in hits) and hits[0].score == pytest.approx(1.0)
    assert all(h.cosine is not None for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_without_keyword_matches_is_dense(rag: RAG) -> None:
    # No query term occurs in any chunk: hybrid falls back to the dense ranking, cosine scores intact.
    dense = rag.search("beverages", k=3, mode="dense")
    hybrid = rag.search("beverages", k=3)
    assert [h.chunk.id for h in hybrid] == [h.chunk.id for h in dense]
    assert [h.score for h in hybrid] == [h.score for h in dense]


def test_empty_results_in_every_mode(rag: RAG) -> None:
    for mode in ("dense", "keyword", "hybrid"):
        assert rag.search("computer", k=3, mode=mode, filter={"kind": "nothing"}) == []
    assert rag.search("xyzzy plugh", k=3, mode="keyword") == []  # no chunk holds these words


def test_fusion_ties_break_by_cosine_then_id(tmp_path: Path, embedder) -> None:
    same = "Identical sentences tie on both signals."
    with RAG(tmp_path / "i", embedder=embedder, settings=Settings(fusion="rrf")) as rag:
        rag.ingest([Document("b", same), Document("a", same), Document("c", "Something else entirely.")])
        hits = rag.search("identical sentences", k=3)
    assert [h.chunk.document_id for h in hits[:2]] == ["b", "a"]  # equal scores: lower chunk id first
    assert hits[0].score == pytest.approx(hits[1].score)
    assert hits[0].score > hits[2].score


def test_mmr_diversifies_near_duplicates(tmp_path: Path, embedder) -> None:
    dupes = [Document(f"dup{i}", f"The Eiffel Tower in Paris is 330 metres tall{'.' * i}") for i in range(4)]
    others = [Document("louvre", "The Louvre in Paris is the world's most-visited art museum."),
              Document("seine", "The Seine river flows through Paris into the English Channel.")]
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest(dupes + others)
        plain = rag.search("Paris landmarks Eiffel Tower", k=3, mode="dense")
        diverse = rag.search("Paris landmarks Eiffel Tower", k=3, mode="dense", mmr=True)
    assert sum(h.chunk.document_id.startswith("dup") for h in plain) == 3
    assert diverse[0].chunk.document_id.startswith("dup")
    assert sum(h.chunk.document_id.startswith("dup") for h in diverse) == 1
    assert [h.rank for h in diverse] == [1, 2, 3]


def test_document_level_results(tmp_path: Path, embedder) -> None:
    long = " ".join(f"Volcano fact {i}: lava and magma and eruptions." for i in range(120))
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest([Document("volcano-book", long), Document("bread", "Bread rises with yeast.")])
        chunks = rag.search("volcano lava eruptions", k=3)
        docs = rag.search("volcano lava eruptions", k=3, documents=True)
    assert len({h.chunk.document_id for h in chunks}) == 1
    assert [h.chunk.document_id for h in docs] == ["volcano-book", "bread"]


def test_invalid_retrieval_settings_fail_clearly() -> None:
    from rag.core.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown retrieval mode"):
        RetrievalSettings(mode="fuzzy")
    with pytest.raises(ConfigError, match="alpha"):
        RetrievalSettings(alpha=1.5)
