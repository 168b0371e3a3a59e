"""The plain values that flow through ragloom, defined once and used everywhere.

Data moves one way: ``Document`` (from a connector) -> ``Chunk`` (from the chunker,
stored in the index) -> ``ScoredChunk`` (from retrieval). All are frozen so a value
handed to one stage cannot be changed behind the back of another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document.

    ``source_id`` is the stable key used by incremental sync (a path relative to the
    ingested root, a URL, an API record id); ``metadata`` holds JSON-compatible values
    (source, file type, title, modified time, page, section, ...).
    """

    source_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document as stored in the index.

    ``id`` is a stable int64 that never changes or gets reused after a delete;
    ``start``/``end`` are character offsets of ``text`` inside the document text.
    """

    id: int
    document_id: str
    text: str
    start: int
    end: int
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk, its 1-based rank and the score it was ranked by.

    ``score`` is the cosine similarity in dense mode, the BM25 score in keyword mode and the fused
    score in hybrid mode (see ``rag.retrieval``). ``cosine`` is the chunk's cosine similarity to the
    query whenever it is known (always, except in keyword mode), so thresholds can rely on it.
    """

    chunk: Chunk
    score: float
    rank: int
    cosine: float | None = None
    keyword: float | None = None  # BM25 score, when keyword search took part


@dataclass(frozen=True)
class Skipped:
    """A source a connector could not turn into a document, with a reason a user can act on."""

    source: str
    reason: str
