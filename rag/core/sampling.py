"""Inference parameters, validated once, meaning the same thing on every backend."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rag.core.errors import ConfigError


@dataclass(frozen=True)
class SamplingParams:
    """How the next token is chosen.

    ``greedy=True`` always takes the most likely token (deterministic; temperature, top-k and
    top-p are then ignored). Otherwise tokens are sampled from the distribution after, in this
    order: repetition penalty, temperature scaling, top-k (0 = off), top-p (1.0 = off).
    A fixed ``seed`` reproduces a sampled answer on the same backend and model.
    """

    greedy: bool = True
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_new_tokens: int = 256
    repetition_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ConfigError(f"temperature must be > 0 (got {self.temperature}); use greedy for deterministic output")
        if self.top_k < 0:
            raise ConfigError(f"top_k must be >= 0, 0 meaning off (got {self.top_k})")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1] (got {self.top_p})")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1 (got {self.max_new_tokens})")
        if not self.repetition_penalty > 0:
            raise ConfigError(f"repetition_penalty must be > 0, 1.0 meaning off (got {self.repetition_penalty})")
        if self.seed is not None and self.seed < 0:
            raise ConfigError(f"seed must be >= 0 (got {self.seed})")
        if isinstance(self.stop, str):  # a lone string would otherwise become its characters
            object.__setattr__(self, "stop", (self.stop,))
        else:
            object.__setattr__(self, "stop", tuple(self.stop))

    def with_(self, **changes: Any) -> SamplingParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)
