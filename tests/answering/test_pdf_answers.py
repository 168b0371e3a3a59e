"""Questions answered from a PDF's table cell and from the second column of a two-column page, by the
default model over the real pipeline (layout-aware reading, block chunks, focus, llama.cpp)."""

from __future__ import annotations

from pathlib import Path

from bench import pdf_samples
from rag import RAG


def test_a_table_cell_and_the_second_column_are_answered_and_cited(tmp_path: Path, embedder,
                                                                  default_generator) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf_samples.two_column(docs / "operations.pdf", pages=2,
                           facts=("The lighthouse keeper keeps a ginger cat named Biscuit in the lamp room.",))
    pdf_samples.table(docs / "regions.pdf")
    with RAG(tmp_path / "index", embedder=embedder, generator=default_generator) as rag:
        rag.ingest([docs])
        cat = rag.ask("What is the name of the lighthouse keeper's cat?")
        assert "Biscuit" in cat.text and cat.citations, cat.text
        assert any(c.source.chunk.metadata.get("boxes") for c in cat.citations)  # the page can be highlighted
        revenue = rag.ask("What was the East region's revenue in Q2?")
        assert "151" in revenue.text and revenue.citations, revenue.text
        cited = revenue.citations[0].source.chunk
        assert cited.metadata["section"] == "Regional Results" and cited.metadata["page"] == 1
