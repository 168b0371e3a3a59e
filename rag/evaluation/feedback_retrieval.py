"""Retrieval quality on a feedback evaluation set, against the index the feedback was given on.

Judged at chunk level (the user marked chunks, not whole documents): each item's relevant chunk
references are resolved to the current index first (``feedback_set.ChunkResolver``: same id and
text, or the chunk that now holds that text), then the item's retrieval query is run and nDCG@10,
Recall@10/100 and MRR@10 are computed over chunk ids. Items whose relevant chunks are all gone are
left out and counted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from rag.api import RAG
from rag.evaluation.feedback_set import ChunkResolver, FeedbackItem, resolve_chunks
from rag.evaluation.retrieval import score_rankings
from rag.retrieval import RetrievalMode

CHUNKS_PER_QUERY = 100  # Recall@100 needs a ranking this long


def run_feedback_retrieval(rag: RAG, items: Sequence[FeedbackItem],
                           modes: Sequence[RetrievalMode | str | None] = (None,)) -> dict[str, Any]:
    """Metrics per mode (first mode's also at the top level, like ``run_beir``)."""
    started = time.perf_counter()
    resolver = ChunkResolver(rag.chunks, rag.chunk_ids)
    qrels: dict[str, dict[str, int]] = {}
    queries: dict[str, str] = {}
    gone_items = moved = gone = 0
    for item in items:
        if not item.relevant:
            continue
        refs, item_moved, item_gone = resolve_chunks(item.relevant, resolver)
        moved, gone = moved + item_moved, gone + item_gone
        if not refs:
            gone_items += 1
            continue
        qrels[item.id] = {str(ref.chunk_id): 1 for ref in refs}
        queries[item.id] = item.query or item.question
    ids = list(queries)
    per_mode: dict[str, dict[str, float]] = {}
    for mode in modes:
        name = str(RetrievalMode.parse(mode or rag.settings.retrieval_mode))
        mode_started = time.perf_counter()
        hits = rag.search_many([queries[q] for q in ids], CHUNKS_PER_QUERY, mode=name) if ids else []
        rankings = {q: [str(h.chunk.id) for h in found] for q, found in zip(ids, hits, strict=True)}
        per_mode[name] = score_rankings(rankings, qrels) if ids else {
            "ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
        per_mode[name]["query_seconds"] = time.perf_counter() - mode_started
    first = next(iter(per_mode.values()))
    return {**first, "mode": next(iter(per_mode)), "seconds": time.perf_counter() - started, "queries": len(ids),
            "items": len(items), "without_judgments": len(items) - len(ids) - gone_items,
            "judgments_gone": gone_items, "chunks_moved": moved, "chunks_gone": gone, "modes": per_mode}
