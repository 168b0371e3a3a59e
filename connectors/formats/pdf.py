"""PDF: one document per page, keyed ``<path>#page=N`` with ``page`` = N (1-based) in its metadata.

Why per page: every chunk then carries its page without the chunker knowing about pages, and an edit
on one page re-embeds only that page. A PDF that loses pages: a full sync deletes the vanished page
ids because they are not seen again; every page also carries ``source`` = the file path, so a sync
can treat one file's pages as a group. (No page count in metadata: it would change every page's
content hash whenever one page is added.)
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from connectors.budget import TimeBudget, TimeBudgetExceeded
from connectors.formats.base import FileInfo, FormatError
from rag.core.types import Document, Skipped

SUFFIXES = (".pdf",)

# pypdf logs a warning per oddity in damaged files; the Skipped reason already tells the user
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    from pypdf import PdfReader  # imported on first PDF only
    from pypdf.errors import PyPdfError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise FormatError("not a PDF (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FormatError("encrypted PDF (needs a password)")
        pages = reader.pages
        count = len(pages)
        if count > info.options.max_pdf_pages:
            raise FormatError(f"{count} pages, over the {info.options.max_pdf_pages}-page limit")
        title = _title(reader) or info.path.stem
    except FormatError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        raise FormatError(f"corrupt PDF: {exc}") from exc
    yielded = timed_out = 0
    for number in range(1, count + 1):
        page_budget = TimeBudget(info.options.pdf_page_seconds, f"page {number}")
        try:
            with page_budget.running():
                text = (pages[number - 1].extract_text() or "").strip()
        except TimeBudgetExceeded as exc:
            timed_out += 1
            yield Skipped(f"{info.source}#page={number}", f"{exc}; its text was not read")
            continue
        except Exception as exc:  # noqa: BLE001 - one unreadable page must not lose the others
            yield Skipped(f"{info.source}#page={number}", f"cannot extract text from page {number}: {exc}")
            continue
        if not text:
            continue  # blank or scanned page: nothing to index, nothing to report per page
        yielded += 1
        yield info.document(text, "pdf", suffix=f"#page={number}", title=title, page=number)
    if not yielded and timed_out:
        raise FormatError(f"no text read: {timed_out} of {count} pages took longer than "
                          f"{info.options.pdf_page_seconds:g}s each")
    if not yielded:
        raise FormatError("no extractable text (scanned or image-only PDF?)")


def _title(reader: object) -> str | None:
    try:
        meta = reader.metadata  # type: ignore[attr-defined]
        title = meta.title if meta else None
    except Exception:  # noqa: BLE001 - a broken info dictionary only costs the title
        return None
    return str(title).strip() or None if title else None
