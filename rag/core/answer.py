"""The result of asking: the text, the sources it was grounded on, its citations and its cost.

``sources`` are the chunks that were put in the prompt, numbered 1..n in order; every ``[n]``
in the text resolves to ``sources[n - 1]``. Numbers that point at no source are not silently
kept: they are listed in ``unknown_citations`` and mentioned in ``notes``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rag.core.errors import RagloomError
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
    # What feedback on this answer needs: a stable id, the question as asked (``query`` may be a
    # follow-up's rewrite), the conversation before it and the settings that produced it.
    id: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)
    question: str = ""
    history: tuple[Message, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict, compare=False)
    # What ``explain()`` calls (``rag.explain.AnswerExplainer``, attached by the ``RAG`` facade): core cannot
    # import the models, so the layer that has them hands the answer its explainer.
    explainer: Callable[..., Any] | None = field(default=None, repr=False, compare=False)

    def explain(self, method: str = "auto") -> Any:
        """Which sources (and which of their words) this answer drew on: a ``rag.explain.Explanation``.

        ``method``: ``"attention"`` (a local model's attention), ``"grounding"`` (model-free evidence
        overlap) or ``"auto"`` (attention when available). For an answer not made by ``RAG``, use
        ``rag.explain.explain_answer(answer)``.
        """
        if self.explainer is None:
            raise RagloomError("this answer carries no explainer; use rag.explain.explain_answer(answer)")
        return self.explainer(self, method)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (sources carry their number, score, rank, text, metadata and ``location``:
        file, page(s) and line boxes for PDF sources, so any front end can open the page and highlight)."""
        return {
            "id": self.id,
            "text": self.text,
            "question": self.question or self.query,
            "history": [dict(m) for m in self.history],
            "settings": dict(self.settings),
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
