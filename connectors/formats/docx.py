"""Word .docx: paragraphs and tables in document order as one document; title from core properties.

With ``ocr_images`` the pictures of the body (``word/media/*``, DrawingML and legacy VML) are OCR'd
and their text put after the paragraph or table that holds them (``image_ocr``). Pictures linked
from outside the file are never fetched.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from connectors.formats.base import FileInfo, FormatError
from connectors.formats.zipguard import check_zip
from rag.core.types import Document, Skipped

SUFFIXES = (".docx",)

_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"


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
    images = None
    if info.options.ocr_images:
        from connectors.formats.image_ocr import ImageOcr  # loads the OCR stack only when asked

        images = ImageOcr(info)
    lines: list[str] = []
    heading: str | None = None
    pictures = 0
    for block in document.iter_inner_content():
        embedded = _pictures(block._element)
        pictures += len(embedded)
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                if any(cells):
                    lines.append(" | ".join(cells))
            lines += _image_text(images, document, embedded)
            lines.append("")
            continue
        text = block.text.strip()
        if text:
            style = (block.style.name if block.style is not None else "") or ""
            if heading is None and style in ("Title", "Heading 1"):
                heading = text
            lines.append(text)
        lines += _image_text(images, document, embedded)
    if images is not None:
        yield from images.problems
    text = "\n".join(lines).strip()
    if not text:
        hint = f" (it has {pictures} pictures; --ocr-images reads the text in them)" if pictures and not images else ""
        raise FormatError(f"no text in the document{hint}")
    title = (document.core_properties.title or "").strip() or heading or info.path.stem
    yield info.document(text, "docx", title=title, **(images.metadata() if images is not None else {}))


def _pictures(element: Any) -> list[str]:
    """The relationship ids of the pictures inside a body element, in document order."""
    ids = []
    for node in element.iter(_BLIP, _VML_IMAGE):
        rid = node.get(f"{_RELATIONSHIPS}embed") if node.tag == _BLIP else node.get(f"{_RELATIONSHIPS}id")
        if rid:
            ids.append(rid)
    return ids


def _image_text(images: Any, document: Any, rids: list[str]) -> list[str]:
    """The OCR paragraphs of the pictures ``rids`` (none when OCR of images is off)."""
    if images is None:
        return []
    paragraphs = []
    for rid in rids:
        part = document.part.related_parts.get(rid)
        blob = getattr(part, "blob", None)
        if part is None or blob is None or not str(getattr(part, "content_type", "")).startswith("image/"):
            continue  # an external link (never fetched) or not a picture
        name = str(part.partname).lstrip("/")
        paragraph = images.paragraph(name, blob, name)
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs
