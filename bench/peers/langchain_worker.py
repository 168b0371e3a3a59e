"""LangChain: ``HuggingFaceEmbeddings`` (sentence-transformers) + the ``FAISS`` vector store.

Ingest = ``FAISS.from_texts`` + ``save_local``. The index is never loaded back (``load_local``
would need its unsafe-deserialisation opt-in: its docstore is a pickle).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from worker_common import WARM_QUERY, ingest_and_query, read_json, run


def embeddings(task: dict[str, Any]) -> Any:
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=task["model_path"], model_kwargs={"device": "cpu"},
                                 encode_kwargs={"normalize_embeddings": True, "batch_size": task["batch"]})


def ingest_query(task: dict[str, Any]) -> dict[str, Any]:
    from langchain_community.vectorstores import FAISS

    model = embeddings(task)

    def build(texts: list[str], folder: Path) -> Any:
        store = FAISS.from_texts(texts, model, metadatas=[{"i": i} for i in range(len(texts))])
        store.save_local(str(folder / "langchain"))
        return store

    def query(store: Any, text: str, k: int) -> list[int]:
        return [d.metadata["i"] for d, _ in store.similarity_search_with_score(text, k=k)]

    return ingest_and_query(task, build, query, lambda: model.embed_query(WARM_QUERY) and None)


def index_only(task: dict[str, Any]) -> dict[str, Any]:
    """Precomputed vectors into LangChain's FAISS store (exact; its only index), queries embedded live."""
    import time

    from langchain_community.vectorstores import FAISS
    from worker_common import percentile

    model = embeddings(task)
    model.embed_query(WARM_QUERY)
    vectors = np.load(task["vectors"], mmap_mode="r")
    queries: list[str] = read_json(task["queries"])
    started = time.perf_counter()
    pairs = ((str(i), vectors[i].tolist()) for i in range(len(vectors)))
    store = FAISS.from_embeddings(pairs, model, distance_strategy="MAX_INNER_PRODUCT")
    build_seconds = time.perf_counter() - started
    latencies = []
    for text in queries:
        start = time.perf_counter()
        store.similarity_search_with_score(text, k=10)
        latencies.append((time.perf_counter() - start) * 1000)
    return {"n": len(vectors), "kinds": {"flat": {"build_seconds": build_seconds, "recall_at_10": 1.0,
                                                  "query_p50_ms": percentile(latencies, 50),
                                                  "query_p95_ms": percentile(latencies, 95)}}}


if __name__ == "__main__":
    run({"ingest_query": ingest_query, "index": index_only})
