"""Truncated and partly damaged PDFs: every page that survives is read with its exact text and its own
page number, each lost page is reported by number, and a file with nothing readable is skipped."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pdfplumber
import pytest

from bench import pdf_samples
from connectors.files import FileConnector
from rag import RAG
from rag.core.types import Document, Skipped


def _load(path: Path) -> tuple[dict[int, str], list[Skipped]]:
    items = list(FileConnector(path).load())
    pages = {i.metadata["page"]: i.text for i in items if isinstance(i, Document)}
    return pages, [i for i in items if isinstance(i, Skipped)]


def _content_offsets(path: Path) -> list[int]:
    """Byte offset of each page's content stream object (``N 0 obj``) in the file, by page."""
    data = path.read_bytes()
    with pdfplumber.open(path) as pdf:
        numbers = [page.page_obj.contents[0].objid for page in pdf.pages]
    return [re.search(rb"(?<![0-9])%d 0 obj" % number, data).start() for number in numbers]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, str]]:
    path = tmp_path_factory.mktemp("damaged") / "report.pdf"
    pdf_samples.long_report(path, 5)
    pages, skipped = _load(path)
    assert not skipped and sorted(pages) == [1, 2, 3, 4, 5]
    return path, pages


@pytest.mark.parametrize("cut_in_page", [3, 4, 5])
def test_truncated_pdf_keeps_the_pages_before_the_cut(tmp_path: Path, report: tuple[Path, dict[int, str]],
                                                      cut_in_page: int) -> None:
    path, intact = report
    data = path.read_bytes()
    offset = _content_offsets(path)[cut_in_page - 1] + 120  # inside that page's compressed content
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[:offset])
    pages, skipped = _load(cut)
    kept = list(range(1, cut_in_page))
    assert sorted(pages) == kept
    assert all(pages[n] == intact[n] for n in kept)  # exact text, running header still removed
    assert [(s.source, s.reason) for s in skipped] == [
        (f"{cut}#page={n}", f"page {n} could not be read: the file is truncated or damaged there")
        for n in range(cut_in_page, 6)]


def test_truncated_in_the_trailer_loses_nothing_and_early_cut_keeps_the_first_page(
        tmp_path: Path, report: tuple[Path, dict[int, str]]) -> None:
    path, intact = report
    data = path.read_bytes()
    (tmp_path / "tail.pdf").write_bytes(data[:data.rindex(b"xref") + 20])  # only the xref table is cut
    pages, skipped = _load(tmp_path / "tail.pdf")
    assert pages == intact and not skipped
    (tmp_path / "early.pdf").write_bytes(data[:_content_offsets(path)[1] + 120])  # inside page 2
    pages, skipped = _load(tmp_path / "early.pdf")
    # one page alone cannot tell its running header from text: the header stays, the rest is exact
    assert list(pages) == [1] and pages[1].endswith(intact[1])
    assert [s.source.rsplit("#", 1)[1] for s in skipped] == ["page=2", "page=3", "page=4", "page=5"]


def test_damage_in_the_middle_loses_only_that_page_and_keeps_the_numbers(
        tmp_path: Path, report: tuple[Path, dict[int, str]]) -> None:
    path, intact = report
    data = path.read_bytes()
    with pdfplumber.open(path) as pdf:
        page_object = pdf.pages[2].page_obj.pageid
    start = re.search(rb"(?<![0-9])%d 0 obj" % page_object, data).start()  # type: ignore[union-attr]
    overwritten = data[:start] + b"X" * 60 + data[start + 60:]  # page 3's object header is gone
    (tmp_path / "hole.pdf").write_bytes(overwritten)
    pages, skipped = _load(tmp_path / "hole.pdf")
    assert sorted(pages) == [1, 2, 4, 5] and all(pages[n] == intact[n] for n in pages)
    assert [s.reason for s in skipped] == ["page 3 could not be read: the file is truncated or damaged there"]

    stream = _content_offsets(path)[2] + 80  # zeros inside page 3's compressed content
    (tmp_path / "zeros.pdf").write_bytes(data[:stream] + b"\x00" * 200 + data[stream + 200:])
    pages, skipped = _load(tmp_path / "zeros.pdf")
    assert sorted(pages) == [1, 2, 4, 5] and all(pages[n] == intact[n] for n in pages)
    assert [s.reason for s in skipped] == ["page 3 could not be read: its content stream is damaged"]


def test_a_file_with_no_readable_page_is_skipped_with_a_reason(tmp_path: Path,
                                                                report: tuple[Path, dict[int, str]]) -> None:
    path, _ = report
    (tmp_path / "stub.pdf").write_bytes(path.read_bytes()[:_content_offsets(path)[0] + 40])
    pages, skipped = _load(tmp_path / "stub.pdf")
    assert not pages and len(skipped) == 1
    assert skipped[0].source == str(tmp_path / "stub.pdf")
    assert skipped[0].reason.startswith("corrupt PDF") and skipped[0].reason.endswith("no page could be recovered")


