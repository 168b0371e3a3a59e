"""nDCG@10 on SciFact (one chunk per document, exact search) for each embedder backend, so a fast
path is chosen only where retrieval quality holds.

    python bench/quality.py [--backends torch,onnx-int8,onnx-fp32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import RESULTS, SHARED  # noqa: E402
from rag.core.protocols import Embedder  # noqa: E402
from rag.embeddings import SentenceTransformerEmbedder
from rag.evaluation.beir import load_beir  # noqa: E402
from rag.evaluation.retrieval import score_rankings  # noqa: E402
from rag.onnx_embedder import OnnxEmbedder  # noqa: E402


def make(backend: str) -> Embedder:
    if backend == "torch":
        return SentenceTransformerEmbedder()
    if backend == "onnx-int8":
        return OnnxEmbedder(quantize="int8")
    if backend == "onnx-fp32":
        return OnnxEmbedder(quantize=None)
    raise SystemExit(f"unknown backend {backend!r}")


def evaluate(embedder: Embedder, folder: Path) -> dict[str, Any]:
    data = load_beir(folder, "test")
    doc_ids = list(data.corpus)
    started = time.perf_counter()
    docs = embedder.embed_documents([data.corpus[d].text for d in doc_ids])
    embed_seconds = time.perf_counter() - started
    query_ids = list(data.queries)
    queries = np.vstack([embedder.embed_query(data.queries[q]) for q in query_ids])
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :100]
    rankings = {q: [doc_ids[j] for j in row] for q, row in zip(query_ids, top, strict=True)}
    return {**score_rankings(rankings, data.qrels), "embed_seconds": embed_seconds, "vectors": docs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="torch,onnx-int8")
    parser.add_argument("--beir", default=str(SHARED / "scifact"))
    args = parser.parse_args()
    results: dict[str, Any] = {}
    vectors: dict[str, np.ndarray] = {}
    for backend in args.backends.split(","):
        embedder = make(backend)
        embedder.warm_up()
        result = evaluate(embedder, Path(args.beir))
        vectors[backend] = result.pop("vectors")
        results[backend] = result
        print(backend, json.dumps(result), file=sys.stderr, flush=True)
    if "torch" in vectors:
        for backend, matrix in vectors.items():
            cos = (matrix * vectors["torch"]).sum(axis=1)
            results[backend]["cosine_to_torch"] = {"min": float(cos.min()), "mean": float(cos.mean())}
            results[backend]["ndcg_delta_vs_torch"] = results[backend]["ndcg@10"] - results["torch"]["ndcg@10"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quality-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
