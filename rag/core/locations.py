"""Where on a page a chunk's text sits, read from its metadata, for citations that open the page.

The PDF reader records, per chunk (the metadata contract of issue 16): ``page`` (1-based, the
chunk's first page), ``pages`` (every page it spans), ``boxes`` (one ``[page, x0, top, x1, bottom]``
per text line, in PDF points with a top-left origin, as pdfplumber measures them) and
``page_width`` / ``page_height`` in points. Metadata comes back from the chunk store as JSON
written by whatever ingested it, so it is read defensively: a malformed box is dropped, never
passed on to a front end that would draw it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from rag.core.types import Chunk


@dataclass(frozen=True)
class PageBox:
    """One line of cited text: its page and rectangle in PDF points, origin at the top-left corner."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float

    def as_list(self) -> list[float | int]:
        return [self.page, self.x0, self.top, self.x1, self.bottom]


@dataclass(frozen=True)
class PageLocation:
    """The file, page(s), page size and line boxes of one chunk; ``boxes`` may be empty (no layout known)."""

    source: str
    page: int
    pages: tuple[int, ...]
    boxes: tuple[PageBox, ...] = ()
    page_width: float | None = None
    page_height: float | None = None

    @property
    def link(self) -> str:
        """``file#page=N``: the fragment PDF viewers (browsers, Acrobat, pdf.js) open at that page."""
        return f"{self.source}#page={self.page}"

    def boxes_on(self, page: int) -> list[PageBox]:
        return [box for box in self.boxes if box.page == page]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "page": self.page, "pages": list(self.pages),
                "boxes": [box.as_list() for box in self.boxes], "page_width": self.page_width,
                "page_height": self.page_height, "link": self.link}


def page_location(chunk: Chunk) -> PageLocation | None:
    """The chunk's page location, or ``None`` when it carries no page (text, Markdown, HTML, ...)."""
    meta = chunk.metadata
    page = _page_number(meta.get("page"))
    if page is None:
        return None
    pages = tuple(p for p in (_page_number(v) for v in _list(meta.get("pages"))) if p is not None) or (page,)
    boxes = tuple(box for box in (_box(raw) for raw in _list(meta.get("boxes"))) if box is not None)
    source = str(meta.get("source") or chunk.document_id.split("#page=", 1)[0])
    return PageLocation(source=source, page=page, pages=pages, boxes=boxes,
                        page_width=_positive(meta.get("page_width")), page_height=_positive(meta.get("page_height")))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list | tuple) else []


def _page_number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value) if value >= 1 and int(value) == value else None


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _box(raw: Any) -> PageBox | None:
    if not isinstance(raw, list | tuple) or len(raw) != 5:
        return None
    page = _page_number(raw[0])
    coords = raw[1:]
    if page is None or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                               for v in coords):
        return None
    x0, top, x1, bottom = (float(v) for v in coords)
    if x1 <= x0 or bottom <= top or x0 < 0 or top < 0:
        return None
    return PageBox(page, x0, top, x1, bottom)
