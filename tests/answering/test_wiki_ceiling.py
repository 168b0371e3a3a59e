"""The perfect-retrieval bench: which passage it puts in front of the model, and how it counts."""

from __future__ import annotations

from pathlib import Path

from bench.wiki_ceiling import gold_passage, summarize
from rag import RAG
from rag.config import Settings
from rag.core.types import Document

PASSAGES = [
    Document("passage-0", "The harbour of Tallinn handled 20 million tonnes of cargo in 2019."),
    Document("passage-1", "Grace Bedell, an 11-year-old girl, wrote to Lincoln suggesting he grow a beard."),
    Document("passage-2", "Lincoln's beard became famous; a letter from a girl named Grace Bedell prompted it."),
    Document("passage-3", "Photographs from 1860 show Lincoln clean-shaven."),
]


def test_gold_passage_is_the_best_ranked_passage_holding_the_gold(tmp_path: Path) -> None:
    with RAG(tmp_path / "index", settings=Settings()) as rag:
        rag.ingest(PASSAGES)
        chosen = gold_passage(rag, "Who suggested Lincoln grow a beard?", "Grace Bedell", PASSAGES)
        assert chosen is not None and chosen.source_id in {"passage-1", "passage-2"}
        ranked = [h.chunk.document_id for h in rag.search("Who suggested Lincoln grow a beard?", k=4)]
        assert chosen.source_id == next(d for d in ranked if d in {"passage-1", "passage-2"})
        assert gold_passage(rag, "How much cargo?", "20 million tonnes", PASSAGES).source_id == "passage-0"
        assert gold_passage(rag, "Who drew the first map?", "Gerardus Mercator", PASSAGES) is None


def test_summary_counts_yes_no_as_asked_and_span_with_the_gold_passage() -> None:
    rows = [
        {"yes_no": True, "hit": True, "gold_in_prompt": False, "gold_in_corpus": None, "oracle_hit": None},
        {"yes_no": True, "hit": False, "gold_in_prompt": False, "gold_in_corpus": None, "oracle_hit": None},
        {"yes_no": False, "hit": True, "gold_in_prompt": True, "gold_in_corpus": True, "oracle_hit": True},
        {"yes_no": False, "hit": False, "gold_in_prompt": False, "gold_in_corpus": True, "oracle_hit": True},
        {"yes_no": False, "hit": False, "gold_in_prompt": False, "gold_in_corpus": False, "oracle_hit": None},
    ]
    s = summarize(rows)
    assert s["answer_hit"] == 2 / 5
    assert s["answer_hit_with_gold_passage"] == 3 / 5
    assert (s["yes_no"], s["span"], s["span_gold_in_no_passage"], s["span_gold_in_prompt"]) == (2, 3, 1, 1)
    assert s["span_hit_rate_when_gold_read"] == 1.0
