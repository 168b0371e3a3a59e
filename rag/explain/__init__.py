"""Looking inside an answer: which sources, and which of their words, it drew on.

    answer = rag.ask("What is the default chunk size?")
    explanation = answer.explain()            # attention of the bundled 0.5B model, else the attribution
    for source in explanation.sources:        # one per answer source, in order: [1], [2], ...
        print(source.number, source.weight)   # weights are shares summing to 1

Two methods (``Explanation.method`` says which one produced the numbers):

- ``"attention"`` (``rag.explain.attention``): the prompt plus the answer re-read once by a local
  ``transformers`` model with eager attention; the attention from answer tokens to each source's tokens
  (last third of the layers, heads averaged), with a per-head view. Needs the model installed (bundled
  Qwen2.5-Coder-0.5B by default), whatever backend answered.
- ``"grounding"`` (``rag.explain.attribution``): model-free evidence overlap between the answer's
  sentences and each source, for any backend.

``"auto"`` uses attention when it can and says in the notes why it fell back to the attribution.
"""

from __future__ import annotations

from rag.config import Settings
from rag.core.answer import Answer
from rag.core.errors import RagloomError
from rag.core.protocols import Embedder
from rag.explain.attention import DEFAULT_EXPLAIN_MODEL, MAX_TOKENS, AttentionExplainer
from rag.explain.attribution import grounding_explanation
from rag.explain.types import (
    ATTENTION,
    GROUNDING,
    METHODS,
    AttentionHeads,
    Explanation,
    NothingToExplainError,
    SourceExplanation,
)

__all__ = [
    "ATTENTION", "DEFAULT_EXPLAIN_MODEL", "GROUNDING", "MAX_TOKENS", "METHODS", "AnswerExplainer",
    "AttentionExplainer", "AttentionHeads", "Explanation", "NothingToExplainError", "SourceExplanation",
    "explain_answer", "grounding_explanation",
]


class AnswerExplainer:
    """What ``Answer.explain()`` calls: the attention model and the embedder for the attribution.

    The ``RAG`` facade attaches one (built from the ``explain_*`` settings) to every answer it returns.
    """

    def __init__(self, model: str = DEFAULT_EXPLAIN_MODEL, *, embedder: Embedder | None = None,
                 layers: int | None = None, n_threads: int | None = None, full_prompt: bool = False) -> None:
        self.attention = AttentionExplainer(model, layers=layers, n_threads=n_threads, full_prompt=full_prompt)
        self.embedder = embedder

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> AnswerExplainer:
        """The explainer the ``explain_model`` / ``explain_layers`` / ``threads`` settings describe."""
        return cls(settings.explain_model, embedder=embedder, layers=settings.explain_layers,
                   n_threads=settings.threads)

    def __call__(self, answer: Answer, method: str = "auto") -> Explanation:
        if method not in METHODS:
            raise RagloomError(f"unknown explain method {method!r}; choose one of {', '.join(METHODS)}")
        if method == GROUNDING:
            return grounding_explanation(answer, self.embedder)
        if method == ATTENTION:
            return self.attention.explain(answer)
        try:
            return self.attention.explain(answer)
        except NothingToExplainError:
            raise
        except (RagloomError, ImportError) as error:  # BackendMissingError is a RagloomError
            fallback = grounding_explanation(answer, self.embedder)
            note = f"attention unavailable ({error}); showing the model-free attribution instead"
            return Explanation(fallback.method, fallback.label, fallback.sources, notes=(note, *fallback.notes),
                               seconds=fallback.seconds)


def explain_answer(answer: Answer, method: str = "auto", *, model: str = DEFAULT_EXPLAIN_MODEL,
                   embedder: Embedder | None = None, layers: int | None = None) -> Explanation:
    """Explain any ``Answer`` (also one the ``RAG`` facade did not make); see the module docstring."""
    return AnswerExplainer(model, embedder=embedder, layers=layers)(answer, method)
