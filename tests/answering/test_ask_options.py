"""``AskOptions``: one validated value from the facade to the pipeline; ``min_score`` is a cosine."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from rag.core.errors import ConfigError
from rag.core.options import AskOptions
from rag.core.sampling import SamplingParams
from rag.core.types import Chunk, Generation, Message, ScoredChunk
from rag.pipeline import Answerer


class WordCountGenerator:
    """Counts a word as a token and always replies with the same cited sentence (no model needed)."""

    name = "word-count"
    context_window = 4096

    def __init__(self) -> None:
        self.calls: list[list[Message]] = []

    def warm_up(self) -> None:
        pass

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len(m["content"].split()) + 4 for m in messages)

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        self.calls.append(list(messages))
        return Generation("The lighthouse was built in 1871 [1].", self.count_tokens(messages), 8, "stop", 0.01, 0.02)

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        generation = self.generate(messages, sampling)
        yield generation.text
        yield generation


def _hit(i: int, text: str, fused: float, cosine: float) -> ScoredChunk:
    return ScoredChunk(Chunk(i, f"doc{i}", text, 0, len(text), {"title": f"doc {i}"}), fused, i, cosine=cosine)


def test_options_validate_once_with_readable_errors() -> None:
    assert AskOptions().style == "full" and AskOptions().k is None
    assert AskOptions(examples=[("q", "a")]).examples == (("q", "a"),)  # frozen: lists become tuples
    assert AskOptions().with_(style="short", k=None).style == "short"
    for bad, message in (({"style": "poem"}, "answer style"), ({"k": -1}, "k must be"),
                         ({"min_score": 1.5}, "cosine"), ({"sampling": {"greedy": True}}, "SamplingParams"),
                         ({"examples": "abc"}, "list or tuple")):
        with pytest.raises(ConfigError, match=message):
            AskOptions(**bad)


def test_min_score_filters_on_the_cosine_not_the_fused_score() -> None:
    # Hybrid fusion ranks a keyword-heavy chunk first (fused 0.9) although its cosine is low (0.2).
    hits = [_hit(1, "Links: index, search, ask, chat.", 0.9, 0.2),
            _hit(2, "The Harrow Point lighthouse was built in 1871.", 0.5, 0.7)]
    generator = WordCountGenerator()
    answerer = Answerer(lambda q, k, f: hits[:k], generator, k=2)
    answer = answerer.ask("When was the lighthouse built?", AskOptions(min_score=0.4, examples=()))
    assert [s.chunk.id for s in answer.sources] == [2]
    kept_both = answerer.ask("When was the lighthouse built?", AskOptions(min_score=0.1, examples=()))
    assert [s.chunk.id for s in kept_both.sources] == [1, 2]


def test_the_answerer_rejects_loose_options() -> None:
    answerer = Answerer(lambda q, k, f: [], WordCountGenerator())
    with pytest.raises(ConfigError, match="AskOptions"):
        answerer.ask("When?", {"k": 2})  # type: ignore[arg-type]
