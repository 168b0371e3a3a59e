"""Where a document's text sits on its pages: the span-to-box map a layout-aware reader hands the chunker.

A reader that knows positions (``connectors.formats.pdf``) puts one JSON value under
``document.metadata["layout"]``::

    {"lines": [[page, top, bottom, [[start, end, x0, x1], ...]], ...],  # one entry per text line
     "sizes": [[page, width, height], ...],
     "sections": [[start, "Heading > Subheading"], ...]}               # heading path in force from start

``start``/``end`` are character offsets into ``document.text`` of one word (or table cell) and
``x0``/``x1``/``top``/``bottom`` its box in PDF points with a top-left origin (pdfplumber's
convention). Words, not lines, carry offsets so a chunk that starts or ends inside a line gets a box
over exactly its own words.

The chunker calls ``chunk_layout`` once per chunk: the map is replaced by the chunk's own
``page`` (first page), ``pages``, ``boxes`` (``[page, x0, top, x1, bottom]``, one per line it
touches), ``page_width``/``page_height`` (of ``page``) and ``section`` (the heading path in force
where the chunk starts, else the first one inside it). So the map lives only on the
document on its way through the chunker, and every stored chunk carries a few small JSON values.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

LAYOUT_KEY = "layout"
OCR_LOW_CONFIDENCE = 0.8  # an OCR'd page whose mean line confidence is under this is listed in the ingest report


def chunk_layout(layout: Mapping[str, Any], start: int, end: int) -> dict[str, Any]:
    """The page, pages, boxes, page size and section of the text ``[start, end)`` under ``layout``."""
    boxes: list[list[float | int]] = []
    for page, top, bottom, words in layout.get("lines", ()):
        inside = [(x0, x1) for w_start, w_end, x0, x1 in words if w_start < end and w_end > start]
        if inside:
            boxes.append([int(page), round(min(x for x, _ in inside), 2), round(float(top), 2),
                          round(max(x for _, x in inside), 2), round(float(bottom), 2)])
    out: dict[str, Any] = {}
    if boxes:
        pages = sorted({int(box[0]) for box in boxes})
        out.update(page=pages[0], pages=pages, boxes=boxes)
        for page, width, height in layout.get("sizes", ()):
            if int(page) == pages[0]:
                out.update(page_width=round(float(width), 2), page_height=round(float(height), 2))
                break
    sections = layout.get("sections") or []
    starts = [int(s) for s, _ in sections]
    at = bisect_right(starts, start) - 1
    if at >= 0 and sections[at][1]:
        out["section"] = sections[at][1]
    elif at + 1 < len(sections) and starts[at + 1] < end and sections[at + 1][1]:
        out["section"] = sections[at + 1][1]  # no heading yet where the chunk starts: the first one inside it
    return out


def without_layout(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` minus the span-to-box map (for what is stored per document)."""
    return {key: value for key, value in metadata.items() if key != LAYOUT_KEY}
