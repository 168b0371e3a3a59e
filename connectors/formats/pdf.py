"""PDF: one document per page, laid out for reading, keyed ``<path>#page=N`` with ``page`` = N (1-based).

Why per page: an edit on one page re-embeds only that page, and a full sync deletes the ids of
pages that vanished. Every page carries ``source`` = the file path, so a sync can treat one file's
pages as a group. (No page count in metadata: it would change every page's content hash whenever
one page is added.)

Each page is read with pdfplumber (``pdf_page``): words with their boxes, fonts and sizes, and
ruled tables. Running headers, footers and page numbers are removed by comparing a few pages
around each page (``pdf_running``); the rest is put in reading order across columns and rendered
as Markdown, headings and tables included (``pdf_layout``). A page with no text layer goes through
OCR (``pdf_ocr``) unless ``ocr`` is off. The document's metadata carries the span-to-box map
(``rag.core.layout``) that the chunker turns into each chunk's page, boxes and section.

Pages are read one at a time and released (only a window of a few pages waits for the running-
header check), so a 500-page file never has 500 pages of layout in memory. A page that cannot be
read is reported as ``Skipped`` and the others are still read. A file no parser can open (cut short
by an interrupted download) is rebuilt from its surviving objects (``pdf_salvage``): the pages
before the damage are read as usual and each lost page is reported as ``Skipped`` by number.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import Any

from connectors.budget import TimeBudget, TimeBudgetExceeded
from connectors.formats.base import FileInfo, FormatError
from connectors.formats.pdf_layout import Sections, render
from connectors.formats.pdf_ocr import OcrUnavailable, needs_ocr, ocr_page
from connectors.formats.pdf_page import PageContent, StreamTooLarge, check_streams, read_page
from connectors.formats.pdf_running import strip_running
from connectors.formats.pdf_salvage import Salvaged, looks_like_text, salvage, substitute_fonts
from rag.core.layout import LAYOUT_KEY
from rag.core.types import Document, Skipped

SUFFIXES = (".pdf",)
PROGRESS_MIN_PAGES = 20  # files this long get a per-page progress bar (on a terminal)
OCR_BUDGET_FACTOR = 8  # an OCR'd page may take this many times the page time budget (2 min by default)

# pdfminer logs a warning per oddity in damaged files; the Skipped reason already tells the user
for _name in ("pdfminer", "pdfplumber", "pypdf"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    try:
        import pdfplumber  # imported on first PDF only
    except ImportError as exc:
        raise FormatError("reading PDFs needs pdfplumber: pip install 'ragloom[pdf]'") from exc
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise FormatError("not a PDF (no %PDF header)")
    salvaged: Salvaged | None = None
    pdf = None
    try:
        try:
            pdf = pdfplumber.open(io.BytesIO(data))
            count = len(pdf.pages)
            title = _title(pdf) or info.path.stem
            # pdfminer's own repair of a broken cross-reference table drops lost pages silently,
            # which would shift the numbers of the pages after them
            damaged = "pages missing from the page tree" if _lost_pages_hidden(pdf, count) else ""
        except Exception as exc:  # noqa: BLE001 - pdfminer raises many types for damaged files
            damaged = _open_error(exc)
            if damaged.startswith("encrypted"):
                raise FormatError(damaged) from exc
            _close(pdf)
            pdf = None
        if damaged:
            salvaged = salvage(data)
            if pdf is None and salvaged is None:
                raise FormatError(f"{damaged}; no page could be recovered")
            if salvaged is not None and (pdf is None or salvaged.missing or len(salvaged.numbers) > count):
                _close(pdf)
                pdf = _open_salvaged(pdfplumber, salvaged)
                if pdf is None:
                    raise FormatError(f"{damaged}; no page could be recovered")
                data, count, title = salvaged.data, len(salvaged.numbers), info.path.stem
            else:
                salvaged = None  # pdfminer's own repair read at least as much
        if count > info.options.max_pdf_pages:
            raise FormatError(f"{count} pages, over the {info.options.max_pdf_pages}-page limit")
        if salvaged is not None:
            yield from _lost_pages(info, salvaged)
        yield from _documents(info, data, pdf, count, title, salvaged)
    finally:
        _close(pdf)


def _open_salvaged(pdfplumber: Any, salvaged: Salvaged) -> Any:
    """The rebuilt file opened, without the pages whose dictionaries pdfminer cannot take; None if none is left."""

    def opens(data: bytes) -> Any:
        pdf = None
        try:
            pdf = pdfplumber.open(io.BytesIO(data))
            if len(pdf.pages) == len(salvaged.numbers):
                return pdf
        except Exception:  # noqa: BLE001 - any parser error: this rebuild does not open
            pass
        _close(pdf)
        return None

    pdf = opens(salvaged.data)
    if pdf is None and salvaged.drop_pages(lambda one: _opens_one(pdfplumber, one)):
        pdf = opens(salvaged.data)
    return pdf


def _opens_one(pdfplumber: Any, data: bytes) -> bool:
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages) == 1
    except Exception:  # noqa: BLE001 - the page's dictionary is beyond repair
        return False


def _close(pdf: Any) -> None:
    if pdf is not None:
        with contextlib.suppress(Exception):  # a page tree that cannot be walked has nothing to release
            pdf.close()


def _declared_pages(pdf: Any) -> int:
    from pdfminer.pdftypes import resolve1

    try:
        return int(resolve1(resolve1(pdf.doc.catalog["Pages"])["Count"]))
    except Exception:  # noqa: BLE001 - no readable count: nothing to compare
        return 0


def _lost_pages_hidden(pdf: Any, count: int) -> bool:
    """The page tree promises more pages than pdfminer found (and the file is not encrypted)."""
    return getattr(pdf.doc, "encryption", None) is None and _declared_pages(pdf) > count


def _lost_pages(info: FileInfo, salvaged: Salvaged) -> Iterator[Skipped]:
    """One ``Skipped`` per page of a damaged file that did not survive (the ingest report's lines)."""
    for number in salvaged.missing:
        yield Skipped(f"{info.source}#page={number}",
                      f"page {number} could not be read: the file is truncated or damaged there")
    if salvaged.lost_tail:
        yield Skipped(info.source, f"the file is truncated or damaged and its page list is lost: "
                                   f"{len(salvaged.numbers)} pages were recovered, any later pages are missing")


def _documents(info: FileInfo, data: bytes, pdf: Any, count: int, title: str,
               salvaged: Salvaged | None = None) -> Iterator[Document | Skipped]:
    problems: list[Skipped] = []
    stats = {"timed_out": 0, "yielded": 0}
    sections = Sections()
    for content in strip_running(_pages(info, data, pdf, count, problems, stats, salvaged)):
        yield from problems
        problems.clear()
        section = sections.path or None
        text, layout = render(content, sections)
        if not text.strip():
            continue  # a blank page: nothing to index, nothing to report
        stats["yielded"] += 1
        confidence = content.ocr_confidence
        yield info.document(text, "pdf", suffix=f"#page={content.number}", title=title, page=content.number,
                            section=section, ocr=True if confidence is not None else None,
                            ocr_confidence=confidence, recovered=True if salvaged is not None else None,
                            **{LAYOUT_KEY: layout})
    yield from problems
    if not stats["yielded"] and stats["timed_out"]:
        raise FormatError(f"no text read: {stats['timed_out']} of {count} pages took longer than "
                          f"{info.options.pdf_page_seconds:g}s each")
    if not stats["yielded"]:
        hint = "" if info.options.ocr else "; OCR is off"
        raise FormatError(f"no extractable text (scanned or image-only PDF?{hint})")


def _pages(info: FileInfo, data: bytes, pdf: Any, count: int, problems: list[Skipped],
           stats: dict[str, int], salvaged: Salvaged | None = None) -> Iterator[PageContent]:
    """Each readable page's content, in order; unreadable pages go to ``problems``.

    In a salvaged file, page ``position`` of ``pdf`` is page ``salvaged.numbers[position - 1]`` of the original.
    """
    from tqdm import tqdm

    rendered: list[Any] = []  # the pypdfium2 document, opened on the first page that needs OCR
    seconds = info.options.pdf_page_seconds
    bar = tqdm(total=count, desc=info.path.name[:40], unit=" page", leave=False, dynamic_ncols=True,
               disable=None if count >= PROGRESS_MIN_PAGES else True)
    try:
        for position in range(1, count + 1):
            number = salvaged.numbers[position - 1] if salvaged is not None else position
            source = f"{info.source}#page={number}"
            page = None
            try:
                page = pdf.pages[position - 1]
                damaged = check_streams(page)  # before anything makes pdfminer inflate them
                substituted = salvaged is not None and substitute_fonts(page)
                if info.options.ocr and needs_ocr(page):
                    with TimeBudget(seconds * OCR_BUDGET_FACTOR if seconds else seconds,
                                    f"OCR of page {number}").running():
                        content = ocr_page(_pdfium(data, rendered), position)
                        content.number = number
                else:
                    with TimeBudget(seconds, f"page {number}").running():
                        content = read_page(page, number)
                    if substituted and not looks_like_text(" ".join(s.text for s in content.segments)):
                        problems.append(Skipped(source, f"page {number} could not be read: its fonts were "
                                                        "lost with the damaged part of the file"))
                        continue
                if damaged:
                    problems.append(Skipped(source, _damaged_page(number, content)))
                    if not content.segments and not content.tables:
                        continue
            except TimeBudgetExceeded as exc:
                stats["timed_out"] += 1
                problems.append(Skipped(source, f"{exc}; its text was not read"))
                continue
            except StreamTooLarge as exc:
                problems.append(Skipped(source, f"page {number}: {exc}"))
                continue
            except OcrUnavailable as exc:
                problems.append(Skipped(source, f"page {number} has no text layer and {exc}"))
                continue
            except Exception as exc:  # noqa: BLE001 - one unreadable page must not lose the others
                problems.append(Skipped(source, f"cannot extract text from page {number}: {str(exc)[:200]}"))
                continue
            finally:
                if page is not None:
                    page.close()  # drop the page's parsed objects: memory stays flat over long files
                bar.update(1)
            yield content
    finally:
        bar.close()
        for document in rendered:
            document.close()


def _damaged_page(number: int, content: PageContent) -> str:
    if not content.segments and not content.tables:
        return f"page {number} could not be read: its content stream is damaged"
    return f"page {number} is damaged: the text before the damage was read, the rest of the page was not"


def _pdfium(data: bytes, opened: list[Any]) -> Any:
    if not opened:
        import pypdfium2

        opened.append(pypdfium2.PdfDocument(data))
    return opened[0]


def _open_error(exc: BaseException) -> str:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, PDFPasswordIncorrect):
            return "encrypted PDF (needs a password)"
        if isinstance(cause, PDFEncryptionError):
            return f"encrypted PDF ({cause or 'unsupported encryption'})"
        cause = cause.__cause__ or (cause.args[0] if cause.args and isinstance(cause.args[0], BaseException)
                                    else None)
    return f"corrupt PDF: {type(exc).__name__}: {str(exc)[:200]}"


def _title(pdf: Any) -> str | None:
    try:
        title = (pdf.metadata or {}).get("Title")
    except Exception:  # noqa: BLE001 - a broken info dictionary only costs the title
        return None
    if isinstance(title, bytes):
        title = title.decode("utf-8", "replace")
    return str(title).strip() or None if isinstance(title, str) else None
