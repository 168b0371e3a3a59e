"""A page's segments and tables in reading order, rendered as Markdown text with its span-to-box map.

Reading order: a column gutter is an x-interval that several lines have a gap across. Rows are
read top to bottom; a run of rows that no line crosses a gutter is a multi-column band, read column
by column; a row that crosses it (a full-width title, paragraph or table) closes the band and is
read on its own. Within a column, consecutive lines form a paragraph until the vertical gap grows
(a blank line) or the style changes (a heading). A line that ends in a hyphen before a lowercase
word is joined without it. A line notably larger than the page's body text, or bold where the body
is not, is a heading: rendered as ``#``..``###`` and tracked as the section path. Tables become
Markdown tables (cut into parts of at most ``TABLE_PART_CHARS``, each with the header, so a chunk
never holds half a row and every part says what its columns are).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from connectors.formats.pdf_page import PageContent, Segment, Table

HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
HEADING_MAX_WORDS = 16
GUTTER_MIN_ROWS = 3  # rows that must share a gap before it counts as a column gutter
TABLE_PART_CHARS = 600  # about 200 tokens of table text: one chunk at the default size

Item = Segment | Table


@dataclass
class Sections:
    """The heading path in force, carried from page to page."""

    stack: list[tuple[int, str]] = field(default_factory=list)

    def enter(self, level: int, text: str) -> str:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))
        return self.path

    @property
    def path(self) -> str:
        return " > ".join(text for _, text in self.stack)


class _Builder:
    """Text under construction, with the offsets of every word it places (the layout map)."""

    def __init__(self, page: PageContent) -> None:
        self.page = page
        self.parts: list[str] = []
        self.length = 0
        self.lines: list[list[Any]] = []
        self.sections: list[list[Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def line(self, top: float, bottom: float) -> list[Any]:
        entry: list[Any] = [self.page.number, round(top, 2), round(bottom, 2), []]
        self.lines.append(entry)
        return entry

    def word(self, line: list[Any], text: str, x0: float, x1: float) -> None:
        start = self.length
        self.add(text)
        line[3].append([start, self.length, round(x0, 2), round(x1, 2)])

    def block_break(self) -> None:
        if self.length:
            self.add("\n\n")


def render(page: PageContent, sections: Sections) -> tuple[str, dict[str, Any]]:
    """The page's text (Markdown) and its layout map (``rag.core.layout``); ``sections`` is updated."""
    builder = _Builder(page)
    builder.sections.append([0, sections.path])
    body_size, body_bold = _body_style(page.segments)
    previous: Segment | None = None
    previous_column: tuple[int, int] | None = None
    paragraph: list[Segment] = []

    def flush() -> None:
        level = _heading_level(paragraph[0], body_size, body_bold) if paragraph else 0
        _flush(builder, paragraph, sections, level)
        paragraph.clear()

    for item, column in reading_order(page):
        if isinstance(item, Table):
            flush()
            _table(builder, item)
            previous = None
            continue
        level = _heading_level(item, body_size, body_bold)
        in_heading = bool(paragraph) and _heading_level(paragraph[0], body_size, body_bold) > 0
        if level:
            wraps = (in_heading and paragraph[-1] is previous and previous is not None and column == previous_column
                     and _heading_level(previous, body_size, body_bold) == level
                     and item.top - previous.bottom < item.size)
            if not wraps:  # a heading that does not wrap onto this line ends what came before
                flush()
        elif in_heading or (paragraph and not _continues(previous, item, column == previous_column)):
            flush()
        paragraph.append(item)
        previous, previous_column = item, column
    flush()
    layout = {"lines": [line for line in builder.lines if line[3]],
              "sizes": [[page.number, round(page.width, 2), round(page.height, 2)]],
              "sections": builder.sections}
    return "".join(builder.parts), layout


def reading_order(page: PageContent) -> list[tuple[Item, tuple[int, int]]]:
    """Segments and tables in reading order, each with its (band, column)."""
    rows = _rows(page.segments)
    gutters = _gutters(rows)
    timeline: list[tuple[float, list[Item]]] = [(min(s.top for s in row), list(row)) for row in rows]
    timeline += [(table.top, [table]) for table in page.tables]
    timeline.sort(key=lambda entry: entry[0])
    out: list[tuple[Item, tuple[int, int]]] = []
    band: dict[int, list[Item]] = {}
    band_number = 0

    def flush() -> None:
        nonlocal band_number
        for column in sorted(band):
            out.extend((item, (band_number, column)) for item in sorted(band[column], key=lambda i: i.top))
        band.clear()
        band_number += 1

    for _, items in timeline:
        if any(_crosses(item, gutters) for item in items):
            flush()
            out.extend((item, (band_number, 0)) for item in sorted(items, key=lambda i: i.x0))
            band_number += 1
            continue
        for item in items:
            column = sum(1 for low, _ in gutters if (item.x0 + item.x1) / 2 > low)
            band.setdefault(column, []).append(item)
    flush()
    return out


