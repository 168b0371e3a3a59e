"""File formats by suffix: each module has ``SUFFIXES`` and ``read(info, data)``; this maps one to the other."""

from __future__ import annotations

from pathlib import Path

from connectors.formats import code, csv_rows, docx, html, json_records, markdown, pdf, text
from connectors.formats.base import FileInfo, FormatError, Reader, decode_text

__all__ = ["FileInfo", "FormatError", "READERS", "Reader", "decode_text", "reader_for", "supported_suffixes"]

# later entries win, so a format module may claim a suffix a broader one (code) also lists
READERS: dict[str, Reader] = {}
for _module in (code, text, markdown, html, pdf, docx, csv_rows, json_records):
    for _suffix in _module.SUFFIXES:
        READERS[_suffix] = _module.read


def reader_for(path: Path) -> Reader | None:
    """The reader for ``path`` by suffix (or by well-known name such as ``Makefile``), else ``None``."""
    if path.name in code.NAMES:
        return code.read
    return READERS.get(path.suffix.lower())


def supported_suffixes() -> list[str]:
    return sorted(READERS)
