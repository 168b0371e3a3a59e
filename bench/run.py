"""ragloom vs LangChain, LlamaIndex and txtai on one machine, same data, same all-MiniLM-L6-v2 weights.

    python bench/run.py            # the full bench (~50 min on 2 cores; what `make bench` runs)
    python bench/run.py --quick    # a smoke run: small sizes, one run each

Workloads (each run of each system is a fresh worker process; peers run in ``bench/.peers-venv``):
 1. ingest SciFact chunks (made once by ragloom's chunker, the same texts for all): embed + index + save;
 2. the SciFact test queries one at a time on that index, embedding included (p50/p95, queries/s);
 3. index only: synthetic collections of 100k and 1M vectors, exact and approximate search, recall@10
    of the approximate index against exact, one-query latency with a real query embedding;
 4. ``rag.stream`` with the default generator on rag-mini-wikipedia questions: time to first token, tokens/s.
Runs alternate between systems (the order rotates each run); the table shows medians and the ratio
of each peer's median to ragloom's. Results: ``bench/results/run-<time>.json`` and ``latest.json``.
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

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import data  # noqa: E402
from bench.common import SHARED, median, print_table, write_results  # noqa: E402
from bench.peers_env import ensure_peers_venv  # noqa: E402

BENCH = Path(__file__).resolve().parent
PEERS = ("langchain", "llamaindex", "txtai")
BATCH = 64


def worker(system: str, task: dict[str, Any], work: Path, peers_python: Path | None) -> dict[str, Any]:
    """One workload in a fresh process; returns its JSON result (or the error it died with)."""
    if system == "ragloom":
        command = [sys.executable, str(BENCH / "ragloom_worker.py")]
    else:
        command = [str(peers_python), str(BENCH / "peers" / f"{system}_worker.py")]
    stamp = f"{system}-{task['workload']}-{time.monotonic_ns()}"
    task_file, result_file = work / f"{stamp}.task.json", work / f"{stamp}.result.json"
    task_file.write_text(json.dumps(task))
    started = time.perf_counter()
    done = subprocess.run([*command, str(task_file), str(result_file)], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not result_file.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        print(f"  {system} {task['workload']} failed: {' | '.join(tail)}", file=sys.stderr)
        return {"error": "\n".join(tail), "returncode": done.returncode}
    result = json.loads(result_file.read_text())
    result["wall_seconds"] = time.perf_counter() - started
    return result


def ingest_query(systems: list[str], runs: int, common: dict[str, Any], work: Path,
                 peers_python: Path | None, peer_runs: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """``runs`` alternating runs of ragloom and LangChain; the other peers get ``peer_runs`` (default ``runs``)."""
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in systems}
    for run in range(runs):
        active = [s for s in systems if s in ("ragloom", "langchain") or run < (peer_runs or runs)]
        shift = run % len(active)
        for system in active[shift:] + active[:shift]:
            folder = work / f"ingest-{system}-{run}"
            folder.mkdir()
            task = {**common, "workload": "ingest_query", "folder": str(folder)}
            if system == "ragloom" and run == 0:
                task["dump_vectors"] = str(work / "base-vectors.npy")
            result = worker(system, task, work, peers_python)
            results[system].append(result)
            if "ingest_seconds" in result:
                print(f"run {run + 1}: {system:10s} ingest {result['ingest_seconds']:7.1f} s, "
                      f"query p50 {result['query_p50_ms']:6.1f} ms, peak {result['peak_rss_mb']:.0f} MB",
                      file=sys.stderr)
    return results


def summarise_ingest(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    ours = [r for r in results.get("ragloom", []) if "tops" in r]
    for system, runs in results.items():
        ok = [r for r in runs if "ingest_seconds" in r]
        if not ok:
            summary[system] = {"error": runs[0].get("error") if runs else "not run"}
            continue
        entry = {
            "ingest_seconds": [r["ingest_seconds"] for r in ok],
            "ingest_median_seconds": median([r["ingest_seconds"] for r in ok]),
            "chunks_per_second": ok[0]["chunks"] / median([r["ingest_seconds"] for r in ok]),
            "query_p50_ms": median([r["query_p50_ms"] for r in ok]),
            "query_p95_ms": median([r["query_p95_ms"] for r in ok]),
            "queries_per_second": median([r["queries_per_second"] for r in ok]),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in ok]),
            "peak_rss_ingest_mb": median([r["peak_rss_ingest_mb"] for r in ok]),
            "runs": len(ok),
        }
        for key in ("embedder", "faiss_config"):
            if key in ok[0]:
                entry[key] = ok[0][key]
        if ours:
            overlap = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(ok[0]["tops"], ours[0]["tops"],
                                                                              strict=True)]
            entry["top10_overlap_with_ragloom"] = median(overlap)
        summary[system] = entry
    if "ingest_median_seconds" in summary.get("ragloom", {}):
        base = summary["ragloom"]
        for entry in summary.values():
            if "ingest_median_seconds" in entry:
                entry["ingest_ratio_to_ragloom"] = entry["ingest_median_seconds"] / base["ingest_median_seconds"]
                entry["query_p50_ratio_to_ragloom"] = entry["query_p50_ms"] / base["query_p50_ms"]
    return summary


def index_only(sizes: list[int], kinds: dict[int, list[str]], common: dict[str, Any], work: Path,
               peers_python: Path | None, peers: list[str], peer_max: int) -> dict[str, Any]:
    base = np.load(work / "base-vectors.npy")
    out: dict[str, Any] = {}
    for n in sizes:
        vectors = data.make_vectors(base, n, work / f"vectors-{n}.npy")
        task = {**common, "workload": "index", "vectors": str(vectors), "kinds": kinds[n]}
        entry = {"ragloom": worker("ragloom", task, work, peers_python)}
        p50 = {k: v.get("query_p50_ms") for k, v in entry["ragloom"].get("kinds", {}).items()}
        print(f"index {n}: ragloom p50 ms {json.dumps(p50)}", file=sys.stderr)
        if "langchain" in peers and n <= peer_max:  # the only peer that takes precomputed vectors simply
            entry["langchain"] = worker("langchain", task, work, peers_python)
        out[str(n)] = entry
        vectors.unlink()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 abstracts, 50 queries, 1 run, 20k/50k")
    parser.add_argument("--docs", type=int, help="SciFact abstracts to ingest (default all 5,183)")
    parser.add_argument("--queries", type=int, help="test queries timed (default 300)")
    parser.add_argument("--runs", type=int, help="alternating ingest runs per system (default 3)")
    parser.add_argument("--peer-runs", type=int, default=1,
                        help="runs for LlamaIndex and txtai (default 1: each takes ~6 min on all of SciFact)")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated peers (default all); '' for none")
    parser.add_argument("--sizes", help="index-only collection sizes (default 100000,1000000)")
    parser.add_argument("--kinds", default="flat,hnsw,ivf", help="index kinds for the index-only workload")
    parser.add_argument("--hnsw-max", type=int, default=100_000,
                        help="skip HNSW above this size (default 100k: building it for 1M takes over 10 min)")
    parser.add_argument("--index-peer-max", type=int, default=100_000,
                        help="index-only workload for LangChain up to this size")
    parser.add_argument("--ask-questions", type=int, default=5, help="questions timed in the ask workload")
    parser.add_argument("--real-docs", type=int, help="abstracts for an extra ragloom-only one-query latency "
                        "run on a real index (-1 = all 5,183; default 0 = skipped: the ingest workload "
                        "already measures all systems on its index)")
    parser.add_argument("--skip-index", action="store_true")
    parser.add_argument("--skip-ask", action="store_true")
    args = parser.parse_args()
    docs = args.docs if args.docs is not None else (300 if args.quick else None)
    n_queries = args.queries or (50 if args.quick else 300)
    runs = args.runs or (1 if args.quick else 3)
    sizes = [int(s) for s in (args.sizes or ("20000,50000" if args.quick else "100000,1000000")).split(",") if s]
    peers = [p for p in args.peers.split(",") if p]
    unknown = set(peers) - set(PEERS)
    if unknown:
        raise SystemExit(f"unknown peer(s): {', '.join(sorted(unknown))}; choose from {', '.join(PEERS)}")
    peers_python = ensure_peers_venv() if peers else None
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ragloom-bench-") as tmp:
        work = Path(tmp)
        from rag.embeddings import bundled_model_path

        chunk_count = data.make_chunks(docs, work / "chunks.json")
        query_count = data.make_queries(n_queries, work / "queries.json")
        print(f"{chunk_count} chunks, {query_count} queries; systems: ragloom, {', '.join(peers)}", file=sys.stderr)
        common = {"chunks": str(work / "chunks.json"), "queries": str(work / "queries.json"),
                  "model_path": str(bundled_model_path()), "batch": BATCH, "dimension": 384, "k": 10}
        raw = ingest_query(["ragloom", *peers], runs, common, work, peers_python, args.peer_runs)
        ingest = summarise_ingest(raw)
        write_results("partial", {"ingest_query": ingest}, latest="partial-latest.json")  # kept if a later stage dies
        index: dict[str, Any] = {}
        if not args.skip_index and (work / "base-vectors.npy").exists():
            kinds = {n: [k for k in args.kinds.split(",") if k != "hnsw" or n <= args.hnsw_max] for n in sizes}
            index = index_only(sizes, kinds, common, work, peers_python, peers, args.index_peer_max)
        real_docs = args.real_docs if args.real_docs is not None else 0
        real: dict[str, Any] = {}
        if real_docs != 0:  # ragloom alone: the peers' query latency is measured on the shared workload above
            count = data.make_chunks(None if real_docs < 0 else real_docs, work / "chunks-real.json")
            folder = work / "real"
            folder.mkdir()
            real = worker("ragloom", {**common, "workload": "ingest_query", "chunks": str(work / "chunks-real.json"),
                                      "folder": str(folder)}, work, peers_python)
            real.pop("tops", None)
            real.pop("query_ms", None)
            print(f"real index: {count} chunks, query p50 {real.get('query_p50_ms')} ms", file=sys.stderr)
        ingest["ragloom_real_index"] = real
        ask = {} if args.skip_ask else worker("ragloom", {**common, "workload": "ask", "folder": str(work),
                                                         "ask_questions": args.ask_questions,
                                                         "qa_data": str(SHARED / "rag-mini-wikipedia")}, work,
                                              peers_python)
    report(ingest, index, ask, raw, chunk_count, query_count, runs, load_before, sizes)


def _approx(index: dict[str, Any], n: int) -> dict[str, Any]:
    kinds = index.get(str(n), {}).get("ragloom", {}).get("kinds", {})
    ok = [v for k, v in kinds.items() if k != "flat" and (v.get("recall_at_10") or 0) >= 0.95]
    return min(ok, key=lambda v: v["query_p50_ms"]) if ok else {}


def report(ingest: dict[str, Any], index: dict[str, Any], ask: dict[str, Any], raw: dict[str, Any], chunks: int,
           queries: int, runs: int, load_before: tuple[float, ...], sizes: list[int]) -> None:
    ours = ingest.get("ragloom", {})
    lc = ingest.get("langchain", {})
    big = max(sizes) if sizes else None
    headline = {
        "ingest_speedup_vs_langchain": (lc["ingest_median_seconds"] / ours["ingest_median_seconds"]
                                        if "ingest_median_seconds" in lc and "ingest_median_seconds" in ours else None),
        "query_p50_ms_10k": (ingest.get("ragloom_real_index") or ours).get("query_p50_ms"),
        "query_p50_ms_10k_index_chunks": (ingest.get("ragloom_real_index") or {}).get("chunks", chunks),
        "query_p50_ms_1m": _approx(index, big).get("query_p50_ms") if big else None,
        "recall_at_10_1m": _approx(index, big).get("recall_at_10") if big else None,
        "ttft_seconds": ask.get("ttft_seconds"),
        "tokens_per_second": ask.get("tokens_per_second"),
    }
    for run_list in raw.values():
        for r in run_list:
            r.pop("tops", None)
            r.pop("query_ms", None)
    data_out = {**headline, "chunks": chunks, "queries": queries, "runs": runs,
                "load_average": {"before": load_before, "after": os.getloadavg()},
                "ingest_query": ingest, "index_only": index, "ask": ask, "raw_runs": raw}
    path = write_results("run", data_out, latest="latest.json")
    print(f"\nSciFact: {chunks} chunks, {queries} queries, {runs} alternating run(s); load {os.getloadavg()[0]:.1f}\n")
    rows = []
    for system, e in ingest.items():
        if system == "ragloom_real_index":
            continue
        if "error" in e:
            rows.append([system, "failed", "", "", "", "", "", ""])
            continue
        rows.append([system, e["ingest_median_seconds"], e["ingest_ratio_to_ragloom"], e["query_p50_ms"],
                     e["query_p95_ms"], e["queries_per_second"], e["query_p50_ratio_to_ragloom"], e["peak_rss_mb"]])
    print_table(["system", "ingest s", "ingest x ragloom", "query p50 ms", "query p95 ms", "queries/s",
                 "p50 x ragloom", "peak RSS MB"], rows)
    if index:
        print()
        rows = []
        for n, entry in index.items():
            for system, result in entry.items():
                for kind, v in result.get("kinds", {}).items():
                    rows.append([n, system, kind, v.get("param") or "", v.get("setting") or "", v["build_seconds"],
                                 v.get("recall_at_10"), v["query_p50_ms"], v["query_p95_ms"], result["peak_rss_mb"]])
        print_table(["vectors", "system", "kind", "param", "value", "build s", "recall@10", "p50 ms", "p95 ms",
                     "peak RSS MB"], rows)
    print(f"\nask: ttft {ask.get('ttft_seconds')} s, {ask.get('tokens_per_second')} tokens/s"
          f"{' (' + ask['reason'] + ')' if ask.get('reason') else ''}")
    print("headline: " + json.dumps(headline))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
