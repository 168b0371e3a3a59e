"""ragloom's bench worker (runs in ragloom's own venv): the same task/result protocol as the peers'
workers in ``bench/peers`` (``python bench/ragloom_worker.py TASK.json RESULT.json``)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from worker_common import WARM_QUERY, ingest_and_query, peak_rss_mb, percentile, read_json, run  # noqa: E402

ANN_SWEEP = {"hnsw": (16, 32, 64, 128, 256), "ivf": (4, 8, 16, 32, 64, 128)}
TARGET_RECALL = 0.95


def ingest_query(task: dict[str, Any]) -> dict[str, Any]:
    from rag import RAG, Document
    from rag.embeddings import create_embedder

    embedder = create_embedder()

    def build(texts: list[str], folder: Path) -> Any:
        rag = RAG(folder / "ragloom", embedder=embedder)
        rag.ingest([Document(f"c{i}", t) for i, t in enumerate(texts)], chunk=False)
        return rag

    mode = task.get("ragloom_mode", "dense")  # dense = the peers' cosine top-k; ragloom's default is hybrid

    def query(rag: Any, text: str, k: int) -> list[int]:
        return [int(hit.chunk.document_id[1:]) for hit in rag.search(text, k=k, mode=mode)]

    def warm() -> None:
        embedder.warm_up()
        embedder.embed_query(WARM_QUERY)

    result = ingest_and_query(task, build, query, warm)
    if task.get("dump_vectors"):  # real chunk vectors, the seed of the index-only workload's collection
        rag = RAG(Path(task["folder"]) / "ragloom", embedder=embedder)
        np.save(task["dump_vectors"], rag.index.vectors_of(rag.index.chunk_ids().tolist()))
        rag.close()
    result["embedder"] = f"{type(embedder).__name__}({embedder.name})"
    result["retrieval_mode"] = mode
    return result


def ingest_folder(task: dict[str, Any]) -> dict[str, Any]:
    """``RAG(folder).ingest([corpus])`` on a folder of mixed files (bench/mixed_formats.py), then the queries.

    The embedder is loaded and warmed first, as in ``ingest_query``: the timing is reading, parsing,
    chunking, embedding, indexing and saving. Hits come back as chunk texts; the caller maps them to
    their source abstract the same way for every system.
    """
    from rag import RAG
    from rag.embeddings import create_embedder

    embedder = create_embedder()
    embedder.warm_up()
    embedder.embed_query(WARM_QUERY)
    rss_loaded = peak_rss_mb()
    started = time.perf_counter()
    rag = RAG(Path(task["folder"]) / "ragloom", embedder=embedder)
    report = rag.ingest([task["corpus"]])
    ingest_seconds = time.perf_counter() - started
    rss_ingest = peak_rss_mb()
    mode = task.get("ragloom_mode", "dense")  # dense = LangChain's FAISS cosine top-k
    queries: list[str] = read_json(task["queries"])
    rag.search(WARM_QUERY, k=task["k"], mode=mode)
    tops, latencies = [], []
    for text in queries:
        start = time.perf_counter()
        hits = rag.search(text, k=task["k"], mode=mode)
        latencies.append((time.perf_counter() - start) * 1000)
        tops.append([hit.chunk.text for hit in hits])
    records = rag.documents()
    files = {str(r.metadata.get("source", r.source_id)) for r in records}
    by_format = dict(Counter(Path(file).suffix.lstrip(".") for file in files))
    failures: dict[str, list[dict[str, str]]] = {}
    for error in report.errors:  # skipped files and parts, by the file's suffix
        suffix = Path(error["source"].split("#", 1)[0]).suffix.lstrip(".") or "(none)"
        failures.setdefault(suffix, []).append(error)
    rag.close()
    return {"ingest_seconds": ingest_seconds, "files": len(files), "files_by_format": by_format,
            "documents": len(records), "chunks": report.chunks, "failures": failures, "tops": tops,
            "query_p50_ms": percentile(latencies, 50),
            "rss_models_loaded_mb": rss_loaded, "peak_rss_ingest_mb": rss_ingest,
            "embedder": f"{type(embedder).__name__}({embedder.name})", "retrieval_mode": mode}


def index_only(task: dict[str, Any]) -> dict[str, Any]:
    """Vector index + a real query embedding per query (the chunk-store lookup, ~0.2 ms, is left out)."""
    from indexes.faiss_kinds import new_vectors
    from rag.embeddings import create_embedder

    embedder = create_embedder()
    embedder.warm_up()
    embedder.embed_query(WARM_QUERY)
    vectors = np.load(task["vectors"])
    queries: list[str] = read_json(task["queries"])
    query_vectors = np.vstack([embedder.embed_query(q) for q in queries])
    ids = np.arange(len(vectors), dtype=np.int64)
    result: dict[str, Any] = {"n": len(vectors), "kinds": {}}
    truth: np.ndarray | None = None
    for kind in task["kinds"]:
        started = time.perf_counter()
        index = new_vectors(kind, vectors.shape[1])
        index.add(ids, vectors)
        build_seconds = time.perf_counter() - started
        settings = ANN_SWEEP.get(kind, (None,))
        sweep = []
        for setting in settings:
            found = _search(index, kind, setting, query_vectors)
            if kind == "flat":
                truth = found
            recall = _recall(found, truth) if truth is not None else None
            latencies = []
            for text in queries:
                _forget_queries(embedder)  # the sweep repeats queries: each timing includes embedding
                start = time.perf_counter()
                _search(index, kind, setting, embedder.embed_query(text)[None, :])
                latencies.append((time.perf_counter() - start) * 1000)
            sweep.append({"setting": setting, "recall_at_10": recall, "query_p50_ms": percentile(latencies, 50),
                          "query_p95_ms": percentile(latencies, 95)})
            if recall is not None and recall >= TARGET_RECALL:
                break  # the fastest setting that reaches the target recall
        best = sweep[-1]
        result["kinds"][kind] = {"build_seconds": build_seconds, **best, "sweep": sweep,
                                 "param": {"hnsw": "ef_search", "ivf": "nprobe"}.get(kind)}
        del index
    return result


def _forget_queries(embedder: Any) -> None:
    from rag import embeddings

    embeddings._cached_query.cache_clear()  # the torch embedder's cache
    getattr(embedder, "_queries", {}).clear()  # the ONNX embedder's


def _search(index: Any, kind: str, setting: int | None, queries: np.ndarray) -> np.ndarray:
    if setting is not None:
        setattr(index, "nprobe" if kind == "ivf" else "ef_search", setting)
    return index.search(queries, 10)[1]


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found.tolist(), truth.tolist(), strict=True)]))


def ask(task: dict[str, Any]) -> dict[str, Any]:
    """Time to first token and tokens/s of ``rag.stream`` with ``create_generator()``'s defaults.

    Real questions with their answers in the index: rag-mini-wikipedia's first questions (about
    Lincoln) over the passages that mention Lincoln plus a few hundred others, so every timed
    question goes through the model (a refused question would time the refusal, not the model).
    """
    from rag import RAG
    from rag.cli.eval_qa_command import read_passages
    from rag.embeddings import create_embedder
    from rag.evaluation.qa import read_questions

    folder = Path(task["qa_data"])
    passages = [d for n, d in enumerate(read_passages(folder / "passages.csv"))
                if "Lincoln" in d.text or n < task.get("ask_passages", 300)]
    questions = [item.question for item in read_questions(folder / "questions.csv", task.get("ask_questions", 5))]
    try:
        from rag.generation import create_generator

        generator = create_generator()
        generator.warm_up()
    except Exception as exc:  # not installed, model missing: recorded, not fatal
        return {"ttft_seconds": None, "tokens_per_second": None, "reason": f"{type(exc).__name__}: {exc}"}
    rag = RAG(Path(task["folder"]) / "ragloom-ask", embedder=create_embedder(), generator=generator)
    rag.ingest(passages)
    rag.warm_up()
    rag.ask("Who was Abraham Lincoln?")  # warm: loads the model and caches the system prompt and examples
    first, rates, totals, refused = [], [], [], 0
    for question in questions:
        started = time.perf_counter()
        first_token = None
        answer = None
        for piece in rag.stream(question):
            if isinstance(piece, str):
                first_token = first_token or time.perf_counter() - started
            else:
                answer = piece
        totals.append(time.perf_counter() - started)
        if answer is None or answer.refused:
            refused += 1
            continue
        first.append(first_token if first_token is not None else totals[-1])
        rates.append(answer.timings.tokens_per_second)
    if not first:
        return {"ttft_seconds": None, "tokens_per_second": None, "reason": "every question was refused"}
    return {"ttft_seconds": float(np.median(first)), "tokens_per_second": float(np.median(rates)),
            "total_seconds": float(np.median(totals)), "questions": len(questions), "refused": refused,
            "passages": len(passages), "generator": generator.name, "ttft_all": first}


if __name__ == "__main__":
    run({"ingest_query": ingest_query, "ingest_folder": ingest_folder, "index": index_only, "ask": ask})
