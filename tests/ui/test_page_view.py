"""The cited page: box scaling, the highlight's pixels on a rendered generated PDF, the file route's
confinement, and the passage in context for other formats."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pdf_corpus import GeneratedPdf, write_pdf
from PIL import Image

from rag.core.locations import page_location
from rag.core.types import Chunk, ScoredChunk
from ui import file_links
from ui.page_image import PageRenderError, highlighted_page, render_scale, to_pixels
from ui.page_view import context_around, context_html

pytest.importorskip("pypdfium2")


@pytest.fixture(scope="module")
def guide(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPdf:
    return write_pdf(tmp_path_factory.mktemp("pdf") / "guide.pdf")


def _is_amber(pixel: tuple[int, int, int]) -> bool:
    """White paper under the translucent highlight: red stays high, blue drops well below green."""
    r, g, b = pixel
    return r > 200 and g > 180 and b < 200 and g - b > 40


def _amber_bounds(image: Image.Image, region: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    left, top, right, bottom = region
    xs, ys = [], []
    pixels = image.load()
    for y in range(top, bottom):
        for x in range(left, right):
            if _is_amber(pixels[x, y]):
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


# -- scaling ------------------------------------------------------------------------------------------------
def test_points_scale_to_pixels_per_axis_and_clip_to_the_image() -> None:
    assert to_pixels((72, 100, 300, 112), 2.0, 2.0, (2000, 3000), pad=0) == (144, 200, 600, 224)
    assert to_pixels((72, 100, 300, 112), 2.0, 0.5, (2000, 3000), pad=0) == (144, 50, 600, 56)
    assert to_pixels((72, 100, 300, 112), 1.0, 1.0, (1000, 1000), pad=2) == (70, 98, 302, 114)
    assert to_pixels((-10, -10, 5000, 5000), 1.0, 1.0, (600, 800), pad=0) == (0, 0, 599, 799)


def test_pages_render_about_a_thousand_pixels_wide_and_never_huge() -> None:
    assert render_scale(595.28, 841.89) == pytest.approx(1000 / 595.28)
    assert render_scale(100, 5000) * 5000 == pytest.approx(2400)  # a strip 50 times taller than wide


# -- the highlight on a real rendered page ----------------------------------------------------------------------
def test_the_highlight_covers_the_cited_lines_and_nothing_else(guide: GeneratedPdf) -> None:
    ferry = guide.paragraph_with("ferry")
    office = guide.paragraph_with("harbour office")
    shown = highlighted_page(guide.path, 1, [box[1:] for box in ferry.boxes], (guide.page_width, guide.page_height))
    image = shown.image
    assert image.width == 1000 and abs(image.height - round(1000 * guide.page_height / guide.page_width)) <= 1
    ppp = image.width / guide.page_width  # pixels per point
    x0 = min(b[1] for b in ferry.boxes) * ppp
    top = min(b[2] for b in ferry.boxes) * ppp
    x1 = max(b[3] for b in ferry.boxes) * ppp
    bottom = max(b[4] for b in ferry.boxes) * ppp
    found = _amber_bounds(image, (0, 0, image.width, image.height))
    assert found is not None, "no highlight drawn"
    # the amber area is where the passage is, to within the 1.5-point pad and the outline
    assert abs(found[0] - x0) <= 5 and abs(found[1] - top) <= 5, (found, x0, top)
    assert abs(found[2] - x1) <= 5 and abs(found[3] - bottom) <= 5, (found, x1, bottom)
    # the cited text is really under it (dark glyph pixels inside the first line's box)...
    line = shown.boxes_px[0]
    glyphs = sum(1 for y in range(line[1], line[3]) for x in range(line[0], line[2])
                 if sum(image.getpixel((x, y))) < 250)
    assert glyphs > 200
    # ... and the other paragraph on the page is text without a highlight
    other = to_pixels(office.boxes[0][1:], ppp, ppp, image.size)
    assert _amber_bounds(image, other) is None
    assert any(sum(image.getpixel((x, y))) < 250 for y in range(other[1], other[3]) for x in range(other[0], other[2]))


def test_boxes_measured_on_another_page_size_are_rescaled(guide: GeneratedPdf) -> None:
    # a reader that measured the page at half size: the same fractions of the page must light up
    ferry = guide.paragraph_with("ferry")
    half = [[v / 2 for v in box[1:]] for box in ferry.boxes]
    full = highlighted_page(guide.path, 1, [box[1:] for box in ferry.boxes], (guide.page_width, guide.page_height))
    scaled = highlighted_page(guide.path, 1, half, (guide.page_width / 2, guide.page_height / 2))
    for a, b in zip(full.boxes_px, scaled.boxes_px, strict=True):
        assert all(abs(p - q) <= 4 for p, q in zip(a, b, strict=True)), (a, b)  # the pad is in the boxes' points


def test_a_missing_page_or_a_broken_file_is_a_readable_error(guide: GeneratedPdf, tmp_path: Path) -> None:
    with pytest.raises(PageRenderError, match="2 pages, not 9"):
        highlighted_page(guide.path, 9, [])
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(guide.path.read_bytes()[:400])
    with pytest.raises(PageRenderError):
        highlighted_page(broken, 1, [])
    with pytest.raises(PageRenderError, match="not readable"):
        highlighted_page(tmp_path / "gone.pdf", 1, [])


# -- which files the chat may serve ------------------------------------------------------------------------
def _cited(source: str, document_id: str | None = None, page: int = 1) -> tuple[ScoredChunk, object]:
    chunk = Chunk(id=1, document_id=document_id or f"{source}#page={page}", text="x", start=0, end=1,
                  metadata={"source": source, "page": page})
    return ScoredChunk(chunk, 0.9, 1), page_location(chunk)


def test_only_pdfs_the_index_read_itself_are_served(guide: GeneratedPdf, tmp_path: Path) -> None:
    assert file_links.servable_pdf(*_cited(str(guide.path))) == guide.path.resolve()
    # a chunk whose document is not that file (a caller's Document claiming any path) is not served
    assert file_links.servable_pdf(*_cited(str(guide.path), document_id="my-note")) is None
    assert file_links.servable_pdf(*_cited(str(guide.path), document_id=f"{guide.path}.evil#page=1")) is None
    assert file_links.servable_pdf(*_cited("guide.pdf")) is None  # relative: resolved against what?
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    disguised = tmp_path / "secret.pdf"
    disguised.write_text("password=hunter2")  # a .pdf name is not enough: no %PDF header
    assert file_links.servable_pdf(*_cited(str(secret))) is None
    assert file_links.servable_pdf(*_cited(str(disguised))) is None
    assert file_links.servable_pdf(*_cited(str(tmp_path / "missing.pdf"))) is None
    # a symlink is served as the file it points to (the resolved path is what is kept)
    link = tmp_path / "link.pdf"
    link.symlink_to(guide.path)
    assert file_links.servable_pdf(*_cited(str(link))) == guide.path.resolve()


def test_links_carry_a_token_never_a_path_and_tokens_resolve_only_while_the_file_is_the_same(
        guide: GeneratedPdf, tmp_path: Path) -> None:
    copy = tmp_path / "copy of guide.pdf"
    copy.write_bytes(guide.path.read_bytes())
    path = copy.resolve()
    url = file_links.link_for(path, 2)
    assert url.startswith("/ragloom/source/") and url.endswith("/copy%20of%20guide.pdf#page=2")
    assert str(tmp_path) not in url
    token = url.split("/")[3]
    assert file_links.link_for(path, 1).split("/")[3] == token  # one token per file
    assert file_links.file_for(token, "copy of guide.pdf") == path
    assert file_links.file_for(token, "other.pdf") is None
    assert file_links.file_for("not-a-token", "copy of guide.pdf") is None
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 secret")
    copy.unlink()
    copy.symlink_to(secret)  # swapped for a symlink after the link was handed out
    assert file_links.file_for(token, "copy of guide.pdf") is None
    copy.unlink()
    assert file_links.file_for(token, "copy of guide.pdf") is None


def test_the_route_serves_the_pdf_inline_and_nothing_else(guide: GeneratedPdf) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ui.server import serve_source

    file_links._mounted.clear()  # importing ui/server.py marks the route mounted; the other tests run without it
    client = TestClient(Starlette(routes=[Route(file_links.ROUTE, serve_source)]))
    url = file_links.link_for(guide.path.resolve(), 2).split("#")[0]
    reply = client.get(url)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.headers["content-disposition"].startswith("inline")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.content == guide.path.read_bytes()
    token = url.split("/")[3]
    for bad in (f"/ragloom/source/{token}/..%2F..%2Fetc%2Fpasswd", f"/ragloom/source/{token}/passwd",
                "/ragloom/source/xyz/guide.pdf", f"/ragloom/source/{os.sep}etc{os.sep}passwd/guide.pdf"):
        assert client.get(bad).status_code == 404, bad


# -- other formats: the passage in its document -----------------------------------------------------------------
DOCUMENT = ("Chapter one. The mill stands by the river and grinds oats. " * 4 + "\n\n"
            + "The miller is called Ada Brenner and she bakes on Sundays. " * 3 + "\n\n"
            + "Chapter two. The bridge was rebuilt in stone after the flood of 1903. " * 4)


def _split(text: str, size: int, overlap: int) -> list[Chunk]:
    chunks, start, number = [], 0, 0
    while start < len(text):
        end = min(len(text), start + size)
        piece = text[start:end].strip()
        lead = len(text[start:end]) - len(text[start:end].lstrip())
        chunks.append(Chunk(id=number, document_id="mill.md", text=piece, start=start + lead,
                            end=start + lead + len(piece)))
        number += 1
        start = end - overlap if end < len(text) else end
    return chunks


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_context_is_the_documents_own_text_around_the_passage() -> None:
    chunks = _split(DOCUMENT, 120, 30)
    cited = chunks[4]
    before, after = context_around(chunks, cited, chars=200)
    assert 190 <= len(before) <= 200 and 190 <= len(after) <= 200
    # the same words in the same order as the document (whitespace the splitter dropped reads as one space)
    assert _words(DOCUMENT[:cited.start]).endswith(_words(before))
    assert _words(DOCUMENT[cited.end:]).startswith(_words(after))
    first_before, _ = context_around(chunks, chunks[0])
    assert first_before == ""
    # a chunk of another document never leaks into the context
    stranger = Chunk(id=99, document_id="other.md", text="SECRET" * 40, start=cited.start - 100, end=cited.end)
    assert "SECRET" not in "".join(context_around([*chunks, stranger], cited))


def test_context_html_escapes_the_document_text() -> None:
    page = context_html("<script>alert(1)</script>", "the <b>passage</b> & more", "<img src=x onerror=alert(2)>")
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "the &lt;b&gt;passage&lt;/b&gt; &amp; more</mark>" in page


# -- the file reader's own chunks ---------------------------------------------------------------------------------
def test_a_pdf_ingested_by_the_file_reader_opens_at_its_page(guide: GeneratedPdf, tmp_path: Path) -> None:
    """Whatever the PDF reader records (the page alone, or line boxes too), the cited page can be shown.

    With line boxes (the layout-aware reader of issue 16), the highlight must fall on the passage's lines.
    """
    from rag.api import RAG
    from ui.page_view import highlighted_png

    with RAG(tmp_path / "index") as rag:
        rag.ingest([guide.path])
        hit = rag.search("Which pier does the ferry to Skellig Mor leave from?", k=1)[0]
    location = page_location(hit.chunk)
    assert location is not None and location.page == 1
    path = file_links.servable_pdf(hit, location)
    assert path == guide.path.resolve()
    png, shown = highlighted_png(path, location, location.page)
    assert png.startswith(b"\x89PNG") and shown.image.width == 1000
    assert len(shown.boxes_px) == len(location.boxes_on(1))
    if location.boxes:  # the chunk holds the ferry paragraph, so its lines are among the highlighted ones
        ferry = guide.paragraph_with("Skellig Mor")
        for line in ferry.boxes:
            assert any(abs(box.top - line[2]) < 4 and abs(box.bottom - line[4]) < 4 and box.x0 < line[3]
                       and line[1] < box.x1 for box in location.boxes_on(1)), (line, location.boxes)
        assert all(0 <= box.x0 < box.x1 <= guide.page_width and box.bottom <= guide.page_height
                   for box in location.boxes)
    else:
        assert _amber_bounds(shown.image, (0, 0, shown.image.width, shown.image.height)) is None


# -- the view itself (AppTest on a small script: no index, no model) ------------------------------------------------
_VIEW_SCRIPT = """
import streamlit as st
from rag.core.types import Chunk, ScoredChunk
from ui.page_view import render_page_view

