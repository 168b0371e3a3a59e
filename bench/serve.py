"""``ragloom serve`` under load, on loopback: search throughput and latency against the library in-process,
concurrent streamed answers through the bounded generation queue, and an ingest job while clients search.

    flock /tmp/ragloom-bench.lock python bench/serve.py            # the measured run (about 6 minutes)
    python bench/serve.py --seconds 5 --docs 40 --phases search,ingest   # a smoke run

1. search: 16 client threads (one keep-alive ``httpx.Client`` each) call ``POST /v1/search`` (k=5, hybrid, the
   default) for ``--seconds`` against a 10k-chunk SciFact index, cycling through the SciFact test claims; then
   the same 16 threads call ``RAG.search`` in this process for the same time. Rounds alternate (``--rounds``);
   medians of the rounds are reported, and the HTTP overhead as the ratio of p50 latencies and of requests/s.
   The server is a separate ``ragloom serve`` process; the clients share this process (and the 2 cores).
2. chat: 8 concurrent ``stream: true`` chat completions (the default queue: 1 decoding + 4 waiting): each either
   completes (``data: [DONE]``) or gets 503 with Retry-After; time to first byte p50 of the completed ones.
3. ingest: the mixed-format folder (``bench/mixed_corpus.py``, 300 SciFact abstracts in ~130 files of 8 formats)
   is ingested by a job; then an updated version of every file (each abstract revised) is ingested by a second
   job while 8 clients search. Checked: no search fails, and no response holds chunks of one document from two
   versions (every chunk of a document carries that version's ``modified`` time), i.e. no half-applied update.

Results: ``bench/results/serve-<time>.json`` and ``serve-latest.json``; the load average is recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.common import median, percentile, print_table, write_results  # noqa: E402
from bench.mixed_corpus import choose, load_scifact, write_corpus  # noqa: E402
from tests.service.server_helpers import ServeProcess  # noqa: E402

SEARCH_CLIENTS = 16
CHAT_CLIENTS = 8
INGEST_CLIENTS = 8


def build_index(folder: Path, chunks: int) -> int:
    """SciFact abstracts ingested through the library, then trimmed to at most ``chunks`` (reused once built)."""
    from rag import RAG, Document

    if (folder / "manifest.json").exists():
        with RAG.open(folder) as rag:
            if chunks * 0.99 <= rag.info()["chunks"] <= chunks:
                return rag.info()["chunks"]
    corpus, _, _ = load_scifact()
    records = list(corpus.values())
    with RAG(folder) as rag:
        start = 0
        while rag.info()["chunks"] < chunks and start < len(records):
            step = max(50, int((chunks - rag.info()["chunks"]) / 2.6))  # ~2.6 chunks per abstract
            batch = records[start:start + step]
            start += step
            rag.ingest([Document(f"scifact:{r['_id']}", f"{r.get('title', '')}\n\n{r.get('text', '')}".strip(),
                                 {"source": f"scifact:{r['_id']}", "title": r.get("title", "")}) for r in batch])
        total, documents = rag.info()["chunks"], [d.source_id for d in rag.documents()]
        while total > chunks:  # the last step overshoots: drop whole abstracts until the target
            total -= rag.index.delete(documents.pop())
        rag.index.save()
        return rag.info()["chunks"]


def queries(limit: int = 300) -> list[str]:
    _, claims, _ = load_scifact()
    return list(claims.values())[:limit]


def run_clients(clients: int, seconds: float, call: Any, texts: list[str]) -> dict[str, Any]:
    """``clients`` threads calling ``call(client_index, text)`` until the time is up; latencies and errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    stop = time.perf_counter() + seconds
    barrier = threading.Barrier(clients)

    def worker(n: int) -> None:
        barrier.wait()
        i = n
        while time.perf_counter() < stop:
            text = texts[i % len(texts)]
            i += clients
            started = time.perf_counter()
            try:
                call(n, text)
            except Exception as exc:  # counted, never hidden
                errors.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            latencies[n].append(time.perf_counter() - started)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = [x for per in latencies for x in per]
    return {"requests": len(flat), "errors": len(errors), "error_examples": errors[:5],
            "seconds": round(elapsed, 2), "requests_per_second": round(len(flat) / elapsed, 1),
            "p50_ms": round(percentile(flat, 50) * 1000, 2) if flat else None,
            "p99_ms": round(percentile(flat, 99) * 1000, 2) if flat else None}


