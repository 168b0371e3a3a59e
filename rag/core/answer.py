"""The result of asking: the text, the sources it was grounded on, its citations and its cost.

``sources`` are the chunks that were put in the prompt, numbered 1..n in order; every ``[n]``
in the text resolves to ``sources[n - 1]``. Numbers that point at no source are not silently
kept: they are listed in ``unknown_citations`` and mentioned in ``notes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.core.locations import page_location
from rag.core.types import Message, ScoredChunk

# "[1]", "[1, 3]", "[1][2]" and "[1-2]"-free forms: the bracket must hold only numbers and commas.
_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")

# Metadata marker on context blocks that did not come from the index (live API tools, callers).
EXTRA_CONTEXT_KEY = "ragloom_extra_context"


@dataclass(frozen=True)
class Citation:
    """A ``[number]`` in the answer and the source it points to."""

    number: int
    source: ScoredChunk


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer, the sources it cites, and whether they support it.

    ``support`` is the evidence score in [0, 1] (content-word overlap and embedding cosine with the
    best cited source); ``supported`` is that score against the grounding threshold. A sentence that
    cites nothing is unsupported.
    """

    text: str
    citations: tuple[int, ...] = ()
    supported: bool = False
    support: float = 0.0


@dataclass(frozen=True)
class Timings:
    """Seconds spent retrieving, until the first answer token, and in total; decode speed."""

    retrieve_seconds: float = 0.0
    first_token_seconds: float = 0.0
    total_seconds: float = 0.0
    tokens_per_second: float = 0.0


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...] = ()
    sources: tuple[ScoredChunk, ...] = ()
    dropped: tuple[ScoredChunk, ...] = ()
    messages: tuple[Message, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: Timings = field(default_factory=Timings)
    refused: bool = False
    notes: tuple[str, ...] = ()
    query: str = ""
    task: str = "qa"
    unknown_citations: tuple[int, ...] = ()
    data: Any = None  # parsed structured output (the ``extract`` task's JSON object)
    claims: tuple[Claim, ...] = ()  # the answer's sentences checked against their citations

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (sources carry their number, score, rank, text, metadata and ``location``:
        file, page(s) and line boxes for PDF sources, so any front end can open the page and highlight)."""
        return {
            "text": self.text,
            "query": self.query,
            "task": self.task,
            "refused": self.refused,
            "citations": [{"number": c.number, "chunk_id": c.source.chunk.id} for c in self.citations],
            "unknown_citations": list(self.unknown_citations),
            "sources": [_chunk_dict(i, s) for i, s in enumerate(self.sources, start=1)],
            "dropped": [_chunk_dict(None, s) for s in self.dropped],
            "messages": [dict(m) for m in self.messages],
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "timings": {
                "retrieve_seconds": self.timings.retrieve_seconds,
                "first_token_seconds": self.timings.first_token_seconds,
                "total_seconds": self.timings.total_seconds,
                "tokens_per_second": self.timings.tokens_per_second,
            },
            "notes": list(self.notes),
            "data": self.data,
            "claims": [{"text": c.text, "citations": list(c.citations), "supported": c.supported,
                        "support": c.support} for c in self.claims],
        }


def _chunk_dict(number: int | None, s: ScoredChunk) -> dict[str, Any]:
    return {
        "number": number,
        "score": s.score,
        "rank": s.rank,
        "chunk_id": s.chunk.id,
        "document_id": s.chunk.document_id,
        "text": s.chunk.text,
        "metadata": s.chunk.metadata,
        "location": location.to_dict() if (location := page_location(s.chunk)) else None,
    }


def cited_numbers(text: str) -> list[int]:
    """Every cited number in order of first appearance."""
    seen: list[int] = []
    for match in _CITATION.finditer(text):
        for part in match.group(1).split(","):
            number = int(part)
            if number not in seen:
                seen.append(number)
    return seen


def resolve_citations(text: str, sources: tuple[ScoredChunk, ...]) -> tuple[tuple[Citation, ...], tuple[int, ...]]:
    """``[n]`` markers mapped to ``sources[n-1]``; numbers outside 1..len(sources) returned separately."""
    known, unknown = [], []
    for number in cited_numbers(text):
        if 1 <= number <= len(sources):
            known.append(Citation(number, sources[number - 1]))
        else:
            unknown.append(number)
    return tuple(known), tuple(unknown)


def strip_citations(text: str) -> str:
    """The text without ``[n]`` markers (for scoring against gold answers, or display)."""
    return re.sub(r"\s+", " ", _CITATION.sub("", text)).strip()
