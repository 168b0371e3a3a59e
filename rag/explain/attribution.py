"""A model-free attribution that works whatever answered (llama.cpp, a remote server, a saved answer).

It scores the evidence the way the grounding check does (``rag.grounding``): for each sentence of
the answer, the share of its content words that a source contains, averaged with the best embedding
cosine between the sentence and one of the source's sentences. A source's weight is its mean score
over the answer's sentences, as a share of all sources' scores; its heat-map marks each of its
sentences by how well that sentence backs the closest answer sentence. Without an embedder the
cosine part is left out (word overlap only), and the label says so.

This measures overlap of evidence, not what a model looked at: a source can score because it
repeats the answer's words even if the model took them from elsewhere. Leave-one-source-out
(re-generating without each source) would measure influence, at one generation per source; on two
CPU cores that is minutes, which is why this view uses the evidence the answer already carries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import numpy as np

from rag.core.answer import Answer, strip_citations
from rag.core.protocols import Embedder
from rag.explain.blocks import SourceBlock, source_blocks, source_message
from rag.explain.types import GROUNDING, Explanation, NothingToExplainError, SourceExplanation, shares
from rag.grounding import split_claims
from rag.prompts.focus import content_words

_SENTENCE = re.compile(r"[^.!?\n…]+(?:[.!?…]+|(?=\n)|$)")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the text's sentences and lines, surrounding spaces left out."""
    spans = []
    for match in _SENTENCE.finditer(text):
        piece = match.group()
        start = match.start() + len(piece) - len(piece.lstrip())
        end = match.end() - (len(piece) - len(piece.rstrip()))
        if end > start and content_words(text[start:end]):
            spans.append((start, end))
    return spans


def _overlap(claim_words: set[str], text_words: set[str]) -> float:
    return len(claim_words & text_words) / len(claim_words) if claim_words else 0.0


def grounding_explanation(answer: Answer, embedder: Embedder | None = None) -> Explanation:
    """Weights and heat-maps from evidence overlap between the answer's sentences and each source."""
    started = time.perf_counter()
    message = source_message(answer)
    blocks: Sequence[SourceBlock] = source_blocks(message["content"], len(answer.sources))
    claims = [text for text, _, _ in split_claims(answer.text)] or [strip_citations(answer.text)]
    claims = [c for c in claims if content_words(c)]
    if not claims:
        raise NothingToExplainError("nothing to explain: the answer has no content words")
    sentence_spans = [_sentences(b.text) or [(0, len(b.text))] for b in blocks]
    sentences = [b.text[s:e] for b, spans in zip(blocks, sentence_spans, strict=True) for s, e in spans]
    owner = np.repeat(np.arange(len(blocks)), [len(spans) for spans in sentence_spans])
    claim_words = [content_words(c) for c in claims]
    # claims x sentences: word overlap, and (with an embedder) cosine
    lexical = np.array([[_overlap(w, content_words(s)) for s in sentences] for w in claim_words])
    if embedder is not None:
        vectors = embedder.embed_documents(claims + sentences)
        cosine = np.clip(vectors[: len(claims)] @ vectors[len(claims):].T, 0.0, 1.0)
        sentence_score = (lexical + cosine) / 2
    else:
        cosine = None
        sentence_score = lexical
    per_source = []
    for i, block in enumerate(blocks):
        words = content_words(block.text)
        whole = np.array([_overlap(w, words) for w in claim_words])  # the words may sit in different sentences
        score = (whole + cosine[:, owner == i].max(axis=1)) / 2 if cosine is not None else whole
        per_source.append(float(score.mean()))
    weights = shares(per_source)
    heat = sentence_score.max(axis=0)
    peak = float(heat.max()) if heat.size else 0.0
    sources, k = [], 0
    for i, block in enumerate(blocks):
        spans = []
        for start, end in sentence_spans[i]:
            spans.append((start, end, float(heat[k]) / peak if peak > 0 else 0.0))
            k += 1
        sources.append(SourceExplanation(block.number, weights[i], block.text, tuple(spans)))
    how = "content words and embedding cosine" if embedder is not None else "content words only (no embedder)"
    label = (f"model-free attribution (grounding evidence): how well each source backs the answer's "
             f"{len(claims)} sentence{'s' if len(claims) != 1 else ''}, by {how}; not the model's attention")
    return Explanation(GROUNDING, label, tuple(sources), seconds=time.perf_counter() - started)
