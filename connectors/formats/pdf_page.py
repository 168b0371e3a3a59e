"""One PDF page as positioned pieces: words grouped into line segments, and ruled tables (pdfplumber).

What the page reader (``read_page``) keeps is small and plain (no pdfplumber objects), so a few
pages can wait in memory while running headers are detected across them (``pdf_running``) and the
page is then laid out in reading order (``pdf_layout``). Coordinates are PDF points from the page's
top-left corner, as pdfplumber gives them.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import Any

MAX_STREAM_BYTES = 75 * 2**20  # a page stream inflating past this is not read (pypdf's cap; pdfminer has none)
# A page's drawing instructions past this are not laid out: pdfminer keeps ~3 KB of objects per drawn
# character, so 9 MB of tiny strings took 1.7 GB. A dense text page holds well under 0.5 MB.
MAX_LAYOUT_BYTES = 4 * 2**20
MIN_SEGMENT_GAP = 6.0  # points: a horizontal gap wider than this (and than ~1 em) splits a line into segments
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool = False


@dataclass
class Segment:
    """Words on one line with no wide gap between them (a line of one column, a heading, a page number)."""

    words: list[Word]

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return max(word.x1 for word in self.words)

    @property
    def top(self) -> float:
        return min(word.top for word in self.words)

    @property
    def bottom(self) -> float:
        return max(word.bottom for word in self.words)

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def size(self) -> float:
        return statistics.median(word.size for word in self.words)

    @property
    def bold(self) -> bool:
        return all(word.bold for word in self.words)


@dataclass
class Cell:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class Table:
    """A table as Markdown-ready rows: one header (merged header cells joined) and body rows of cells."""

    header: list[Cell]
    rows: list[list[Cell]]
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class PageContent:
    number: int  # 1-based
    width: float
    height: float
    segments: list[Segment]
    tables: list[Table] = field(default_factory=list)
    ocr_confidence: float | None = None  # set when the text came from OCR


class StreamTooLarge(Exception):
    """A page's content would inflate past ``MAX_STREAM_BYTES`` (a decompression bomb)."""


def check_streams(page: Any) -> bool:
    """Refuse a pdfplumber ``page`` whose content or form streams inflate past ``MAX_STREAM_BYTES``.

    pdfminer inflates a stream whole, in memory; a few hundred KB of zeros can inflate to gigabytes.
    Inflating with a bound first costs one extra pass over ordinary (small) page streams. Returns
    whether a compressed stream is damaged (pdfminer then reads only what inflates before the damage).
    """
    import zlib

    from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1

    page_object = page.page_obj
    streams = list(page_object.contents or [])
    xobjects = resolve1((page_object.resources or {}).get("XObject")) or {}
    if isinstance(xobjects, dict):
        for reference in xobjects.values():
            form = resolve1(reference)
            if isinstance(form, PDFStream) and getattr(resolve1(form.get("Subtype")), "name", "") == "Form":
                streams.append(form)
    damaged, total = False, 0
    for stream in streams:
        stream = resolve1(stream)
        if not isinstance(stream, PDFStream) or stream.rawdata is None:
            continue
        filters = stream.get_filters()
        if not filters:
            total += len(stream.rawdata)
        if not filters or filters[0][0] not in LITERALS_FLATE_DECODE:
            _refuse_past_layout_cap(total)
            continue
        data = stream.rawdata
        if stream.decipher and stream.objid is not None and stream.genno is not None:
            data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data, MAX_STREAM_BYTES + 1)
        except zlib.error:
            damaged = True  # pdfminer has its own recovery for damaged streams
            continue
        if len(inflated) > MAX_STREAM_BYTES:
            raise StreamTooLarge(f"a content stream inflates past {MAX_STREAM_BYTES // 2**20} MB; not read")
        total += len(inflated)
        _refuse_past_layout_cap(total)
        damaged = damaged or not inflater.eof  # cut short
    return damaged


def _refuse_past_layout_cap(total: int) -> None:
    if total > MAX_LAYOUT_BYTES:
        raise StreamTooLarge(f"its drawing instructions take {total / 2**20:.0f} MB (over {MAX_LAYOUT_BYTES // 2**20} "
                             "MB; a page of text takes well under 1 MB), so it was not laid out")


