"""How many sources go into an answer's prompt: chosen by the evidence, not a fixed number.

On 2 CPU cores every source in the prompt costs about a second before the first answer token, and
a weak source also distracts a small model; but a question whose answer is spread over several
sections needs them all. So the candidates (best first, as retrieval ranked them) are kept while

- their cosine similarity is within ``margin`` of the best candidate's (a clear score gap means
  the rest are about something else: a link list or a neighbouring topic), and
- their text still fits ``tokens`` (counted on the text the model will read, after focus),

up to ``max_sources``. Two candidates are always kept: the one with the best cosine, and
retrieval's first when keyword search found it and it is not boilerplate (hybrid ranking puts a
section first on a rare exact term — "hnsw", a flag, a file name — that the small embedder scores
low; a link list that wins on common words is demoted at ingest, ``rag.boilerplate``); and a
runner-up within the margin is kept even past the
budget: a whole procedure kept by focus can fill the budget alone, and the runner-up is often the
section that names the detail asked for. Cosine, not the fused hybrid score, measures the gaps:
fused scores are relative to the candidate set and say little about how far apart two candidates
really are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.boilerplate import penalty
from rag.core.errors import ConfigError
from rag.core.types import ScoredChunk


@dataclass(frozen=True)
class SourceBudget:
    """Limits for choosing sources by evidence (see the module docstring)."""

    max_sources: int = 3
    tokens: int = 320  # tokens of source text the model reads (~80-100 prompt tokens/s on 2 cores)
    margin: float = 0.08  # cosine distance from the best candidate that still counts as as good

    def __post_init__(self) -> None:
        if self.max_sources < 1:
            raise ConfigError(f"max_sources must be >= 1 (got {self.max_sources})")
        if self.tokens < 1:
            raise ConfigError(f"the source token budget must be >= 1 (got {self.tokens})")
        if not 0 <= self.margin <= 2:
            raise ConfigError(f"the score margin is a cosine difference in [0, 2] (got {self.margin})")


def cosine_of(chunk: ScoredChunk) -> float:
    """The chunk's cosine similarity (dense retrieval's score, or a test double's, when not recorded)."""
    return chunk.cosine if chunk.cosine is not None else chunk.score


def pick_by_evidence(candidates: Sequence[ScoredChunk], read: Sequence[ScoredChunk],
                     count_tokens: Callable[[str], int], budget: SourceBudget) -> list[int]:
    """Indices (in rank order) of the candidates to put in the prompt.

    ``read`` holds the same chunks as the model will read them (focused), for the token count.
    """
    if not candidates:
        return []
    pool = range(min(len(candidates), budget.max_sources))
    best = max(cosine_of(candidates[i]) for i in pool)
    best_index = next(i for i in pool if cosine_of(candidates[i]) == best)
    first = candidates[0]
    kept = sorted({best_index} | ({0} if first.keyword and penalty(first) == 0 else set()))
    used = sum(count_tokens(read[i].chunk.text) for i in kept)
    for i in sorted(pool, key=lambda j: -cosine_of(candidates[j])):  # strongest evidence first
        if i in kept or cosine_of(candidates[i]) < best - budget.margin:
            continue
        cost = count_tokens(read[i].chunk.text)
        if used + cost <= budget.tokens or len(kept) < 2:
            kept.append(i)
            used += cost
    return sorted(kept)
