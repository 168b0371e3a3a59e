"""Layout-aware PDF reading on generated PDFs with known text: columns, running headers, hyphenation,
headings, tables with a merged header, OCR of a scanned page, encrypted and truncated files, and the
page/box metadata every chunk carries (the contract the UI's highlighted citations rely on)."""

from __future__ import annotations

import json
from pathlib import Path

import pdfplumber
import pytest

from bench import pdf_samples
from bench.pdf import edit_distance
from connectors.files import FileConnector
from connectors.options import ConnectorOptions
from rag.chunking import Chunker, ChunkingSettings
from rag.core.layout import LAYOUT_KEY
from rag.core.types import Document, Skipped


def _load(path: Path, **options: object) -> tuple[list[Document], list[Skipped]]:
    items = list(FileConnector(path, ConnectorOptions(**options)).load())  # type: ignore[arg-type]
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Skipped)]


def _chunker(tokens: int = 120) -> Chunker:
    return Chunker(ChunkingSettings(chunk_tokens=tokens, overlap_tokens=16), lambda t: len(t.split()), 512)


def _words_in_boxes(path: Path, boxes: list[list[float]]) -> str:
    """The PDF's own words whose centres fall in ``boxes``, run together (hyphens and spaces dropped)."""
    out = []
    with pdfplumber.open(path) as pdf:
        for page_number, x0, top, x1, bottom in boxes:
            words = pdf.pages[int(page_number) - 1].extract_words()
            inside = [w for w in words if x0 - 0.5 <= (w["x0"] + w["x1"]) / 2 <= x1 + 0.5
                      and top - 0.5 <= (w["top"] + w["bottom"]) / 2 <= bottom + 0.5]
            out += [w["text"] for w in sorted(inside, key=lambda w: w["x0"])]
    return "".join(out).replace("-", "")


def _squash(text: str) -> str:
    return "".join(text.replace("#", "").replace("|", "").split()).replace("-", "")


@pytest.mark.parametrize("interleaved", [True, False])
def test_two_columns_read_in_order_without_running_lines(tmp_path: Path, interleaved: bool) -> None:
    path = tmp_path / "columns.pdf"
    truth = pdf_samples.two_column(path, pages=2, interleaved=interleaved)
    documents, skipped = _load(path)
    assert not skipped and [d.metadata["page"] for d in documents] == [1, 2]
    first, second = documents
    assert first.text == f"# {truth.title}\n\n" + "\n\n".join(truth.by_page[0])
    assert second.text == "\n\n".join(truth.by_page[1])
    assert second.metadata["section"] == truth.title  # the heading in force carries over to the next page
    for document in documents:  # running header, footer and page number are gone
        assert pdf_samples.HEADER not in document.text and "Confidential" not in document.text
        assert "Page " not in document.text
    assert truth.hyphenated and all(f"{word[:3]}-" not in first.text + second.text for word in truth.hyphenated)


def test_every_chunk_carries_page_and_boxes_covering_exactly_its_text(tmp_path: Path) -> None:
    path = tmp_path / "columns.pdf"
    fact = "The lighthouse keeper keeps a cat named Biscuit."
    pdf_samples.two_column(path, pages=2, facts=(fact,))
    documents, _ = _load(path)
    chunks = [chunk for document in documents for chunk in _chunker().chunk(document)]
    assert len(chunks) > 4
    for chunk in chunks:
        meta = chunk.metadata
        assert LAYOUT_KEY not in meta
        json.dumps(meta)  # the chunk store keeps metadata as JSON
        assert meta["page"] == meta["pages"][0] and isinstance(meta["page"], int)
        assert (meta["page_width"], meta["page_height"]) == (pytest.approx(595.28), pytest.approx(841.89))
        assert all(len(box) == 5 and box[1] < box[3] and box[2] < box[4] for box in meta["boxes"])
        assert _words_in_boxes(path, meta["boxes"]) == _squash(chunk.text)
    biscuit = next(c for c in chunks if "Biscuit" in c.text)  # neighbouring chunks may share it (overlap)
    right_column = (20 + 80 + 10) / 25.4 * 72  # mm to points
    fact_boxes = [b for b in biscuit.metadata["boxes"]  # a 3-letter word elsewhere can be "in" the fact too
                  if len(_words_in_boxes(path, [b])) >= 8 and _words_in_boxes(path, [b]) in _squash(fact)]
    assert fact_boxes and all(box[1] >= right_column - 1 for box in fact_boxes)
    assert biscuit.metadata["section"] == "Quarterly Operations Summary"


