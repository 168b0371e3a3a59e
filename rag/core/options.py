"""``AskOptions``: everything a caller may choose about one answer, as one validated value.

The ``RAG`` facade builds it (from its keyword arguments and the settings) and the answering
pipeline reads it; nothing in between passes loose ``**options``. ``None`` fields mean "the
pipeline's default" (documented per field), so a value can be built once and refined with
``with_``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from rag.core.errors import ConfigError
from rag.core.sampling import SamplingParams
from rag.core.types import Document

ANSWER_STYLES = ("full", "short")


@dataclass(frozen=True)
class AskOptions:
    """How to answer one question.

    - ``task``: ``qa`` (default), ``summarize``, ``translate``, ``extract``, ``code`` or ``write``.
    - ``style``: ``full`` (default: the direct answer first, in a complete cited sentence, or a short
      list for steps) or ``short`` (the shortest extractive span, for span-QA evaluation only).
    - ``sampling``: decoding parameters; ``None`` = the answerer's default (greedy).
    - ``k``: sources per answer; ``None`` = chosen by evidence (score gaps and a token budget).
    - ``filter``: metadata filter applied before ranking.
    - ``examples``: few-shot ``Example``s or ``(input, output[, sources])`` tuples; ``None`` = the
      bundled ones for the task and style, ``()`` = zero-shot.
    - ``target_language``: for ``translate``.
    - ``min_score``: drop retrieved chunks whose *cosine* similarity is below this.
    - ``extra_context``: documents put in the prompt before the retrieved ones (live tools, callers).
    """

    task: str = "qa"
    style: str = "full"
    sampling: SamplingParams | None = None
    k: int | None = None
    filter: Mapping[str, Any] | None = None
    examples: tuple[Any, ...] | None = None
    target_language: str | None = None
    min_score: float | None = None
    extra_context: tuple[Document, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.style not in ANSWER_STYLES:
            raise ConfigError(f"unknown answer style {self.style!r}; choose one of {', '.join(ANSWER_STYLES)}")
        if self.k is not None and (isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 0):
            raise ConfigError(f"k must be an integer >= 0 (got {self.k!r})")
        if self.min_score is not None and not -1.0 <= float(self.min_score) <= 1.0:
            raise ConfigError(f"min_score is a cosine similarity in [-1, 1] (got {self.min_score})")
        if self.sampling is not None and not isinstance(self.sampling, SamplingParams):
            raise ConfigError(f"sampling must be a SamplingParams (got {type(self.sampling).__name__})")
        if self.examples is not None and not isinstance(self.examples, tuple):
            object.__setattr__(self, "examples", tuple(_as_sequence(self.examples, "examples")))
        if not isinstance(self.extra_context, tuple):
            object.__setattr__(self, "extra_context", tuple(_as_sequence(self.extra_context, "extra_context")))

    def with_(self, **changes: Any) -> AskOptions:
        """A copy with the given fields changed; ``None`` values mean "leave as is"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def _as_sequence(value: Any, name: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ConfigError(f"{name} must be a list or tuple (got {type(value).__name__})")
    return value
