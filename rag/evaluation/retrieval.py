"""Retrieval evaluation with BEIR/MTEB conventions: nDCG@10, Recall@10/100, MRR@10.

Document score = best chunk score; a retrieved document whose id equals the query id is
ignored (BEIR does this for data sets where queries are also documents).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.api import RAG
from rag.config import Settings
from rag.core.types import ScoredChunk
from rag.evaluation.beir import BeirDataset, load_beir
from rag.retrieval import RetrievalMode

Ranking = list[tuple[str, float]]  # (document id, score), best first


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted.intersection(ranking[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    for i, doc in enumerate(ranking[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def score_rankings(rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> dict[str, float]:
    """Mean metrics over every judged query (a query with no ranking scores zero)."""
    metrics = {"ndcg@10": (ndcg_at, 10), "recall@10": (recall_at, 10), "recall@100": (recall_at, 100),
               "mrr@10": (mrr_at, 10)}
    return {name: float(np.mean([fn(rankings.get(q, []), rel, k) for q, rel in qrels.items()]))
            for name, (fn, k) in metrics.items()}


def documents_from_chunks(hits: Sequence[ScoredChunk], query_id: str | None = None, limit: int = 100) -> Ranking:
    """Best chunk per document, best first, skipping the query's own id."""
    best: dict[str, float] = {}
    for hit in hits:
        doc = hit.chunk.document_id
        if doc != query_id and hit.score > best.get(doc, -math.inf):
            best[doc] = hit.score
    return sorted(best.items(), key=lambda item: -item[1])[:limit]


def evaluate(rag: RAG, dataset: BeirDataset, chunked: bool, mode: RetrievalMode | str | None = None,
             mmr: bool = False) -> dict[str, float]:
    """Metrics for one retrieval mode on an index that holds the data set's corpus."""
    # With chunks, fetch enough chunks that 100 distinct documents remain after grouping.
    k_chunks = 1000 if chunked else 101
    ids = list(dataset.queries)
    hits = rag.search_many([dataset.queries[q] for q in ids], k_chunks, mode=mode, mmr=mmr)
    rankings = {q: [doc for doc, _ in documents_from_chunks(h, q)] for q, h in zip(ids, hits, strict=True)}
    return score_rankings(rankings, dataset.qrels)


def run_beir(folder: str | Path, split: str = "test", chunk: bool = True, index_dir: str | Path | None = None,
             settings: Settings | None = None, modes: Sequence[RetrievalMode | str | None] = (None,),
             progress: bool = False) -> dict[str, Any]:
    """Index a BEIR corpus (reusing ``index_dir`` incrementally if given), run its queries in each mode.

    Returns the first mode's metrics at the top level (plus ``seconds``), and every mode's under ``modes``.
    """
    started = time.perf_counter()
    dataset = load_beir(folder, split)
    per_mode: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ragloom-beir-") as tmp:
        path = Path(index_dir) if index_dir else Path(tmp) / "index"
        with RAG(path, settings=settings) as rag:
            report = rag.ingest(list(dataset.corpus.values()), sync="full", chunk=chunk, progress=progress)
            indexed = time.perf_counter()
            for mode in modes:
                name = str(RetrievalMode.parse(mode or rag.settings.retrieval_mode))
                mode_started = time.perf_counter()
                per_mode[name] = evaluate(rag, dataset, chunked=chunk, mode=name)
                per_mode[name]["query_seconds"] = time.perf_counter() - mode_started
    first = next(iter(per_mode.values()))
    return {**first, "mode": next(iter(per_mode)), "seconds": time.perf_counter() - started,
            "index_seconds": indexed - started, "queries": len(dataset.queries), "documents": len(dataset.corpus),
            "chunks": report.chunks, "chunked": chunk, "split": split, "modes": per_mode}