def _rows(segments: list[Segment]) -> list[list[Segment]]:
    rows: list[list[Segment]] = []
    for segment in sorted(segments, key=lambda s: s.top):
        middle = (segment.top + segment.bottom) / 2
        if rows and any(abs(middle - (s.top + s.bottom) / 2) <= 0.4 * (s.bottom - s.top) for s in rows[-1]):
            rows[-1].append(segment)
        else:
            rows.append([segment])
    return rows


def _gutters(rows: list[list[Segment]]) -> list[tuple[float, float]]:
    """x-intervals that at least ``GUTTER_MIN_ROWS`` rows have a gap across (their common part)."""
    gaps = []
    for row in rows:
        ordered = sorted(row, key=lambda s: s.x0)
        gaps += [(a.x1, b.x0) for a, b in zip(ordered, ordered[1:], strict=False) if b.x0 > a.x1]
    clusters: list[list[float]] = []  # [low, high, count]
    for low, high in sorted(gaps, key=lambda g: (g[0] + g[1]) / 2):
        for cluster in clusters:
            if low < cluster[1] and high > cluster[0]:
                cluster[0], cluster[1], cluster[2] = max(cluster[0], low), min(cluster[1], high), cluster[2] + 1
                break
        else:
            clusters.append([low, high, 1])
    return sorted((low, high) for low, high, count in clusters if count >= GUTTER_MIN_ROWS)


def _crosses(item: Item, gutters: list[tuple[float, float]]) -> bool:
    return any(item.x0 < low - 1.0 and item.x1 > high + 1.0 for low, high in gutters)


def _body_style(segments: list[Segment]) -> tuple[float, bool]:
    """The size and boldness of most of the page's text (weighted by characters)."""
    sizes: list[float] = []
    bold = 0
    for segment in segments:
        for word in segment.words:
            sizes.extend([word.size] * len(word.text))
            bold += len(word.text) if word.bold else 0
    if not sizes:
        return 0.0, False
    return statistics.median(sizes), bold > len(sizes) / 2


def _heading_level(segment: Segment, body_size: float, body_bold: bool) -> int:
    if not body_size or len(segment.words) > HEADING_MAX_WORDS or not any(c.isalpha() for c in segment.text):
        return 0
    ratio = segment.size / body_size
    if ratio >= 1.5:
        return 1
    if ratio >= HEADING_RATIO:
        return 2
    if segment.bold and not body_bold and ratio > 0.95 and not segment.text.rstrip().endswith((".", ",", ";")):
        return 3
    return 0


def _continues(previous: Segment | None, segment: Segment, same_column: bool) -> bool:
    """Whether ``segment`` goes on with the paragraph that ``previous`` ended."""
    if previous is None:
        return False
    if not same_column:  # a paragraph that flows into the next column: no full stop, lowercase start
        return not previous.text.rstrip().endswith((".", "!", "?", ":")) and segment.text[:1].islower()
    gap = segment.top - previous.bottom
    height = max(previous.bottom - previous.top, 1.0)
    return -height < gap <= 0.6 * height and abs(segment.size - previous.size) < 0.5


def _flush(builder: _Builder, paragraph: list[Segment], sections: Sections | None = None, level: int = 0) -> None:
    """Write one paragraph (or, with ``sections`` and ``level``, a heading) to ``builder``."""
    if not paragraph:
        return
    builder.block_break()
    if sections is not None and level:
        text = " ".join(s.text for s in paragraph)
        builder.sections.append([builder.length, sections.enter(level, text)])
        builder.add("#" * level + " ")
    words = [(segment, word) for segment in paragraph for word in segment.words]
    line: list[Any] | None = None
    current: Segment | None = None
    for index, (segment, word) in enumerate(words):
        text, joined = word.text, False
        if segment is not current:
            line, current = builder.line(segment.top, segment.bottom), segment
        following = words[index + 1] if index + 1 < len(words) else None
        if (following is not None and following[0] is not segment and len(text) > 2 and text.endswith("-")
                and text[-2].isalpha() and following[1].text[:1].islower()):
            text, joined = text[:-1], True  # a word hyphenated at the line end: join its halves
        assert line is not None
        builder.word(line, text, word.x0, word.x1)
        if following is not None and not joined:
            builder.add(" ")


def _table(builder: _Builder, table: Table) -> None:
    """Write ``table`` as one or more Markdown tables, each under the header, never cutting a row."""
    def row_chars(cells: list[Any]) -> int:
        return sum(len(c.text) + 3 for c in cells) + 2

    header_chars = 2 * row_chars(table.header)
    parts: list[list[list[Any]]] = [[]]
    size = header_chars
    for row in table.rows:
        if parts[-1] and size + row_chars(row) > TABLE_PART_CHARS:
            parts.append([])
            size = header_chars
        parts[-1].append(row)
        size += row_chars(row)
    for rows in parts:
        builder.block_break()
        _table_row(builder, table.header)
        builder.add("\n|" + " --- |" * len(table.header))
        for row in rows:
            builder.add("\n")
            _table_row(builder, row)


def _table_row(builder: _Builder, cells: list[Any]) -> None:
    line = builder.line(min(c.top for c in cells), max(c.bottom for c in cells))
    builder.add("|")
    for cell in cells:
        builder.add(" ")
        if cell.text:
            builder.word(line, cell.text, cell.x0, cell.x1)
        builder.add(" |")
