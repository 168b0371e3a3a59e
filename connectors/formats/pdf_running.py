"""Running headers, footers and page numbers: lines in a page's margin that repeat across pages.

A line counts as running when it sits in the top or bottom ``MARGIN`` of the page and a line with
the same text (digits ignored, so "Page 3" matches "Page 4") sits at about the same height on
another page near it, or when it is a bare page number ("7", "Page 7 of 90", "- 7 -", "vii").
Pages are compared within a window of ``WINDOW`` pages before and after, so a reader streaming a
500-page file holds only a few pages at a time.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator

from connectors.formats.pdf_page import PageContent, Segment

MARGIN = 0.12  # share of the page height at the top and at the bottom where running lines live
WINDOW = 3  # pages compared on each side
POSITION_TOLERANCE = 6.0  # points: the same running line sits at about the same height on each page

_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.|seite|pág(?:ina)?)?\s*[-–—(\[]?\s*(?:\d{1,5}|[ivxlcdm]{1,7})\s*[-–—)\]]?"
    r"(?:\s*(?:/|of|von|de)\s*\d{1,5})?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")

Key = tuple[str, float]  # (text with digits as '#', height on the page)


def strip_running(pages: Iterable[PageContent]) -> Iterator[PageContent]:
    """``pages`` in order with running headers, footers and page numbers removed from each."""
    behind: deque[list[Key]] = deque(maxlen=WINDOW)
    ahead: deque[tuple[PageContent, list[Key]]] = deque()
    for page in pages:
        ahead.append((page, _margin_keys(page)))
        if len(ahead) > WINDOW:
            yield _emit(ahead, behind)
    while ahead:
        yield _emit(ahead, behind)


def _emit(ahead: deque[tuple[PageContent, list[Key]]], behind: deque[list[Key]]) -> PageContent:
    page, keys = ahead.popleft()
    others = [*behind, *(k for _, k in ahead)]
    behind.append(keys)
    page.segments = [s for s in page.segments if not _running(s, page, others)]
    return page


def _in_margin(segment: Segment, page: PageContent) -> bool:
    return segment.bottom < page.height * MARGIN or segment.top > page.height * (1 - MARGIN)


def _key(segment: Segment) -> Key:
    return _DIGITS.sub("#", segment.text.casefold()), segment.top


def _margin_keys(page: PageContent) -> list[Key]:
    return [_key(s) for s in page.segments if _in_margin(s, page)]


def _running(segment: Segment, page: PageContent, others: list[list[Key]]) -> bool:
    if not _in_margin(segment, page):
        return False
    if _PAGE_NUMBER.match(segment.text.strip()):
        return True
    text, top = _key(segment)
    return any(any(t == text and abs(y - top) <= POSITION_TOLERANCE for t, y in keys) for keys in others)
