"""Citations that open the page: under each source, where its passage sits in the original document.

A source from a PDF the index read shows the rendered page with the cited lines highlighted (from
the line boxes the PDF reader stored, see ``rag.PageLocation``) and a link that opens the file at
that page. Any other source offers the passage in the context of its document: the neighbouring
chunks' text around it, the passage marked. Document text is untrusted, so it is HTML-escaped
before it reaches the page.
"""

from __future__ import annotations

import html
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from rag import Chunk, PageLocation, ScoredChunk, page_location
from ui.file_links import link_for, route_mounted, servable_pdf
from ui.page_image import HighlightedPage, PageRenderError, highlighted_page

if TYPE_CHECKING:
    from rag import RAG  # the facade loads the models' libraries; the chat has it loaded already

log = logging.getLogger("ragloom.ui")
CONTEXT_CHARS = 700  # document text shown on each side of the passage
PAGE_WIDTH_PX = 720  # the page beside the answer, readable without filling the screen (fullscreen enlarges it)
_NEIGHBOURS = 3  # chunks fetched on each side of the cited one (overlapping chunks: 2 usually cover 700 chars)
_PNG_CACHE: OrderedDict[tuple[object, ...], tuple[bytes, HighlightedPage]] = OrderedDict()
_PNG_CACHED = 24
_png_lock = threading.Lock()


def render_page_view(number: int, source: ScoredChunk, key: str) -> None:
    """The rendered page with the passage highlighted (PDF sources), else the passage in its document."""
    location = page_location(source.chunk)
    path = servable_pdf(source, location) if location is not None else None
    if location is not None and path is not None:
        try:
            _render_pdf_page(location, path, f"pg-{key}-{number}")
            return
        except PageRenderError as exc:
            st.caption(f"The page cannot be shown: {exc}.")
    _render_in_context(source, f"pg-{key}-{number}")


def _render_pdf_page(location: PageLocation, path: Path, key: str) -> None:
    page = location.page
    if len(location.pages) > 1:
        page = st.selectbox("Page", location.pages, key=f"{key}-page",
                            format_func=lambda p: f"page {p} of the passage's {len(location.pages)}")
    png, shown = highlighted_png(path, location, page)
    label = f"Open {path.name} at page {page}"
    if route_mounted():
        st.link_button(label, link_for(path, page), icon=":material/open_in_new:")
    else:  # `streamlit run ui/app.py` has no file route: the file itself, read only when clicked
        st.download_button(f"Download {path.name} (the passage is on page {page})", data=path.read_bytes,
                           file_name=path.name, mime="application/pdf", key=f"{key}-download",
                           on_click="ignore", icon=":material/download:")
    lines = len(shown.boxes_px)
    marked = f"{lines} highlighted line{'s' if lines != 1 else ''}" if lines else "no line positions were recorded"
    st.image(png, caption=f"{path.name}, page {page} ({marked})", width=PAGE_WIDTH_PX)


def highlighted_png(path: Path, location: PageLocation, page: int) -> tuple[bytes, HighlightedPage]:
    """PNG of ``page`` with the passage's boxes on it, cached: every rerun redraws every source."""
    boxes = tuple((b.x0, b.top, b.x1, b.bottom) for b in location.boxes_on(page))
    try:
        stat = path.stat()
    except OSError as exc:  # removed since it was cited
        raise PageRenderError(f"the file is not readable any more ({exc.strerror or exc})") from exc
    cache_key = (str(path), stat.st_size, stat.st_mtime_ns, page, boxes, location.page_width, location.page_height)
    with _png_lock:
        if cache_key in _PNG_CACHE:
            _PNG_CACHE.move_to_end(cache_key)
            return _PNG_CACHE[cache_key]
    shown = highlighted_page(path, page, boxes, (location.page_width, location.page_height))
    buffer = BytesIO()
    shown.image.save(buffer, format="PNG")
    rendered = (buffer.getvalue(), shown)
    with _png_lock:
        _PNG_CACHE[cache_key] = rendered
        while len(_PNG_CACHE) > _PNG_CACHED:
            _PNG_CACHE.popitem(last=False)
    return rendered


