"""PDFs through the whole ingest (real embedder, real FAISS index): the passage that answers a question
about a table cell or the second column is retrieved with its page and boxes intact, and low-confidence
OCR pages are listed in the ingest report."""

from __future__ import annotations

import json
from pathlib import Path

from bench import pdf_samples
from rag import RAG
from rag.core.types import Document


def test_table_cell_and_second_column_are_retrieved_with_their_boxes(tmp_path: Path, embedder) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    pdf_samples.two_column(docs / "operations.pdf", pages=2,
                           facts=("The lighthouse keeper keeps a ginger cat named Biscuit in the lamp room.",))
    pdf_samples.table(docs / "regions.pdf")
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        report = rag.ingest([docs])
        assert report.added == 3 and not report.errors
        [cat] = [h for h in rag.search("What is the name of the lighthouse keeper's cat?", k=3)
                 if "Biscuit" in h.chunk.text]
        meta = cat.chunk.metadata
        assert meta["page"] == 1 and meta["pages"] == [1] and meta["boxes"]
        right_column = (20 + 80 + 10) / 25.4 * 72
        assert any(box[1] >= right_column - 1 for box in meta["boxes"])
        assert "layout" not in meta and json.loads(json.dumps(meta)) == meta
        hits = rag.search("Revenue Q2 of the East region", k=3)
        table = next(h for h in hits if "| East | 143 | 151 | 17 |" in h.chunk.text)
        assert table.chunk.metadata["section"] == "Regional Results"
        assert "| Region | Revenue Q1 | Revenue Q2 | Staff |" in table.chunk.text
        # what is stored per document leaves the span-to-box map out
        assert all("layout" not in record.metadata for record in rag.documents())


def test_low_confidence_ocr_pages_are_listed_in_the_ingest_report(tmp_path: Path, embedder) -> None:
    pages = [Document("scan.pdf#page=1", "Clearly read text.", {"source": "scan.pdf", "ocr_confidence": 0.97}),
             Document("scan.pdf#page=2", "Bl0rry t3xt.", {"source": "scan.pdf", "ocr_confidence": 0.41})]
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        report = rag.ingest(pages)
    assert report.low_confidence == [{"source": "scan.pdf#page=2", "confidence": 0.41}]
