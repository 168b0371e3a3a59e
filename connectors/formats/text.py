"""Plain text files: the decoded text as one document."""

from __future__ import annotations

from collections.abc import Iterator

from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

SUFFIXES = (".txt", ".text", ".log", ".rst")


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    text = decode_text(data)
    if not text.strip():
        raise FormatError("no text (only whitespace)")
    yield info.document(text, "text", title=info.path.stem)