def search_phase(index: Path, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from rag import RAG

    texts = queries()
    server = ServeProcess([f"scifact={index}"], work / "serve-search.log", extra=["--rate-limit", "0"])
    rounds: dict[str, list[dict[str, Any]]] = {"http": [], "library": []}
    try:
        clients = [httpx.Client(base_url=server.base, timeout=60) for _ in range(SEARCH_CLIENTS)]

        def over_http(n: int, text: str) -> None:
            response = clients[n].post("/v1/search", json={"query": text, "k": 5})
            if response.status_code != 200 or not response.json()["data"]:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:100]}")

        with RAG.open(index) as rag:
            rag.warm_up()

            def in_process(_: int, text: str) -> None:
                if not rag.search(text, k=5):
                    raise RuntimeError("no results")

            run_clients(SEARCH_CLIENTS, 3, over_http, texts)  # warm both paths
            run_clients(SEARCH_CLIENTS, 3, in_process, texts)
            for number in range(args.rounds):
                for name, call in (("http", over_http), ("library", in_process))[:: 1 if number % 2 == 0 else -1]:
                    rounds[name].append(run_clients(SEARCH_CLIENTS, args.seconds, call, texts))
                    print(f"  search round {number + 1} {name}: {rounds[name][-1]}", flush=True)
        for client in clients:
            client.close()
    finally:
        server.stop()
    summary = {name: {key: median([r[key] for r in runs]) for key in ("requests_per_second", "p50_ms", "p99_ms")}
               | {"errors": sum(r["errors"] for r in runs), "requests": sum(r["requests"] for r in runs)}
               for name, runs in rounds.items()}
    return {"clients": SEARCH_CLIENTS, "seconds_per_round": args.seconds, "rounds": rounds, "median": summary,
            "overhead": {"p50_latency_ratio": round(summary["http"]["p50_ms"] / summary["library"]["p50_ms"], 2),
                         "throughput_ratio": round(summary["library"]["requests_per_second"]
                                                   / summary["http"]["requests_per_second"], 2)}}


def chat_phase(index: Path, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    texts = queries(CHAT_CLIENTS)
    env = {"RAGLOOM_MODEL": args.model} if args.model else {}
    server = ServeProcess([f"scifact={index}"], work / "serve-chat.log", env=env)
    results: list[dict[str, Any]] = [{} for _ in range(CHAT_CLIENTS)]
    try:
        # One answer first, so the model is loaded before the clock starts (a cold load is not a queue effect).
        httpx.post(f"{server.base}/v1/chat/completions", timeout=600, json={
            "model": "ragloom/scifact", "max_tokens": 8, "messages": [{"role": "user", "content": texts[0]}]})
        barrier = threading.Barrier(CHAT_CLIENTS)

        def client(n: int) -> None:
            body = {"model": "ragloom/scifact", "stream": True, "max_tokens": args.max_tokens,
                    "messages": [{"role": "user", "content": texts[n]}]}
            barrier.wait()
            started = time.perf_counter()
            with httpx.stream("POST", f"{server.base}/v1/chat/completions", json=body, timeout=900) as response:
                first = None
                lines = []
                for line in response.iter_lines():
                    first = first or time.perf_counter()
                    if line:
                        lines.append(line)
                results[n] = {"status": response.status_code, "ttfb_s": (first or time.perf_counter()) - started,
                              "total_s": time.perf_counter() - started,
                              "retry_after": response.headers.get("retry-after"),
                              "done": bool(lines) and lines[-1] == "data: [DONE]",
                              "refused": any('"refused": true' in line for line in lines)}

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CHAT_CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.stop()
    completed = [r for r in results if r.get("status") == 200 and r.get("done")]
    busy = [r for r in results if r.get("status") == 503 and r.get("retry_after")]
    return {"clients": CHAT_CLIENTS, "model": args.model or "the settings' default", "max_tokens": args.max_tokens,
            "completed": len(completed), "busy_503_with_retry_after": len(busy),
            "other": len(results) - len(completed) - len(busy),
            "ttfb_p50_s": round(median([r["ttfb_s"] for r in completed]), 2) if completed else None,
            "ttfb_max_s": round(max(r["ttfb_s"] for r in completed), 2) if completed else None,
            "total_p50_s": round(median([r["total_s"] for r in completed]), 2) if completed else None,
            "refused_answers": sum(r["refused"] for r in completed), "per_client": results}


def ingest_phase(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    chosen = choose(args.docs, 100, 0)
    revised = [{**r, "text": f"{r.get('text', '')} This abstract was revised."} for r in chosen["records"]]
    old, new = work / "mixed-v1", work / "mixed-v2"
    corpus = write_corpus(chosen["records"], old, 0)
    write_corpus(revised, new, 0)
    texts = [q["text"] for q in chosen["queries"]]
    server = ServeProcess([f"mixed={work / 'mixed-index'}"], work / "serve-ingest.log", extra=["--rate-limit", "0"])
    try:
        first = _ingest_job(server.base, old)
        clients = [httpx.Client(base_url=server.base, timeout=60) for _ in range(INGEST_CLIENTS)]
        seen = {"responses": 0, "multi_chunk_documents": 0, "new_version_hits": 0, "mixed_versions": 0}
        lock = threading.Lock()
        job: dict[str, Any] = {}

        def search(n: int, text: str) -> None:
            response = clients[n].post("/v1/search", json={"query": text, "k": 10})
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:100]}")
            hits = response.json()["data"]
            versions: dict[str, set[str]] = defaultdict(set)
            chunks: dict[str, int] = defaultdict(int)
            for hit in hits:
                versions[hit["document_id"]].add(str(hit["metadata"].get("modified")))
                chunks[hit["document_id"]] += 1
            with lock:
                seen["responses"] += 1
                seen["multi_chunk_documents"] += sum(1 for n in chunks.values() if n > 1)
                seen["mixed_versions"] += sum(1 for v in versions.values() if len(v) > 1)
                seen["new_version_hits"] += sum("was revised" in h["text"] for h in hits)

        def updater() -> None:
            time.sleep(1.0)  # clients are searching before the job starts
            job.update(_ingest_job(server.base, new))

        thread = threading.Thread(target=updater)
        thread.start()
        began = time.perf_counter()
        searched = run_until(INGEST_CLIENTS, search, texts, thread)
        elapsed = time.perf_counter() - began
        for client in clients:
            client.close()
    finally:
        server.stop()
    return {"abstracts": args.docs, "files": corpus["files"], "formats": corpus["formats"], "first_job": first,
            "update_job": job, "search_clients": INGEST_CLIENTS, "search_seconds": round(elapsed, 1),
            "search": searched, "consistency": seen}