def _object_stream(number: int, objects: dict[int, bytes]) -> bytes:
    header, body = b"", b""
    for inner, value in objects.items():
        header += b"%d %d " % (inner, len(body))
        body += value + b"\n"
    stream = zlib.compress(header + body)
    return b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\n" \
           b"endstream\nendobj\n" % (number, len(objects), len(header), len(stream), stream)


_TEXTS = ["Ferry timetable for the island route", "Cargo fees rise in the spring season",
          "Night ferries stop in the winter"]
_TREE = {1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: b"<< /Type /Pages /Kids [3 0 R 4 0 R 9 0 R] /Count 3 >>"}
_PAGES = {number: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                  b"/Resources << /Font << /F1 8 0 R >> >> >>" % content
          for number, content in ((3, 5), (4, 6), (9, 10))}  # page object: its content stream
_FONT = {8: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}


def _contents(*numbers: int) -> bytes:
    out = b""
    for number in numbers:
        content = b"BT /F1 14 Tf 72 700 Td (%s) Tj ET" % _TEXTS[{5: 0, 6: 1, 10: 2}[number]].encode()
        out += b"%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (number, len(content), content)
    return out


def test_pages_packed_in_an_object_stream_are_recovered(tmp_path: Path) -> None:
    """PDF 1.5 writers put page dictionaries and fonts in compressed object streams."""
    out = b"%PDF-1.5\n" + _object_stream(7, {**_TREE, **_PAGES, **_FONT}) + _contents(5, 10, 6)
    cut = out.rindex(b"6 0 obj") + 30  # the file ends inside page 2's content (no xref stream, no trailer)
    (tmp_path / "packed.pdf").write_bytes(out[:cut])
    pages, skipped = _load(tmp_path / "packed.pdf")
    assert pages == {1: _TEXTS[0], 3: _TEXTS[2]}
    assert [s.reason for s in skipped] == ["page 2 could not be read: the file is truncated or damaged there"]


def test_without_the_page_tree_pages_are_numbered_in_file_order_and_the_loss_is_reported(tmp_path: Path) -> None:
    """pdfTeX and others write the page tree last, in the final object stream: a cut loses it."""
    out = (b"%PDF-1.5\n" + _object_stream(7, {3: _PAGES[3], 4: _PAGES[4], **_FONT}) + _contents(5, 6)
           + _object_stream(11, {**_TREE, 9: _PAGES[9]}) + _contents(10))
    cut = out.rindex(b"11 0 obj") + 40  # inside the object stream holding the tree and page 3
    (tmp_path / "treeless.pdf").write_bytes(out[:cut])
    pages, skipped = _load(tmp_path / "treeless.pdf")
    assert pages == {1: _TEXTS[0], 2: _TEXTS[1]}
    assert [(s.source, s.reason) for s in skipped] == [
        (str(tmp_path / "treeless.pdf"), "the file is truncated or damaged and its page list is lost: 2 pages were "
                                         "recovered, any later pages are missing")]


def test_ingest_report_lists_each_lost_page(tmp_path: Path, report: tuple[Path, dict[int, str]], embedder) -> None:
    path, intact = report
    docs = tmp_path / "docs"
    docs.mkdir()
    data = path.read_bytes()
    (docs / "cut.pdf").write_bytes(data[:_content_offsets(path)[2] + 120])
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        result = rag.ingest([docs])
        stored = {r.source_id.rsplit("=", 1)[1] for r in rag.documents()}
    assert result.added == 2 and stored == {"1", "2"}
    assert [e["source"].rsplit("#", 1)[1] for e in result.errors] == ["page=3", "page=4", "page=5"]
    assert all(e["reason"].startswith(f"page {n} could not be read") for n, e in zip((3, 4, 5), result.errors,
                                                                                        strict=True))


def test_one_mangled_page_dictionary_loses_only_that_page(tmp_path: Path,
                                                          report: tuple[Path, dict[int, str]]) -> None:
    """pdfminer walks every page dictionary when it opens a file: one broken key used to lose them all."""
    path, intact = report
    data = path.read_bytes()
    with pdfplumber.open(path) as pdf:
        page_object = pdf.pages[2].page_obj.pageid
    start = re.search(rb"(?<![0-9])%d 0 obj" % page_object, data).end()  # type: ignore[union-attr]
    end = data.index(b"endobj", start)
    mangled = data[:start] + data[start:end].replace(b"/Type /Page", b"/Type /Page /Dangling") + data[end:]
    (tmp_path / "mangled.pdf").write_bytes(mangled)
    pages, skipped = _load(tmp_path / "mangled.pdf")
    assert sorted(pages) == [1, 2, 4, 5] and all(pages[n] == intact[n] for n in pages)
    assert [s.reason for s in skipped] == ["page 3 could not be read: the file is truncated or damaged there"]
