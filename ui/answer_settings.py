"""What the model controls produce: sampling, retrieval, task and few-shot choices, validated by the core.

Kept free of Streamlit so the mapping from controls to ``RAG.stream_chat`` options is plain and testable;
``SamplingParams`` and the ``Answerer`` do the validating, so the UI and the CLI reject the same values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag import BUNDLED_EXAMPLES, TASKS, ConfigError, Example, SamplingParams

SHOT_MODES = ("zero-shot", "one-shot", "few-shot")
UI_TASKS = ("qa", "summarize", "translate", "extract", "code")
EXAMPLE_COLUMNS = ("input", "output", "sources")
_SOURCE_SEPARATOR = "\n---\n"  # between source texts in the examples editor's "sources" cell


@dataclass(frozen=True)
class AnswerSettings:
    greedy: bool = True
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_new_tokens: int = 256
    seed: int | None = None
    k: int = 2  # the library's answer_k default
    min_score: float = 0.0
    task: str = "qa"
    target_language: str = ""
    shots: str = "few-shot"
    examples: tuple[Example, ...] = field(default_factory=tuple)

    def sampling(self) -> SamplingParams:
        """The ``SamplingParams`` (raises ``ConfigError`` with a readable message when a value is invalid)."""
        return SamplingParams(greedy=self.greedy, temperature=self.temperature, top_k=self.top_k, top_p=self.top_p,
                              max_new_tokens=self.max_new_tokens, seed=self.seed)

    def chosen_examples(self) -> list[Example]:
        if self.shots == "zero-shot":
            return []
        if self.shots == "one-shot":
            return list(self.examples[:1])
        return list(self.examples)

    def options(self) -> dict[str, Any]:
        """Keyword options for ``RAG.stream_chat``; raises ``ConfigError`` on invalid values."""
        if self.task not in TASKS:
            raise ConfigError(f"unknown task {self.task!r}")
        if self.k < 1:
            raise ConfigError(f"retrieve at least one chunk (k = {self.k})")
        if not 0.0 <= self.min_score <= 1.0:
            raise ConfigError(f"the minimum score is a cosine similarity in [0, 1] (got {self.min_score})")
        if TASKS[self.task].needs_language and not self.target_language.strip():
            raise ConfigError(f"the {self.task} task needs a target language")
        if self.shots not in SHOT_MODES:
            raise ConfigError(f"examples must be one of {', '.join(SHOT_MODES)}")
        return {
            "task": self.task,
            "sampling": self.sampling(),
            "k": self.k,
            "min_score": self.min_score or None,
            "examples": self.chosen_examples(),
            "target_language": self.target_language.strip() or None,
        }


def bundled_example_rows(task: str) -> list[dict[str, str]]:
    """The task's bundled few-shot examples as editor rows (the editor's default)."""
    return [{"input": ex.input, "output": ex.output, "sources": _SOURCE_SEPARATOR.join(ex.sources)}
            for ex in BUNDLED_EXAMPLES.get(task, ())]


def examples_from_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[Example, ...]:
    """Editor rows back to ``Example``s; rows without both an input and an output are skipped."""
    examples = []
    for row in rows:
        text_in, text_out = _cell(row.get("input")), _cell(row.get("output"))
        if not (text_in and text_out):
            continue
        sources = tuple(s.strip() for s in _cell(row.get("sources")).split(_SOURCE_SEPARATOR) if s.strip())
        examples.append(Example(text_in, text_out, sources))
    return tuple(examples)


def _cell(value: Any) -> str:
    # The data editor gives None (or NaN) for empty cells.
    return value.strip() if isinstance(value, str) else ""
