"""Ranking chunks for a query: dense (cosine), keyword (BM25), or hybrid (both, fused), optionally MMR.

Hybrid search takes the top candidates of each list, completes the scores (the index scores the other
list's candidates exactly: the cosine of keyword-only candidates, the BM25 of dense-only candidates, a
chunk with no query term scoring 0), and fuses:

- ``convex`` (default): ``alpha * cosine' + (1 - alpha) * bm25'`` where each signal is min-max
  normalised over the candidates, so the fused score lies in [0, 1]: 1 = best on both signals
  among the candidates, 0 = worst on both. It is a relative score, comparable within one query.
- ``rrf``: reciprocal rank fusion, ``sum 1 / (rrf_k + rank)`` over the two ranked lists.

Boilerplate chunks (navigation lists, tables of contents, bare headings; scored at ingest time by
``rag.boilerplate``) are demoted in every mode: the hybrid fused score loses up to half its value,
dense and keyword results are reordered the same way but keep their cosine / BM25 as the score.

Every hybrid result still carries its ``cosine`` (and ``keyword``) score, so thresholds on
relevance use the cosine in every mode but keyword-only.

The retriever talks to the index only through ``rag.core.protocols.Index``: keyword and hybrid modes
need an index that declares ``IndexCapability.KEYWORD``; without it they fail with
``UnsupportedCapabilityError`` instead of quietly returning dense results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from rag.boilerplate import EXTRA_CANDIDATES, demoted
from rag.core.errors import ConfigError, UnsupportedCapabilityError
from rag.core.protocols import Index, IndexCapability
from rag.core.types import Filter, ScoredChunk, SearchMode, SearchQuery


class RetrievalMode(StrEnum):
    DENSE = "dense"
    KEYWORD = "keyword"
    HYBRID = "hybrid"

    @classmethod
    def parse(cls, value: str | RetrievalMode) -> RetrievalMode:
        try:
            return cls(value)
        except ValueError:
            raise ConfigError(f"unknown retrieval mode {value!r}; choose dense, keyword or hybrid") from None


class Fusion(StrEnum):
    CONVEX = "convex"
    RRF = "rrf"


@dataclass(frozen=True)
class RetrievalSettings:
    mode: RetrievalMode = RetrievalMode.HYBRID
    fusion: Fusion = Fusion.CONVEX
    alpha: float = 0.5  # weight of the dense signal in convex fusion
    rrf_k: int = 60
    normalization: str = "minmax"  # convex fusion: "minmax" over the candidates, or "max" (0 stays 0)
    candidates: int = 100  # taken from each list before fusion (at least k)
    mmr_lambda: float = 0.5  # MMR trade-off: 1 = relevance only, 0 = diversity only

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", RetrievalMode.parse(self.mode))
        try:
            object.__setattr__(self, "fusion", Fusion(self.fusion))
        except ValueError:
            raise ConfigError(f"unknown fusion {self.fusion!r}; choose convex or rrf") from None
        if self.normalization not in _NORMALIZERS:
            raise ConfigError(f"unknown fusion normalization {self.normalization!r}; choose minmax or max")
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"alpha must be in [0, 1] (got {self.alpha})")
        if not 0 <= self.mmr_lambda <= 1:
            raise ConfigError(f"mmr_lambda must be in [0, 1] (got {self.mmr_lambda})")
        if self.candidates < 1 or self.rrf_k < 1:
            raise ConfigError("candidates and rrf_k must be at least 1")


class Retriever:
    def __init__(self, index: Index, settings: RetrievalSettings | None = None) -> None:
        self.index = index
        self.settings = settings or RetrievalSettings()

    def search(self, text: str, vector: np.ndarray | None, k: int, filter: Filter | None = None,
               mode: RetrievalMode | str | None = None, mmr: bool = False) -> list[ScoredChunk]:
        """Top ``k`` chunks. ``vector`` (the query embedding) is needed except in keyword mode."""
        mode = RetrievalMode.parse(mode or self.settings.mode)
        want = max(k, self.settings.candidates) if mmr else k
        if mode is not RetrievalMode.DENSE and IndexCapability.KEYWORD not in self.index.capabilities:
            raise UnsupportedCapabilityError(
                f"{mode.value} search needs keyword search, which a {self.index.kind!r} index does not offer; "
                "search in dense mode (retrieval_mode = \"dense\") or use an index kind with keyword search")
        if mode is not RetrievalMode.HYBRID:  # room to replace demoted boilerplate (hybrid reads more anyway)
            want += EXTRA_CANDIDATES
        if mode is RetrievalMode.DENSE:
            hits = demoted(self.index.search(SearchQuery(want, vector=_row(vector), filter=filter)), rescore=False)
        elif mode is RetrievalMode.KEYWORD:
            hits = self.index.search(SearchQuery(want, text=text, mode=SearchMode.KEYWORD, filter=filter))
            if vector is not None and hits:  # cosine too, so a min_score means the same in every mode
                cosines = self._cosines(_row(vector), [h.chunk.id for h in hits])
                hits = [ScoredChunk(h.chunk, h.score, h.rank, cosines.get(h.chunk.id), h.keyword) for h in hits]
            hits = demoted(hits, rescore=False)
        else:
            hits = self._hybrid(text, _row(vector), want, filter)
        if mmr and hits:
            hits = self._mmr(hits, k)
        return _reranked(hits[:k])

    def _hybrid(self, text: str, vector: np.ndarray, k: int, filter: Filter | None) -> list[ScoredChunk]:
        n = max(k, self.settings.candidates)
        dense = self.index.search(SearchQuery(n, vector=vector, filter=filter))
        keyword = self.index.search(SearchQuery(n, text=text, mode=SearchMode.KEYWORD, filter=filter))
        if not keyword:
            return demoted(dense, rescore=False)[:k]
        chunks = {h.chunk.id: h.chunk for h in (*dense, *keyword)}
        ids = list(chunks)
        cosine = {h.chunk.id: h.score for h in dense}
        missing = [i for i in ids if i not in cosine]
        if missing:
            cosine.update(self._cosines(vector, missing))
        bm25 = {h.chunk.id: h.score for h in keyword}
        unscored = [i for i in ids if i not in bm25]  # dense-only candidates: their BM25 (0 without a query term)
        if unscored:
            bm25.update((h.chunk.id, h.score) for h in self.index.search(
                SearchQuery(len(unscored), text=text, mode=SearchMode.KEYWORD, candidates=tuple(unscored))))
        if self.settings.fusion is Fusion.RRF:
            fused = {i: 0.0 for i in ids}
            for ranked in (dense, keyword):
                for rank, hit in enumerate(ranked, start=1):
                    fused[hit.chunk.id] += 1.0 / (self.settings.rrf_k + rank)
        else:
            normalize = _NORMALIZERS[self.settings.normalization]
            dense_norm = normalize(np.array([cosine[i] for i in ids]))
            keyword_norm = normalize(np.array([bm25.get(i, 0.0) for i in ids]))
            alpha = self.settings.alpha
            fused = dict(zip(ids, (alpha * dense_norm + (1 - alpha) * keyword_norm).tolist(), strict=True))
        order = sorted(ids, key=lambda i: (-fused[i], -cosine[i], i))  # ties: higher cosine, then lower id
        hits = [ScoredChunk(chunks[i], float(fused[i]), r, cosine=float(cosine[i]), keyword=bm25.get(i))
                for r, i in enumerate(order, start=1)]
        return demoted(hits, rescore=True)[:k]

    def _cosines(self, vector: np.ndarray, ids: Sequence[int]) -> dict[int, float]:
        """The exact cosine of each of these chunks to the query."""
        hits = self.index.search(SearchQuery(len(ids), vector=vector, candidates=tuple(ids)))
        return {h.chunk.id: h.score for h in hits}

    def _mmr(self, hits: list[ScoredChunk], k: int) -> list[ScoredChunk]:
        """Maximal marginal relevance: each pick trades relevance against similarity to earlier picks."""
        vectors = self.index.vectors_of([h.chunk.id for h in hits])
        # Relevance is the query similarity (cosine), as in the original MMR; keyword-only hits lack it.
        if all(h.cosine is not None for h in hits):
            relevance = np.array([h.cosine for h in hits])
        else:
            relevance = _min_max(np.array([h.score for h in hits]))
        lam = self.settings.mmr_lambda
        chosen: list[int] = []
        closest = np.full(len(hits), -np.inf)
        for _ in range(min(k, len(hits))):
            value = lam * relevance - (1 - lam) * np.where(np.isinf(closest), 0.0, closest)
            value[chosen] = -np.inf
            pick = int(np.argmax(value))
            chosen.append(pick)
            closest = np.maximum(closest, vectors @ vectors[pick])
        return [hits[i] for i in chosen]


def documents_only(hits: Sequence[ScoredChunk], k: int) -> list[ScoredChunk]:
    """The best chunk of each document, best first: document-level results from chunk results."""
    seen: set[str] = set()
    best = []
    for hit in hits:
        if hit.chunk.document_id not in seen:
            seen.add(hit.chunk.document_id)
            best.append(hit)
    return _reranked(best[:k])


def _reranked(hits: Sequence[ScoredChunk]) -> list[ScoredChunk]:
    return [h if h.rank == r else ScoredChunk(h.chunk, h.score, r, h.cosine, h.keyword)
            for r, h in enumerate(hits, start=1)]


def _row(vector: np.ndarray | None) -> np.ndarray:
    """The query embedding as one float32 row vector."""
    if vector is None:
        raise ConfigError("dense and hybrid search need the query vector")
    return np.asarray(vector, dtype=np.float32).reshape(-1)


def _min_max(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.ones_like(values)


def _to_max(values: np.ndarray) -> np.ndarray:
    """Scaled by the best candidate, with the theoretical floor 0 kept at 0 (negative cosines clip to 0).

    Unlike min-max, close scores stay close: over a handful of candidates min-max stretches a BM25
    spread of 4.1..4.8 to 0..1 and lets the noise decide ("theoretical min-max", Bruch et al. 2023).
    """
    clipped = np.maximum(values, 0.0)
    high = float(clipped.max())
    return clipped / high if high > 0 else np.zeros_like(values)


_NORMALIZERS = {"minmax": _min_max, "max": _to_max}
