"""OCR for PDF pages without a text layer: the page rendered (pypdfium2) and read by RapidOCR (ONNX).

RapidOCR's detection and recognition models ship inside the ``rapidocr-onnxruntime`` wheel, so
nothing is downloaded. The engine loads once per process, on the first page that needs it. Each
recognised line becomes a segment whose words get boxes by their share of the line's characters,
so OCR text has boxes under the same contract as a text layer (PDF points, top-left origin).
"""

from __future__ import annotations

import threading
from typing import Any

from connectors.formats.pdf_page import PageContent, Word, segments_from_words

RENDER_SCALE = 2.5  # 180 dpi: body text ~25 px high, where RapidOCR's recogniser reads best
MIN_TEXT_CHARS = 10  # a page with fewer characters in its text layer is a candidate for OCR

_engine: Any = None
_lock = threading.Lock()


class OcrUnavailable(Exception):
    """``rapidocr-onnxruntime`` is not installed."""


def needs_ocr(page: Any) -> bool:
    """True for a pdfplumber page with (almost) no text layer but something drawn on it (a scan, vector text)."""
    if len(page.chars) >= MIN_TEXT_CHARS:
        return False
    return bool(page.images or page.curves or len(page.rects) > 20)


def ocr_page(document: Any, number: int) -> PageContent:
    """Page ``number`` (1-based) of a pypdfium2 ``document``, read by OCR; sets ``ocr_confidence``."""
    page = document[number - 1]
    try:
        width, height = page.get_size()
        image = page.render(scale=RENDER_SCALE).to_pil().convert("RGB")
    finally:
        page.close()
    lines, confidence = recognise(image, RENDER_SCALE)
    words = [word for line in lines for word in line]
    _even_sizes(words)
    content = PageContent(number, float(width), float(height), segments_from_words(words))
    content.ocr_confidence = confidence
    return content


def recognise(image: Any, scale: float = 1.0) -> tuple[list[list[Word]], float]:
    """The text lines RapidOCR reads in a PIL ``image`` (boxes in pixels / ``scale``) and their confidence.

    The confidence is the mean line score weighted by characters (0.0 when nothing was read).
    """
    import numpy as np

    image = image.convert("RGB")
    # pages are upright: the angle classifier only ever turns a clean line upside down
    result, _ = _load()(image, use_cls=False, return_word_box=True)
    gray = np.asarray(image.convert("L"))
    lines: list[list[Word]] = []
    weighted = characters = 0.0
    for item in result or ():
        quad, text, score = item[0], " ".join(str(item[1]).split()), float(item[2])
        if not text:
            continue
        xs = [float(p[0]) / scale for p in quad]
        ys = [float(p[1]) / scale for p in quad]
        line = _spaced_words(gray, quad, item[3], item[4], min(ys), max(ys), scale) if len(item) >= 5 else []
        lines.append(line or _line_words(text, min(xs), max(xs), min(ys), max(ys)))
        weighted += score * len(text)
        characters += len(text)
    return lines, round(weighted / characters, 4) if characters else 0.0


def _even_sizes(words: list[Word]) -> None:
    """One size for all ordinary lines: OCR boxes vary with ascenders and descenders, not with the font."""
    if not words:
        return
    median = sorted(word.size for word in words)[len(words) // 2]
    for word in words:
        if word.size < median * 1.4:  # only a clearly larger line (a title) keeps its own size
            word.size = median


def _spaced_words(gray: Any, quad: list[Any], boxes: list[Any], chars: list[str], top: float,
                  bottom: float, scale: float) -> list[Word]:
    """The line's words, with the spaces the recogniser dropped put back from the pixels.

    RapidOCR's recogniser (trained mostly on Chinese) often drops the spaces of English text
    ("Thecargoteamloaded"), which makes words unsearchable. Its per-character positions are too
    coarse to tell a word gap from a letter gap, so the gaps are measured on the image: runs of
    blank pixel columns inside the line wider than ``WORD_GAP`` of its height separate words; a space
    goes between the two characters whose centres lie either side of such a run.
    """
    import numpy as np

    x0, x1 = int(min(p[0] for p in quad)), int(max(p[0] for p in quad)) + 1
    y0, y1 = int(min(p[1] for p in quad)), int(max(p[1] for p in quad)) + 1
    height = y1 - y0
    inset = height // 6  # stay clear of the neighbouring lines' ascenders and descenders
    strip = gray[max(y0 + inset, 0):max(y1 - inset, y0 + inset + 1), max(x0, 0):x1]
    if strip.size == 0:
        return []
    inked = (strip < 128).any(axis=0)
    gaps, run_start = [], None
    for column, ink in enumerate(np.append(inked, True)):
        if not ink and run_start is None:
            run_start = column
        elif ink and run_start is not None:
            if column - run_start >= WORD_GAP * height and run_start > 0 and column < len(inked):
                gaps.append(x0 + (run_start + column) / 2)
            run_start = None
    glyphs = [(str(ch), (min(p[0] for p in box) + max(p[0] for p in box)) / 2, box)
              for ch, box in zip(chars, boxes, strict=False)]
    words: list[Word] = []
    size = (bottom - top) * 0.8
    current: list[tuple[str, Any]] = []
    for index, (char, center, box) in enumerate(glyphs):
        if not char.strip():
            if current:
                words.append(_word(current, top, bottom, size, scale))
            current = []
            continue
        if current and index > 0:
            before = glyphs[index - 1][1]
            if any(before < gap < center for gap in gaps):
                words.append(_word(current, top, bottom, size, scale))
                current = []
        current.append((char, box))
    if current:
        words.append(_word(current, top, bottom, size, scale))
    return words


WORD_GAP = 0.2  # share of the line height: a blank run this wide between letters is a space


def _word(glyphs: list[tuple[str, Any]], top: float, bottom: float, size: float, scale: float) -> Word:
    left = min(p[0] for p in glyphs[0][1]) / scale
    right = max(p[0] for p in glyphs[-1][1]) / scale
    return Word("".join(g[0] for g in glyphs), float(left), float(right), top, bottom, size)


def _line_words(text: str, x0: float, x1: float, top: float, bottom: float) -> list[Word]:
    """The words of one OCR line, each with the share of the line's width its characters take."""
    per_char = (x1 - x0) / max(len(text), 1)
    size = (bottom - top) * 0.8  # a line box is about 1.25 times the font size
    words, position = [], 0
    for token in text.split(" "):
        start = x0 + position * per_char
        words.append(Word(token, start, start + len(token) * per_char, top, bottom, size))
        position += len(token) + 1
    return words


def _load() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise OcrUnavailable("OCR needs rapidocr-onnxruntime: pip install 'ragloom[pdf]'") from exc
            _engine = RapidOCR()
        return _engine
