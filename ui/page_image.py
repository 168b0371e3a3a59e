"""A PDF page rendered to an image (pypdfium2) with the cited lines drawn as a translucent highlight.

Boxes arrive in PDF points with a top-left origin (``[page, x0, top, x1, bottom]``, see
``rag.PageLocation``); a pixel is ``point * (image size / page size)`` on each axis, so a page
rendered at any scale gets its boxes in the right place. Renders are cached per file version
(path, size, modification time) and page: redrawing the chat on every Streamlit rerun costs a dict
lookup, not a PDF parse. PDFium is not thread-safe and Streamlit runs sessions in threads, so every
PDFium call holds one lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

TARGET_WIDTH_PX = 1000  # a page this wide reads well in the chat column and stays sharp when zoomed
MAX_SIDE_PX = 2400  # a poster-sized page is rendered smaller rather than as a 50-megapixel image
HIGHLIGHT_FILL = (255, 200, 0, 96)  # translucent amber: the text under it stays readable
HIGHLIGHT_EDGE = (230, 120, 0, 255)
PAD_POINTS = 1.5  # a line box hugs the glyphs; a little air makes the mark easier to see
_CACHED_PAGES = 12  # each render is ~4 MB of pixels

_pdfium_lock = threading.Lock()
_cache: OrderedDict[tuple[str, int, int, int], tuple[Image.Image, float, float]] = OrderedDict()
_cache_lock = threading.Lock()


class PageRenderError(Exception):
    """The page cannot be shown (file gone, encrypted, damaged, no such page); the message says why."""


@dataclass(frozen=True)
class HighlightedPage:
    image: Image.Image
    page: int
    boxes_px: tuple[tuple[int, int, int, int], ...]  # drawn rectangles (left, top, right, bottom) in pixels
    page_width: float  # the page size in points the boxes were scaled from
    page_height: float


def render_scale(width_pt: float, height_pt: float) -> float:
    """Pixels per point: about ``TARGET_WIDTH_PX`` wide, never over ``MAX_SIDE_PX`` on a side."""
    scale = TARGET_WIDTH_PX / width_pt
    return min(scale, MAX_SIDE_PX / max(width_pt, height_pt))


def to_pixels(box: Iterable[float], sx: float, sy: float, size: tuple[int, int],
              pad: float = PAD_POINTS) -> tuple[int, int, int, int]:
    """``(x0, top, x1, bottom)`` in points (top-left origin) to a pixel rectangle clipped to the image."""
    x0, top, x1, bottom = box
    width, height = size
    left = min(max(round((x0 - pad) * sx), 0), width - 1)
    upper = min(max(round((top - pad) * sy), 0), height - 1)
    right = min(max(round((x1 + pad) * sx), 0), width - 1)
    lower = min(max(round((bottom + pad) * sy), 0), height - 1)
    return left, upper, right, lower


def page_image(path: Path, page: int) -> tuple[Image.Image, float, float]:
    """Page ``page`` (1-based) of the PDF as an RGB image, with the page's width and height in points."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise PageRenderError(f"the file is not readable any more ({exc.strerror or exc})") from exc
    key = (str(path), stat.st_size, stat.st_mtime_ns, page)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    rendered = _render(path, page)
    with _cache_lock:
        _cache[key] = rendered
        while len(_cache) > _CACHED_PAGES:
            _cache.popitem(last=False)
    return rendered


def highlighted_page(path: Path, page: int, boxes: Iterable[Iterable[float]],
                     page_size: tuple[float | None, float | None] = (None, None)) -> HighlightedPage:
    """The page with each ``(x0, top, x1, bottom)`` box (points, top-left origin) highlighted.

    ``page_size`` is the size in points the boxes were measured on (the reader's ``page_width`` /
    ``page_height``); PDFium's own page size is used when it is unknown.
    """
    base, width_pt, height_pt = page_image(path, page)
    width_pt = page_size[0] or width_pt
    height_pt = page_size[1] or height_pt
    sx, sy = base.width / width_pt, base.height / height_pt
    rects = tuple(to_pixels(box, sx, sy, base.size) for box in boxes)
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for rect in rects:
        draw.rectangle(rect, fill=HIGHLIGHT_FILL, outline=HIGHLIGHT_EDGE, width=2)
    image = Image.alpha_composite(base.convert("RGBA"), overlay).convert("RGB")
    return HighlightedPage(image, page, rects, width_pt, height_pt)


def _render(path: Path, page: int) -> tuple[Image.Image, float, float]:
    import pypdfium2 as pdfium  # imported on the first PDF source shown

    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            raise PageRenderError(f"the PDF cannot be opened ({exc})") from exc
        try:
            if not 1 <= page <= len(document):
                raise PageRenderError(f"the PDF has {len(document)} pages, not {page}")
            pdf_page = document[page - 1]
            try:
                width_pt, height_pt = pdf_page.get_size()
                bitmap = pdf_page.render(scale=render_scale(width_pt, height_pt))
                image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
                bitmap.close()
            finally:
                pdf_page.close()
        except pdfium.PdfiumError as exc:
            raise PageRenderError(f"page {page} cannot be rendered ({exc})") from exc
        finally:
            document.close()
    return image, float(width_pt), float(height_pt)
