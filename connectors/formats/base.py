"""What every format reader gets (``FileInfo``), may raise (``FormatError``) and shares (text decoding)."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.options import ConnectorOptions
from rag.core.types import Document, Skipped


class FormatError(Exception):
    """A file cannot be read in its format; the message becomes the ``Skipped`` reason."""


@dataclass(frozen=True)
class FileInfo:
    """One file about to be parsed: its resolved path, modification time and the run's options."""

    path: Path
    modified: str  # ISO 8601, UTC
    options: ConnectorOptions
    root: Path | None = None  # the folder being ingested (a file's own folder when given alone)

    @property
    def folder(self) -> Path:
        """The folder files this one refers to (an HTML page's pictures) must stay inside."""
        return self.root if self.root is not None else self.path.parent

    @property
    def source(self) -> str:
        return str(self.path)

    def metadata(self, file_type: str, **extra: Any) -> dict[str, Any]:
        """The metadata every document from this file carries, plus ``extra`` (``None`` values dropped)."""
        meta: dict[str, Any] = {"source": self.source, "file_type": file_type, "modified": self.modified}
        meta.update({k: v for k, v in extra.items() if v is not None})
        return meta

    def document(self, text: str, file_type: str, *, suffix: str = "", **extra: Any) -> Document:
        """A document keyed by this file's path (plus ``suffix`` such as ``#page=3`` for parts of it)."""
        return Document(source_id=self.source + suffix, text=text, metadata=self.metadata(file_type, **extra))


# A reader turns a file's bytes into documents; it may raise FormatError (or a parser's own error).
Reader = Callable[[FileInfo, bytes], Iterator[Document | Skipped]]

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 first, then a byte-order mark, then charset detection; binary is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise FormatError(f"invalid {encoding} text") from exc
    if b"\x00" in data[:8192]:
        # NUL bytes never occur in 8-bit or UTF-8 text files; BOM-less UTF-16 is rare enough to refuse
        raise FormatError("binary content (NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _detect(data)
    if _control_ratio(text) > 0.05:
        raise FormatError("binary content (control characters)")
    return text


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes  # imported on first non-UTF-8 file only

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise FormatError("binary or undecodable content (no text encoding fits)")
    # on a tie (common for short Western text) the most widespread legacy encoding is the likeliest
    for match in matches:
        if match.encoding == "cp1252" and (match.chaos, match.coherence) == (best.chaos, best.coherence):
            return str(match)
    return str(best)


def _control_ratio(text: str) -> float:
    sample = text[:8192]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    return bad / len(sample)