def read_page(page: Any, number: int) -> PageContent:
    """The words and tables of a pdfplumber ``page``; words inside a table belong to the table only."""
    check_streams(page)
    tables = [table for table in (_table(found) for found in page.find_tables()) if table is not None]
    words = []
    for raw in page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False):
        if not raw.get("upright", True):
            continue  # rotated text (a stamp, a vertical margin note) is not body text
        word = Word(raw["text"], float(raw["x0"]), float(raw["x1"]), float(raw["top"]), float(raw["bottom"]),
                    float(raw.get("size") or raw["bottom"] - raw["top"]), bool(_BOLD.search(raw.get("fontname", ""))))
        middle_x, middle_y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        if not any(t.x0 <= middle_x <= t.x1 and t.top <= middle_y <= t.bottom for t in tables):
            words.append(word)
    return PageContent(number, float(page.width), float(page.height), segments_from_words(words), tables)


def segments_from_words(words: list[Word]) -> list[Segment]:
    """Words grouped into lines (by vertical overlap), each line cut at wide gaps, sorted top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        middle = (word.top + word.bottom) / 2
        for row in reversed(rows[-4:]):  # interleaved columns: the row may not be the last one opened
            first = row[0]
            if abs(middle - (first.top + first.bottom) / 2) <= 0.4 * max(first.bottom - first.top, 1.0):
                row.append(word)
                break
        else:
            rows.append([word])
    segments: list[Segment] = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        current = [row[0]]
        for word in row[1:]:
            gap = word.x0 - current[-1].x1
            if gap > max(MIN_SEGMENT_GAP, 0.9 * max(word.size, current[-1].size)):
                segments.append(Segment(current))
                current = [word]
            else:
                current.append(word)
        segments.append(Segment(current))
    segments.sort(key=lambda s: (round(s.top, 1), s.x0))
    return segments


def _table(found: Any) -> Table | None:
    """A pdfplumber table as header + body cells; merged cells fill every position they cover."""
    grid = found.extract()
    rows = found.rows
    if len(grid) < 2 or max((len(r) for r in grid), default=0) < 2:
        return None  # a framed paragraph, not a table
    cells: list[tuple[str, tuple[float, float, float, float]]] = []  # every real cell: text, bbox
    for values, row in zip(grid, rows, strict=False):
        for value, bbox in zip(values, row.cells, strict=False):
            if value is not None and bbox is not None:
                cells.append((_clean(value), tuple(float(v) for v in bbox)))  # type: ignore[misc]
    columns = len(grid[0])
    centers_x = _column_centers(rows, columns)
    table_rows: list[list[Cell]] = []
    for row in rows:
        x0, top, x1, bottom = (float(v) for v in row.bbox)
        middle_y = (top + bottom) / 2
        out = []
        for middle_x in centers_x:
            covering = next(((text, box) for text, box in cells
                             if box[0] <= middle_x <= box[2] and box[1] <= middle_y <= box[3]), ("", None))
            text, box = covering
            out.append(Cell(text, *(box or (middle_x, top, middle_x, bottom))))
        table_rows.append(out)
    header_rows = _header_rows(grid, rows)
    header = []
    for column in range(columns):
        parts: list[str] = []
        for row in table_rows[:header_rows]:
            text = row[column].text
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        first = table_rows[0][column]
        last = table_rows[header_rows - 1][column]
        header.append(Cell(" ".join(parts), first.x0, first.top, first.x1, last.bottom))
    x0, top, x1, bottom = (float(v) for v in found.bbox)
    return Table(header, table_rows[header_rows:], x0, top, x1, bottom)


def _column_centers(rows: list[Any], columns: int) -> list[float]:
    """The x centre of each grid column, from the row with the most real (unmerged) cells."""
    best = max(rows, key=lambda r: sum(c is not None for c in r.cells))
    centers = []
    for index in range(columns):
        bbox = best.cells[index] if index < len(best.cells) else None
        if bbox is not None:
            centers.append((float(bbox[0]) + float(bbox[2])) / 2)
        else:
            centers.append(centers[-1] + 1.0 if centers else float(best.bbox[0]) + 1.0)
    return centers


def _header_rows(grid: list[list[str | None]], rows: list[Any]) -> int:
    """How many rows the header takes: those under the tallest first-row cell, or two for a group header."""
    first_bottom = max(float(bbox[3]) for bbox in rows[0].cells if bbox is not None)
    count = sum(1 for row in rows if float(row.bbox[1]) < first_bottom - 1.0)
    if count == 1 and len(grid) > 2:
        values = grid[0]
        grouped = any(values[i] is None and any(v is not None for v in values[:i]) for i in range(1, len(values)))
        count = 2 if grouped else 1
    return max(1, min(count, len(grid) - 1))


def _clean(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")
