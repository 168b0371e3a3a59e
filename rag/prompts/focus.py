"""Focus long sources on the question: keep the sentences that matter, within a token cap per source.

On CPU the prompt is the cost of an answer: llama.cpp reads ~80 prompt tokens/s on 2 cores, so
every 100 source tokens add over a second before the first answer token. A source longer than
``max_tokens`` keeps its best sentences, in their original order, with "…" where text was left
out; shorter sources pass unchanged. Sentences are scored by the embedder's cosine with the
question plus the share of the question's content words they contain (names, numbers and dates
that a small embedder blurs). Each sentence is embedded once per question; the ONNX embedder does
a short sentence in ~2 ms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from rag.core.errors import ConfigError
from rag.core.protocols import Embedder
from rag.core.types import ScoredChunk

_NEXT = r"(?=[\"'(\[]?[A-Z0-9])"  # a sentence starts with a capital or a digit, maybe after a quote
_SENTENCE_END = re.compile(rf"(?<=[.!?])\s+{_NEXT}|(?<=[.!?][\"')\]])\s+{_NEXT}|\n\s*\n")
RELATIVE_FLOOR = 0.4  # sentences scoring under this share of the best one are left out even if they fit
_WORD = re.compile(r"[A-Za-z0-9]+")
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "did", "do", "does", "for", "from", "had", "has", "have",
    "he", "her", "his", "how", "i", "in", "is", "it", "its", "of", "on", "or", "she", "that", "the", "their",
    "them", "they", "this", "to", "was", "were", "what", "when", "where", "which", "who", "whom", "whose",
    "why", "will", "with", "would", "you"
))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def content_words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in _WORD.findall(text)) if w not in _STOP}


class SourceFocus:
    """Shorten sources to their sentences most relevant to a question (see the module docstring)."""

    def __init__(self, embedder: Embedder, max_tokens: int = 64) -> None:
        if max_tokens < 8:
            raise ConfigError(f"focus_tokens must be 0 (off) or at least 8 (got {max_tokens})")
        self.embedder = embedder
        self.count_tokens = embedder.count_tokens  # the embedder's tokens: a cap, not the exact prompt budget
        self.max_tokens = max_tokens

    def __call__(self, question: str, chunks: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        return [self.focus_one(question, chunk) for chunk in chunks]

    def focus_one(self, question: str, chunk: ScoredChunk) -> ScoredChunk:
        text = chunk.chunk.text
        if self.count_tokens(text) <= self.max_tokens:
            return chunk
        sentences = split_sentences(text)
        if len(sentences) <= 1:
            return chunk  # one long sentence: nothing to choose between; budgeting handles the rest
        kept = sorted(self._select(question, sentences))
        parts = ["…"] if kept[0] > 0 else []
        for previous, i in zip([None, *kept], kept, strict=False):
            if previous is not None and i != previous + 1:
                parts.append("…")
            parts.append(sentences[i])
        if kept[-1] < len(sentences) - 1:
            parts.append("…")
        return replace(chunk, chunk=replace(chunk.chunk, text=" ".join(parts)))

    def _select(self, question: str, sentences: list[str]) -> set[int]:
        vectors = self.embedder.embed_documents(sentences)
        query = np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        wanted = content_words(question)
        overlap = np.array([len(wanted & content_words(s)) / max(1, len(wanted)) for s in sentences])
        scores = vectors @ query + overlap
        order = np.argsort(-scores).tolist()
        floor = RELATIVE_FLOOR * scores[order[0]]
        kept = {order[0]}
        used = self.count_tokens(sentences[order[0]]) + 1
        for i in order[1:]:
            if scores[i] < floor:
                break  # filler (citations, stray numbers) costs prompt time and distracts a small model
            cost = self.count_tokens(sentences[i]) + 1
            if used + cost <= self.max_tokens:  # else a shorter, lower-scored sentence may still fit
                kept.add(i)
                used += cost
        return kept
