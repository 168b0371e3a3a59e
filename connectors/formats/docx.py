"""Word .docx: paragraphs and tables in document order as one document; title from core properties."""

from __future__ import annotations

import io
from collections.abc import Iterator

from connectors.formats.base import FileInfo, FormatError
from connectors.formats.zipguard import check_zip
from rag.core.types import Document, Skipped

SUFFIXES = (".docx",)


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    import docx  # python-docx, imported on first .docx only
    from docx.table import Table

    if not data.startswith(b"PK"):
        raise FormatError("not a .docx file (not a zip archive)")
    check_zip(data, info.options, ".docx")  # before python-docx parses any XML
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - zip, XML and package errors all mean "corrupt file"
        raise FormatError(f"corrupt .docx: {exc}") from exc
    lines: list[str] = []
    heading: str | None = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    lines.append(" | ".join(cells))
            lines.append("")
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if heading is None and style in ("Title", "Heading 1"):
            heading = text
        lines.append(text)
    text = "\n".join(lines).strip()
    if not text:
        raise FormatError("no text in the document")
    title = (document.core_properties.title or "").strip() or heading or info.path.stem
    yield info.document(text, "docx", title=title)
