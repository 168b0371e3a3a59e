"""The plain values that flow through ragloom, defined once and used everywhere.

Data moves one way: ``Document`` (from a connector) -> ``NewChunk`` (from the chunker) -> ``Chunk``
(stored in the index, with its id) -> ``ScoredChunk`` (from retrieval); prompts are ``Message``s and
a model's reply is a ``Generation``. All are frozen so a value handed to one stage cannot be
changed behind the back of another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypedDict

from rag.core.errors import RagloomError

if TYPE_CHECKING:
    import numpy as np

# A metadata filter: {"key": value} or {"key": {"$op": value}} (see ``indexes.filters``).
Filter = Mapping[str, Any]


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


@dataclass(frozen=True)
class NewChunk:
    """A chunk before the index has given it an id."""

    text: str
    start: int
    end: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DocumentRecord:
    """What the index remembers of an ingested document (for sync and listing)."""

    source_id: str
    content_hash: str
    metadata: dict[str, Any]
    chunk_count: int
    ingested_at: str


class SearchMode(StrEnum):
    """How an index ranks chunks: by cosine similarity to a query vector, or by a keyword score (BM25)."""

    DENSE = "dense"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class SearchQuery:
    """One search against an ``Index``: everything the index needs to rank, in one value.

    - ``mode`` DENSE ranks by the cosine of ``vector`` (a unit vector); KEYWORD ranks by the BM25
      score of ``text`` and needs an index that declares the ``keyword`` capability.
    - ``filter`` selects the chunks *before* ranking, so ``k`` results come back whenever ``k``
      matching chunks exist.
    - ``candidates``, when given, restricts the search to these chunk ids and scores them exactly
      (how hybrid retrieval completes the other signal for the candidates of one list); ids that
      are not in the index are ignored.

    Fusion of the two modes (hybrid), MMR and thresholds are the retriever's job, not the index's.
    """

    k: int
    vector: np.ndarray | None = None
    text: str | None = None
    mode: SearchMode = SearchMode.DENSE
    filter: Filter | None = None
    candidates: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "mode", SearchMode(self.mode))
        except ValueError:
            raise RagloomError(f"unknown search mode {self.mode!r}; an index searches dense or keyword") from None
        if self.k < 1:
            raise RagloomError(f"k must be at least 1 (got {self.k})")
        if self.mode is SearchMode.DENSE and self.vector is None:
            raise RagloomError("a dense search needs the query vector")
        if self.mode is SearchMode.KEYWORD and self.text is None:
            raise RagloomError("a keyword search needs the query text")
        if self.candidates is not None:
            object.__setattr__(self, "candidates", tuple(int(i) for i in self.candidates))


class Message(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Generation:
    """The result of one generation: the text and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn or a stop sequence) or "length" (max_new_tokens)
    first_token_seconds: float
    total_seconds: float

    @property
    def tokens_per_second(self) -> float:
        decode = self.total_seconds - self.first_token_seconds
        return self.completion_tokens / decode if decode > 0 else 0.0