meta = st.session_state["meta"]
chunk = Chunk(id=3, document_id=st.session_state["document_id"], text="passage", start=0, end=7, metadata=meta)
render_page_view(1, ScoredChunk(chunk, 0.9, 1), "turn1")
"""


def _view(guide: GeneratedPdf, meta: dict, document_id: str | None = None) -> object:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(_VIEW_SCRIPT, default_timeout=60)
    at.session_state["meta"] = {"source": str(guide.path), "page_width": guide.page_width,
                                "page_height": guide.page_height, **meta}
    at.session_state["document_id"] = document_id or f"{guide.path}#page=1"
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_passage_over_two_pages_lets_the_reader_pick_the_page(guide: GeneratedPdf) -> None:
    ferry, lighthouse = guide.paragraph_with("Skellig Mor"), guide.paragraph_with("lighthouse")
    at = _view(guide, {"page": 1, "pages": [1, 2], "boxes": ferry.boxes + lighthouse.boxes[:1]})
    assert at.image[0].captions == ["guide.pdf, page 1 (2 highlighted lines)"]
    at.selectbox(key="pg-turn1-1-page").set_value(2).run()
    assert at.image[0].captions == ["guide.pdf, page 2 (1 highlighted line)"]
    assert "page 2" in at.download_button[0].proto.label  # `streamlit run ui/app.py`: no file route
    file_links.mark_route_mounted()  # as ui/server.py does
    try:
        at.run()
        assert not at.download_button and at.link_button[0].proto.url.endswith("/guide.pdf#page=2")
    finally:
        file_links._mounted.clear()


def test_a_pdf_page_that_cannot_be_rendered_falls_back_to_the_text(guide: GeneratedPdf, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(guide.path.read_bytes()[:600])
    at = _view(guide, {"page": 1, "source": str(broken)}, document_id=f"{broken}#page=1")
    assert not at.image
    assert any("cannot be shown" in c.value for c in at.caption)
    assert at.toggle(key="pg-turn1-1-context").label == "Show in the document"