def run_until(clients: int, call: Any, texts: list[str], thread: threading.Thread) -> dict[str, Any]:
    """Search until the job thread ends (then one more second)."""
    result: dict[str, Any] = {}
    stop = threading.Event()

    def watch() -> None:
        thread.join()
        time.sleep(1.0)
        stop.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    parts = []
    while not stop.is_set():
        parts.append(run_clients(clients, 2.0, call, texts))
    watcher.join()
    result["requests"] = sum(p["requests"] for p in parts)
    result["errors"] = sum(p["errors"] for p in parts)
    result["error_examples"] = [e for p in parts for e in p["error_examples"]][:5]
    result["p50_ms_median_of_2s_windows"] = median([p["p50_ms"] for p in parts if p["p50_ms"] is not None])
    result["p99_ms_max_of_2s_windows"] = max(p["p99_ms"] for p in parts if p["p99_ms"] is not None)
    return result


def _ingest_job(base: str, folder: Path) -> dict[str, Any]:
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream"))
             for path in sorted(folder.rglob("*")) if path.is_file()]
    started = time.perf_counter()
    response = httpx.post(f"{base}/v1/ingest", files=files, data={"collection": "mixed"}, timeout=300)
    response.raise_for_status()
    job_id = response.json()["id"]
    while (state := httpx.get(f"{base}/v1/jobs/{job_id}", timeout=60).json())["status"] in ("queued", "running"):
        time.sleep(0.2)
    return {"status": state["status"], "seconds": round(time.perf_counter() - started, 1), "counts": state["counts"],
            "items": len(state["items"]), "item_errors": sum(len(i["errors"]) for i in state["items"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=10_000, help="chunks in the search index (default 10000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds per search round (default 60)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating HTTP/library rounds (default 1)")
    parser.add_argument("--docs", type=int, default=300, help="abstracts in the mixed-format folder (default 300)")
    parser.add_argument("--model", default=None, help="model for the chat phase (default: the settings' model)")
    parser.add_argument("--max-tokens", type=int, default=64, help="answer length in the chat phase (default 64)")
    parser.add_argument("--index-cache", type=Path, default=Path(tempfile.gettempdir()) / "ragloom-bench-serve-index",
                        help="where the 10k-chunk index is built once and reused")
    parser.add_argument("--phases", default="search,chat,ingest", help="which phases (default all three)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    chunks = build_index(args.index_cache, args.chunks)
    print(f"search index: {chunks} chunks at {args.index_cache}", flush=True)
    results: dict[str, Any] = {"index_chunks": chunks}
    with tempfile.TemporaryDirectory(prefix="ragloom-serve-bench-") as tmp:
        work = Path(tmp)
        phases = {p.strip() for p in args.phases.split(",")}
        if "search" in phases:
            results["search"] = search_phase(args.index_cache, args, work)
        if "chat" in phases:
            results["chat"] = chat_phase(args.index_cache, args, work)
        if "ingest" in phases:
            results["ingest"] = ingest_phase(args, work)
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    path = write_results("serve", results)
    if "search" in results:
        search, overhead = results["search"]["median"], results["search"]["overhead"]
        print_table(["search (16 clients)", "req/s", "p50 ms", "p99 ms", "errors"],
                    [[name, search[name]["requests_per_second"], search[name]["p50_ms"], search[name]["p99_ms"],
                      search[name]["errors"]] for name in ("http", "library")])
        print(f"HTTP overhead: p50 x{overhead['p50_latency_ratio']}, throughput /{overhead['throughput_ratio']}")
    if "chat" in results:
        chat = results["chat"]
        print(f"chat ({chat['clients']} streams): {chat['completed']} completed, {chat['busy_503_with_retry_after']} "
              f"503+Retry-After, {chat['other']} other; TTFB p50 {chat['ttfb_p50_s']} s")
    if "ingest" in results:
        ingest = results["ingest"]
        print(f"ingest job during search: {ingest['update_job']}; searches {ingest['search']['requests']}, errors "
              f"{ingest['search']['errors']}, mixed-version documents {ingest['consistency']['mixed_versions']}")
    print(f"results: {path}  (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
