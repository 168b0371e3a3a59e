"""What every bench worker shares (peers and ragloom alike). Standard library, numpy and faiss only:
peer workers run in ``bench/.peers-venv``, where ragloom is not installed.

A worker is ``python <worker>.py TASK.json RESULT.json``: it reads the task, runs one workload
in this fresh process, and writes a JSON result with its peak RSS (``ru_maxrss`` of this process).
Only ``save`` paths are written; nothing is ever loaded back with pickle.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

Handler = Callable[[dict[str, Any]], dict[str, Any]]
WARM_QUERY = "a warm-up question that is not among the timed ones"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def ingest_and_query(task: dict[str, Any], build: Callable[[list[str], Path], Any],
                     query: Callable[[Any, str, int], list[int]], warm: Callable[[], None]) -> dict[str, Any]:
    """Time ``build`` (embed + index + save, models already loaded), then each query one at a time.

    ``query`` returns the chunk numbers (positions in the chunk list) of its top ``k``.
    """
    texts: list[str] = read_json(task["chunks"])
    queries: list[str] = read_json(task["queries"])
    k = int(task.get("k", 10))
    warm()
    rss_loaded = peak_rss_mb()
    started = time.perf_counter()
    store = build(texts, Path(task["folder"]))
    ingest_seconds = time.perf_counter() - started
    rss_ingest = peak_rss_mb()
    query(store, WARM_QUERY, k)
    latencies: list[float] = []
    tops: list[list[int]] = []
    query_started = time.perf_counter()
    for text in queries:
        start = time.perf_counter()
        top = query(store, text, k)
        latencies.append((time.perf_counter() - start) * 1000)
        tops.append(top)
    query_seconds = time.perf_counter() - query_started
    return {
        "chunks": len(texts), "ingest_seconds": ingest_seconds, "queries": len(queries),
        "query_ms": latencies, "query_p50_ms": percentile(latencies, 50), "query_p95_ms": percentile(latencies, 95),
        "queries_per_second": len(queries) / query_seconds, "tops": tops,
        "rss_models_loaded_mb": rss_loaded, "peak_rss_ingest_mb": rss_ingest,
    }


def run(handlers: dict[str, Handler]) -> None:
    task = read_json(sys.argv[1])
    workload = task["workload"]
    if workload not in handlers:
        result: dict[str, Any] = {"error": f"workload {workload!r} not supported by this worker"}
    else:
        result = handlers[workload](task)
    result["workload"] = workload
    result["peak_rss_mb"] = peak_rss_mb()
    Path(sys.argv[2]).write_text(json.dumps(result) + "\n", encoding="utf-8")