def test_table_with_merged_header_becomes_one_markdown_table(tmp_path: Path) -> None:
    path = tmp_path / "table.pdf"
    truth = pdf_samples.table(path, pages=2)
    documents, skipped = _load(path)
    assert not skipped and len(documents) == 2
    expected = "\n".join(["| " + " | ".join(truth.header) + " |", "|" + " --- |" * len(truth.header),
                          *("| " + " | ".join(row) + " |" for row in truth.rows)])
    page = documents[0]
    assert page.text == f"# {truth.heading}\n\n{truth.before}\n\n{expected}\n\n" \
                        "Figures are unaudited and may change in the annual accounts."
    chunks = _chunker().chunk(page)
    [table_chunk] = [c for c in chunks if "| North |" in c.text]
    assert expected in table_chunk.text  # the whole table in one chunk
    table_boxes = [b for b in table_chunk.metadata["boxes"] if b[3] - b[1] > 400]  # as wide as the table
    assert len(table_boxes) == len(truth.rows) + 1  # one box per row, the header included
    assert [_words_in_boxes(path, [b]) for b in table_boxes[1:]] == ["".join(row) for row in truth.rows]
    assert table_chunk.metadata["section"] == truth.heading


def test_long_table_is_cut_between_rows_and_every_part_keeps_the_header(tmp_path: Path) -> None:
    path = tmp_path / "long-table.pdf"
    rows = [[f"Harbour {n}", str(100 + n), str(200 + n), str(n % 17)] for n in range(24)]
    truth = pdf_samples.table(path, rows=rows)
    [document], _ = _load(path)
    header = "| " + " | ".join(truth.header) + " |"
    assert document.text.count(header) >= 2
    body = [line for line in document.text.splitlines() if line.startswith("| Harbour ")]
    assert body == ["| " + " | ".join(row) + " |" for row in rows]
    for chunk in _chunker(tokens=60).chunk(document):
        for line in chunk.text.splitlines():
            if line.startswith("|"):
                assert line.endswith("|") and line.count(" | ") == 3  # never half a row


def test_scanned_page_is_read_by_ocr_with_confidence_and_boxes(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    lines = ["Invoice 4711 for the northern depot", "Total due: 1250 euros by 3 March"]
    pdf_samples.scanned(path, [lines], text_page="The cover letter explains the invoice below.")
    documents, skipped = _load(path, pdf_page_seconds=0, file_seconds=0)  # no budget: a loaded CI box is slow
    assert not skipped, skipped
    cover, scan = documents
    assert "ocr" not in cover.metadata
    assert scan.metadata["ocr"] is True and 0.8 < scan.metadata["ocr_confidence"] <= 1.0
    text = " ".join(scan.text.split())
    errors = edit_distance(text, " ".join(lines))
    assert errors / len(" ".join(lines)) <= 0.05, text
    [chunk] = _chunker().chunk(scan)
    assert chunk.metadata["page"] == 2 and len(chunk.metadata["boxes"]) == 2
    assert all(box[1] > 20 and box[3] < 580 for box in chunk.metadata["boxes"])

    documents, _ = _load(path, ocr=False)  # opt-out: the scanned page is left out
    assert [d.metadata["page"] for d in documents] == [1]


def test_image_only_pdf_without_ocr_says_so(tmp_path: Path) -> None:
    path = tmp_path / "scan-only.pdf"
    pdf_samples.scanned(path, [["Nothing here but pixels"]])
    documents, skipped = _load(path, ocr=False)
    assert not documents and "no extractable text" in skipped[0].reason and "OCR is off" in skipped[0].reason


def test_encrypted_and_truncated_pdfs_are_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    pdf_samples.encrypted(tmp_path / "locked.pdf")
    pdf_samples.long_report(tmp_path / "good.pdf", 3)
    data = (tmp_path / "good.pdf").read_bytes()
    (tmp_path / "truncated.pdf").write_bytes(data[:200])  # cut before its first page (see test_pdf_damaged)
    documents, skipped = _load(tmp_path)
    reasons = {Path(s.source).name: s.reason for s in skipped}
    assert reasons["locked.pdf"] == "encrypted PDF (needs a password)"
    assert reasons["truncated.pdf"].startswith("corrupt PDF")
    assert [d.metadata["page"] for d in documents] == [1, 2, 3]


def test_a_page_whose_stream_inflates_past_the_cap_is_skipped(tmp_path: Path) -> None:
    from bench.hostile import pdf_flate_bomb
    from connectors.formats.pdf_page import MAX_STREAM_BYTES

    pdf_flate_bomb(tmp_path / "bomb.pdf", MAX_STREAM_BYTES + 2**20)
    documents, skipped = _load(tmp_path / "bomb.pdf")
    assert not documents
    assert "page 1: a content stream inflates past 75 MB" in skipped[0].reason


def test_a_page_of_millions_of_drawing_instructions_is_skipped_before_layout(tmp_path: Path) -> None:
    from bench.hostile import pdf_slow_page

    pdf_slow_page(tmp_path / "slow.pdf", 400_000)  # 6 MB of tiny strings: laying it out took ~1.2 GB
    documents, skipped = _load(tmp_path / "slow.pdf")
    assert not documents
    assert "page 1: its drawing instructions take 6 MB (over 4 MB" in skipped[0].reason  # refused before layout
