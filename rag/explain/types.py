"""What an explanation of an answer holds: a weight per source, a heat-map over each source's text,
and (for attention) the same per layer and head.

Weights are shares: over the answer's sources they sum to 1 (all 0 when nothing was attributed).
A heat-map is a list of ``(start, end, heat)`` character spans over ``SourceExplanation.text`` — the
source as the model read it in the prompt (focused and neutralised, so it may differ from the stored
chunk) — with ``heat`` in [0, 1], 1 being the hottest span of the whole explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.core.errors import RagloomError

ATTENTION = "attention"
GROUNDING = "grounding"
METHODS = ("auto", ATTENTION, GROUNDING)

Span = tuple[int, int, float]


class NothingToExplainError(RagloomError):
    """The answer has no sources, no prompt or no text: there is nothing to attribute."""


@dataclass(frozen=True)
class SourceExplanation:
    """One source: its number in the answer (``[n]``), its weight, its text and its heat-map."""

    number: int
    weight: float
    text: str
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "weight": round(self.weight, 4), "text": self.text,
                "spans": [[start, end, round(heat, 4)] for start, end, heat in self.spans]}


@dataclass(frozen=True)
class AttentionHeads:
    """Attention from the answer to every source token, for each layer and head (the per-head view).

    ``mass[layer, head, t]`` is the attention the answer tokens paid to source token ``t`` (averaged over
    answer tokens); ``token_source[t]`` is its source index (0-based) and ``token_spans[t]`` its character
    span in that source's text.
    """

    mass: np.ndarray  # float32 [layers, heads, source tokens]
    token_source: np.ndarray  # int [source tokens]
    token_spans: tuple[tuple[int, int], ...]

    @property
    def layers(self) -> int:
        return int(self.mass.shape[0])

    @property
    def heads(self) -> int:
        return int(self.mass.shape[1])

    def source_mass(self) -> np.ndarray:
        """[layers, heads, sources]: the attention each head paid to each source's tokens in total."""
        count = int(self.token_source.max()) + 1 if self.token_source.size else 0
        out = np.zeros((self.layers, self.heads, count), dtype=np.float32)
        for i in range(count):
            out[:, :, i] = self.mass[:, :, self.token_source == i].sum(axis=-1)
        return out


@dataclass(frozen=True)
class Explanation:
    """Which sources (and which of their words) an answer drew on, and how that was measured.

    ``method`` is ``"attention"`` (a model's attention, ``model`` names it) or ``"grounding"`` (model-free
    evidence overlap). ``label`` says both in a sentence a reader can take as the caption.
    ``source_share`` (attention only) is the part of the answer's attention that went to source text at
    all; the rest went to the instructions, the question and the answer itself.
    """

    method: str
    label: str
    sources: tuple[SourceExplanation, ...]
    model: str | None = None
    layers: tuple[int, ...] = ()  # the layers averaged (0-based), attention only
    source_share: float | None = None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    tokens: int = 0  # attention: prompt and answer tokens the model re-read
    heads: AttentionHeads | None = field(default=None, repr=False, compare=False)

    def head_view(self, layer: int, head: int) -> tuple[SourceExplanation, ...]:
        """The sources as one attention head (``layer``, ``head``, 0-based) saw them."""
        if self.heads is None:
            raise ValueError(f"a {self.method} explanation has no per-head data")
        if not (0 <= layer < self.heads.layers and 0 <= head < self.heads.heads):
            raise ValueError(f"no head {head} in layer {layer} ({self.heads.layers} layers x {self.heads.heads} heads)")
        return explain_sources(self.sources, self.heads.mass[layer, head], self.heads.token_source,
                               self.heads.token_spans)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible: ``sources`` is one ``{"weight": ...}`` (with number, text, spans) per source, in order."""
        out: dict[str, Any] = {
            "method": self.method, "model": self.model, "label": self.label,
            "layers": list(self.layers), "source_share": self.source_share, "seconds": round(self.seconds, 3),
            "tokens": self.tokens,
            "notes": list(self.notes), "sources": [s.to_dict() for s in self.sources],
        }
        if self.heads is not None:  # small: layers x heads x sources
            out["heads"] = {"layers": self.heads.layers, "heads": self.heads.heads,
                            "source_mass": np.round(self.heads.source_mass(), 5).tolist()}
        return out


def shares(values: Sequence[float]) -> list[float]:
    """Non-negative values scaled to sum to 1 (all zeros stay zeros)."""
    clipped = [max(float(v), 0.0) for v in values]
    total = sum(clipped)
    return [v / total if total > 0 else 0.0 for v in clipped]


def explain_sources(base: Sequence[SourceExplanation], token_mass: np.ndarray, token_source: np.ndarray,
                    token_spans: Sequence[tuple[int, int]]) -> tuple[SourceExplanation, ...]:
    """Sources with weights (their tokens' total mass, as shares) and heat-maps (mass per token, scaled
    by the hottest token of all sources) from per-token attention mass."""
    totals = [float(token_mass[token_source == i].sum()) for i in range(len(base))]
    weights = shares(totals)
    peak = float(token_mass.max()) if token_mass.size else 0.0
    spans: list[list[Span]] = [[] for _ in base]
    for t, (start, end) in enumerate(token_spans):
        heat = float(token_mass[t]) / peak if peak > 0 else 0.0
        spans[int(token_source[t])].append((start, end, heat))
    return tuple(SourceExplanation(s.number, weights[i], s.text, tuple(spans[i])) for i, s in enumerate(base))
