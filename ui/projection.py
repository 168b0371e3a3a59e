"""The embedding-space picture: the query, its sources and a sample of other chunks, projected to 2-D.

PCA through numpy's SVD: the two directions of greatest variance among exactly these points, so the
query's neighbourhood spreads out. Distances in the picture are a projection; the cosine scores in
the hover text are the real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag import RAG, Answer, source_title
from ui.sources import cosine_of

ROLES = ("query", "cited source", "retrieved source", "other chunk")


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """Rows projected onto their first two principal components (zeros when there is no spread)."""
    data = np.asarray(vectors, dtype=np.float64)
    if data.ndim != 2 or len(data) == 0:
        return np.zeros((0, 2))
    centred = data - data.mean(axis=0)
    if len(data) < 2 or not np.any(centred):
        return np.zeros((len(data), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    projected = centred @ components.T
    if projected.shape[1] < 2:  # a single direction of spread
        projected = np.hstack([projected, np.zeros((len(data), 2 - projected.shape[1]))])
    return projected


def embedding_points(rag: RAG, answer: Answer, sample: int = 150, seed: int = 0) -> list[dict[str, Any]]:
    """Plot rows (x, y, role, label, score, text) for the answer's query, sources and up to ``sample`` others."""
    if not rag.exists or not answer.query:
        return []
    query = np.asarray(rag.embedder.embed_query(answer.query), dtype=np.float32)
    cited = {c.number for c in answer.citations}
    sources = [(n, s) for n, s in enumerate(answer.sources, start=1) if s.chunk.id >= 0]  # index chunks only
    source_ids = [s.chunk.id for _, s in sources]
    others = _sample_ids(rag.chunk_ids(), set(source_ids), sample, seed)
    ids = source_ids + others
    vectors = rag.vectors_of(ids) if ids else np.zeros((0, query.shape[0]), dtype=np.float32)
    xy = pca_2d(np.vstack([query[None, :], vectors]))
    points = [_point(xy[0], "query", "query", 1.0, answer.query)]
    for row, (number, scored) in zip(xy[1:], sources, strict=False):
        role = "cited source" if number in cited else "retrieved source"
        points.append(_point(row, role, f"[{number}] {source_title(scored)}", cosine_of(scored), scored.chunk.text))
    texts = {chunk.id: chunk for chunk in rag.chunks(others)}
    other_vectors = vectors[len(source_ids):]
    for row, chunk_id, vector in zip(xy[1 + len(source_ids):], others, other_vectors, strict=False):
        chunk = texts.get(chunk_id)
        title = str((chunk.metadata.get("title") or chunk.document_id) if chunk else chunk_id)
        points.append(_point(row, "other chunk", title, float(vector @ query), chunk.text if chunk else ""))
    return points


def _sample_ids(all_ids: Sequence[int] | np.ndarray, exclude: set[int], sample: int, seed: int) -> list[int]:
    pool = [int(i) for i in np.asarray(all_ids).tolist() if int(i) not in exclude]
    if len(pool) <= sample:
        return pool
    rng = np.random.default_rng(seed)  # a fixed seed: the same answer draws the same picture
    return sorted(int(i) for i in rng.choice(pool, size=sample, replace=False))


def _point(xy: np.ndarray, role: str, label: str, score: float, text: str) -> dict[str, Any]:
    flat = " ".join(text.split())
    return {"x": float(xy[0]), "y": float(xy[1]), "role": role, "label": label, "cosine": round(float(score), 3),
            "text": flat[:160] + ("…" if len(flat) > 160 else "")}
