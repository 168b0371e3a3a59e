"""The generator contract shared by every backend (llama.cpp, transformers, OpenAI-compatible).

A backend is built cheaply (no model load) and loads on first use or in ``warm_up()``.
Prompts are chat messages (``{"role": ..., "content": ...}``); each backend renders them in
its model's own chat format, so few-shot examples and history arrive the way the model was
trained to read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict, runtime_checkable


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


@runtime_checkable
class Generator(Protocol):
    """What ragloom needs from a language model backend."""

    name: str

    @property
    def context_window(self) -> int:
        """Tokens the model can attend to: prompt plus answer must fit."""
        ...

    def warm_up(self) -> None:
        """Load the model now (idempotent); otherwise it loads on first use."""
        ...

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt these messages render to, with the model's own tokenizer and chat template."""
        ...

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        """Generate a whole answer."""
        ...

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        """Yield text pieces as they are decoded, then exactly one final ``Generation``."""
        ...


from rag.generation.sampling import SamplingParams  # noqa: E402  (re-exported for the Protocol's hints)