# -- other formats: the passage in its document -------------------------------------------------------
def _render_in_context(source: ScoredChunk, key: str) -> None:
    if not st.toggle("Show in the document", key=f"{key}-context"):
        return
    rag = _open_rag()
    neighbours = _neighbours(rag, source.chunk) if rag is not None else None
    if neighbours is None:
        st.caption("The document is not in the open index any more, so its surrounding text cannot be shown.")
        return
    # The answer's source may be the chunk widened to its neighbours for the model (rag.neighbours):
    # mark the stored chunk, as the index holds it.
    stored = next(c for c in neighbours if c.id == source.chunk.id)
    before, after = context_around(neighbours, stored)
    st.html(context_html(before, stored.text, after))


def context_around(chunks: Sequence[Chunk], cited: Chunk, chars: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The document's text in the ``chars`` before and after ``cited``, rebuilt from chunks of that document.

    Chunks are exact slices of the document (``text == document[start:end]``) and may overlap, so
    every known character is placed at its offset; gaps (whitespace the splitter dropped between
    chunks) read as one space.
    """
    lo, hi = max(0, cited.start - chars), cited.end + chars
    known: dict[int, str] = {}
    for chunk in chunks:
        if chunk.document_id != cited.document_id or chunk.end <= lo or chunk.start >= hi:
            continue
        for offset in range(max(chunk.start, lo), min(chunk.end, hi)):
            known.setdefault(offset, chunk.text[offset - chunk.start])
    return _span(known, lo, cited.start), _span(known, cited.end, hi)


def _span(known: dict[int, str], start: int, end: int) -> str:
    positions = [p for p in range(start, end) if p in known]
    if not positions:
        return ""
    pieces, previous = [], None
    for position in positions:
        if previous is not None and position != previous + 1:
            pieces.append(" ")
        pieces.append(known[position])
        previous = position
    return "".join(pieces)


def context_html(before: str, passage: str, after: str) -> str:
    """The passage marked inside its surrounding text; every piece of document text is escaped."""
    lead = "…" if before else ""
    tail = "…" if after else ""
    return ("<div class='pg-context' style='white-space:pre-wrap;font-size:0.9rem;line-height:1.5;"
            "max-height:24rem;overflow-y:auto;padding:0.5rem;border:1px solid #ddd;border-radius:0.4rem'>"
            f"<span style='color:#666'>{lead}{html.escape(before)}</span>"
            f"<mark class='pg-passage' style='background:#ffe08a;padding:0 2px'>{html.escape(passage)}</mark>"
            f"<span style='color:#666'>{html.escape(after)}{tail}</span></div>")


def _open_rag() -> RAG | None:
    from ui.index_panel import current_index_path  # here: index_panel draws the sidebar and imports much more
    from ui.resources import open_index

    try:
        return open_index(current_index_path())
    except Exception:  # noqa: BLE001 - the context is a convenience; the source itself is already shown
        log.exception("cannot open the index for a source's context")
        return None


def _neighbours(rag: RAG, cited: Chunk) -> list[Chunk] | None:
    """Chunks around ``cited`` in its document; ``None`` when the index no longer holds that chunk."""
    try:
        ids = sorted(rag.chunk_ids({"document_id": cited.document_id}))
    except Exception:  # noqa: BLE001 - an index of another kind or a closed one: no context, no crash
        log.exception("cannot list the chunks of %s", cited.document_id)
        return None
    if cited.id not in ids:
        return None
    at = ids.index(cited.id)
    chunks = rag.chunks(ids[max(0, at - _NEIGHBOURS): at + _NEIGHBOURS + 1])
    return chunks if any(c.id == cited.id for c in chunks) else None
