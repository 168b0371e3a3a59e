"""Outgrowing one machine, measured on this one: ingest local vs Ray, and search at 100k for every index kind.

    flock /tmp/ragloom-bench.lock python bench/scale.py [--docs 600] [--runs 2] [--vectors 100000]

1. Ingest throughput: SciFact abstracts written as text files, ingested into a new flat index by
   one process (``local``), and through ``--ray`` on a Ray cluster of 1 node x 2 CPUs and of 2
   nodes x 1 CPU (both on this 2-core machine, so Ray can only add overhead here: the point is
   how much). Runs alternate local / Ray on the same cluster; medians. Cluster start-up is
   reported apart; each Ray run includes starting its actors (each loads the embedder).
2. Search at ``--vectors`` chunks: synthetic vectors made from real chunk embeddings plus noise
   (``bench.data.make_vectors``), real SciFact claim embeddings as queries, exact top 10 by brute
   force as ground truth. Each kind (FAISS flat / ivf / hnsw, Milvus Lite HNSW) is built through
   ``indexes.factory``, then opened in a fresh child process that reports the memory the open
   index adds (RSS), single-query latency through ``Index.search`` (one FAISS thread) and recall@10.

Writes ``bench/results/scale-<time>.json`` (and ``scale-latest.json``) and prints tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # Ray nodes on 127.0.0.1 only
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import median, percentile, print_table, write_results  # noqa: E402
from bench.data import SCIFACT, make_vectors  # noqa: E402

DIM = 384
QUERIES = 200
WARM_UP = 10
FILTERED_QUERIES = 10  # Milvus Lite evaluates JSON filters in Python: seconds per query at 100k
KINDS = [("flat", {}), ("ivf", {}), ("hnsw", {}), ("milvus", {"milvus_index": "HNSW"})]


def write_corpus(docs: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= docs:
                break
            row = json.loads(line)
            (folder / f"{row['_id']}.txt").write_text(f"{row.get('title', '')}\n\n{row['text']}\n", encoding="utf-8")


def ingest_once(folder: Path, target: Path, ray: str | None) -> dict[str, Any]:
    from rag import RAG
    from rag.config import Settings

    with RAG(target, settings=Settings(index_kind="flat")) as rag:
        started = time.perf_counter()
        report = rag.ingest([folder], ray=ray)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "chunks": report.chunks, "documents": report.added}


def start_cluster(nodes: int) -> tuple[Any, float]:
    from ray.cluster_utils import Cluster

    node = {"node_ip_address": "127.0.0.1", "object_store_memory": 100 * 1024**2}
    started = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={**node, "num_cpus": 2 // nodes, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(**node, num_cpus=2 // nodes)
    cluster.wait_for_nodes()
    return cluster, time.perf_counter() - started


def warm_ingest(docs: int, work: Path) -> Path:
    """One local ingest: warms the model caches, and its chunk vectors seed the search bench."""
    folder = work / "corpus"
    write_corpus(docs, folder)
    ingest_once(folder, work / "warm", None)
    return folder


def bench_ingest(docs: int, runs: int, work: Path, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"documents": docs, "configs": {}}
    local: list[dict[str, Any]] = []
    for nodes in (1, 2):
        cluster, startup = start_cluster(nodes)
        name = f"ray-{nodes}-node{'s' if nodes > 1 else ''}"
        ray_runs = []
        try:
            for run in range(runs):
                local.append(ingest_once(folder, work / f"local-{nodes}-{run}", None))
                ray_runs.append(ingest_once(folder, work / f"{name}-{run}", cluster.address))
        finally:
            cluster.shutdown()
        results["configs"][name] = {"cluster_start_seconds": startup, "runs": ray_runs}
    results["configs"]["local"] = {"runs": local}
    for config in results["configs"].values():
        seconds = median([r["seconds"] for r in config["runs"]])
        config["median_seconds"] = seconds
        config["chunks_per_second"] = config["runs"][0]["chunks"] / seconds
    return results


def base_vectors(work: Path) -> tuple[np.ndarray, np.ndarray]:
    """Real chunk embeddings (from the ingest bench's index) and real query embeddings."""
    from rag import RAG
    from rag.embeddings import create_embedder

    with RAG(work / "warm") as rag:
        base = rag.vectors_of(rag.chunk_ids())
    embedder = create_embedder()
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as handle:
        claims = [json.loads(line)["text"] for line in handle][:QUERIES]
    queries = np.stack([embedder.embed_query(c) for c in claims]).astype(np.float32)
    return base, queries


def exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    top = np.empty((len(queries), 10), dtype=np.int64)
    for start in range(0, len(queries), 20):  # 20 x 1M scores at a time, not 200 x 1M
        for row, scores in enumerate(queries[start:start + 20] @ vectors.T, start=start):
            best = np.argpartition(-scores, 10)[:10]
            top[row] = best[np.argsort(-scores[best])]
    return top + 1  # chunk ids start at 1


def build(kind: str, options: dict[str, Any], folder: Path, vectors: np.ndarray) -> dict[str, Any]:
    from indexes.factory import create_index
    from rag.core.types import DocumentRecord, NewChunk

    started = time.perf_counter()
    index = create_index(kind, folder, embedder="bench", dimension=DIM, **options)
    per_doc = 100
    batch = 10_000
    for start in range(0, len(vectors), batch):
        rows = vectors[start:start + batch]
        items = [(DocumentRecord(f"d{start + d}", "h", {"part": (start + d) // per_doc % 10}, per_doc, "t"),
                  [NewChunk(f"chunk {start + d + c}", 0, 1, {"part": (start + d) // per_doc % 10})
                   for c in range(min(per_doc, len(rows) - d))])
                 for d in range(0, len(rows), per_doc)]
        index.upsert(items, rows)
    index.save()
    seconds = time.perf_counter() - started
    size = index.size_bytes()
    index.close()
    return {"build_seconds": seconds, "disk_bytes": size}


def search_child(folder: str, queries_file: str, truth_file: str, options: str) -> None:
    """In a fresh process: RSS added by opening the index, latency and recall@10 of single queries."""
    import faiss
    import psutil

    from indexes.factory import open_index
    from rag.core.types import SearchQuery

    # One FAISS thread for single queries, in every kind (Milvus Lite searches with FAISS in this process
    # too): on a loaded 2-core machine two OpenMP threads spin-wait, 5k flat took 26 ms instead of 1 ms.
    faiss.omp_set_num_threads(1)
    queries, truth = np.load(queries_file), np.load(truth_file)
    process = psutil.Process()
    before = process.memory_info().rss
    index = open_index(folder, embedder="bench", **json.loads(options))
    for query in queries[:WARM_UP]:
        index.search(SearchQuery(10, vector=query))
    opened = process.memory_info().rss
    latencies, found = [], 0
    for query, expected in zip(queries, truth, strict=True):
        started = time.perf_counter()
        hits = index.search(SearchQuery(10, vector=query))
        latencies.append((time.perf_counter() - started) * 1000)
        found += len({h.chunk.id for h in hits} & set(expected.tolist()))
    started = time.perf_counter()
    for query in queries[:FILTERED_QUERIES]:
        index.search(SearchQuery(10, vector=query, filter={"part": 3}))  # a tenth of the chunks
    filtered_ms = (time.perf_counter() - started) * 1000 / FILTERED_QUERIES
    index.close()
    print(json.dumps({"rss_bytes": opened - before, "p50_ms": percentile(latencies, 50),
                      "p95_ms": percentile(latencies, 95), "recall_at_10": found / (10 * len(queries)),
                      "filtered_mean_ms": filtered_ms}))


def bench_search(n: int, work: Path, kinds: list[str]) -> dict[str, Any]:
    base, queries = base_vectors(work)
    vectors = np.load(make_vectors(base, n, work / "vectors.npy"))
    truth = exact_top10(vectors, queries)
    np.save(work / "queries.npy", queries)
    np.save(work / "truth.npy", truth)
    results: dict[str, Any] = {"vectors": n, "queries": len(queries), "base_chunks": len(base), "kinds": {}}
    for kind, options in [(k, o) for k, o in KINDS if k in kinds]:
        label = kind if kind != "milvus" else f"milvus-lite {options['milvus_index']}"
        folder = work / f"index-{kind}"
        built = build(kind, options, folder, vectors)
        child = subprocess.run([sys.executable, __file__, "--search-child", str(folder), str(work / "queries.npy"),
                                str(work / "truth.npy"), json.dumps({})], capture_output=True, text=True, check=True)
        results["kinds"][label] = {**built, **json.loads(child.stdout.strip().splitlines()[-1])}
        print(f"  {label}: {results['kinds'][label]}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=600, help="SciFact abstracts for the ingest bench")
    parser.add_argument("--runs", type=int, default=2, help="runs per ingest config (alternating)")
    parser.add_argument("--vectors", type=int, default=100_000, help="collection size for the search bench")
    parser.add_argument("--kinds", default=",".join(k for k, _ in KINDS), help="index kinds for the search bench")
    parser.add_argument("--no-ingest", action="store_true", help="only the search bench (results: scale-search-N)")
    parser.add_argument("--search-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_child:
        search_child(*args.search_child)
        return
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ragloom-scale-") as tmp:
        work = Path(tmp)
        folder = warm_ingest(args.docs, work)
        ingest = None if args.no_ingest else bench_ingest(args.docs, args.runs, work, folder)
        search = bench_search(args.vectors, work, args.kinds.split(","))
    data = {"load_average_before": load_before, "load_average_after": os.getloadavg(), "ingest": ingest,
            "search": search}
    path = write_results("scale" if ingest else f"scale-search-{args.vectors}", data)
    if ingest:
        local = ingest["configs"]["local"]["chunks_per_second"]
        print_table(["ingest", "chunks/s", "median s", "vs local", "cluster start s"],
                    [[name, c["chunks_per_second"], c["median_seconds"], c["chunks_per_second"] / local,
                      c.get("cluster_start_seconds", 0.0)] for name, c in ingest["configs"].items()])
        print()
    print_table(["index", "build s", "disk MB", "RSS MB", "p50 ms", "p95 ms", "recall@10", "filtered ms"],
                [[name, k["build_seconds"], k["disk_bytes"] / 1e6, k["rss_bytes"] / 1e6, k["p50_ms"], k["p95_ms"],
                  k["recall_at_10"], k["filtered_mean_ms"]] for name, k in search["kinds"].items()])
    print(f"\n{path}")


if __name__ == "__main__":
    main()
