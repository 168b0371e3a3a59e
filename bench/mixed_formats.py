"""ragloom vs LangChain on a folder of mixed files: ingest time, peak memory, and whether they find the same.

    python bench/mixed_formats.py                     # 300 abstracts, 100 queries, 3 alternating runs
    python bench/mixed_formats.py --docs 40 --runs 1  # a smoke run

The folder (``bench/mixed_corpus.py``, in a temporary directory) holds SciFact abstracts as .txt, .md, .html,
.pdf, .docx, .csv, .json and .jsonl files. ragloom ingests it with ``RAG(index).ingest([folder])``: its own
connectors and default chunker (200 tokens, 32 overlap). LangChain ingests it with its loaders (one per suffix),
``RecursiveCharacterTextSplitter.from_huggingface_tokenizer`` (the same tokenizer, 200/32), ``FAISS.from_documents``
and ``save_local``. Both embed with the same all-MiniLM-L6-v2 weights, already loaded and warmed before the clock
starts; each run of each system is a fresh process, runs alternate, medians are reported; peak memory is the
worker's ``ru_maxrss``.

Same top results: chunks differ between the systems, so each retrieved chunk is mapped back to the abstract
its words come from (``SourceMap``) and the top 10 distinct source abstracts per query are compared (overlap
and top-1 agreement), and scored against SciFact's judgements (nDCG@10 over the judged queries). Both search
by cosine (ragloom in dense mode). Results: ``bench/results/mixed_formats-<time>.json`` and ``-latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median, print_table, write_results  # noqa: E402
from bench.mixed_corpus import SourceMap, choose, write_corpus  # noqa: E402
from bench.peers_env import ensure_peers_venv  # noqa: E402
from bench.run import BATCH, worker  # noqa: E402
from rag.evaluation.retrieval import ndcg_at, recall_at  # noqa: E402

SYSTEMS = ("ragloom", "langchain")
K = 10
CHUNKS_PER_QUERY = 30  # chunks asked for, so that 10 distinct source abstracts remain after merging


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=300, help="SciFact abstracts in the folder (default 300)")
    parser.add_argument("--queries", type=int, default=100, help="SciFact test claims asked (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="alternating ingest runs per system (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="which abstracts, and how they are spread over files")
    args = parser.parse_args()
    peers_python = ensure_peers_venv()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ragloom-mixed-") as tmp:
        work = Path(tmp)
        chosen = choose(args.docs, args.queries, args.seed)
        corpus = write_corpus(chosen["records"], work / "corpus", args.seed)
        queries = chosen["queries"]
        (work / "queries.json").write_text(json.dumps([q["text"] for q in queries]), encoding="utf-8")
        print(f"{corpus['files']} files, {corpus['abstracts']} abstracts, {len(queries)} queries", file=sys.stderr)
        from rag.embeddings import bundled_model_path

        common = {"workload": "ingest_folder", "corpus": str(work / "corpus"), "queries": str(work / "queries.json"),
                  "model_path": str(bundled_model_path()), "batch": BATCH, "k": CHUNKS_PER_QUERY,
                  "chunk_tokens": 200, "overlap_tokens": 32}
        raw: dict[str, list[dict[str, Any]]] = {s: [] for s in SYSTEMS}
        for run in range(args.runs):
            order = SYSTEMS[run % 2:] + SYSTEMS[:run % 2]  # alternate who goes first
            for system in order:
                folder = work / f"{system}-{run}"
                folder.mkdir()
                result = worker(system, {**common, "folder": str(folder)}, work, peers_python)
                raw[system].append(result)
                if "ingest_seconds" in result:
                    print(f"run {run + 1}: {system:9s} ingest {result['ingest_seconds']:6.1f} s, "
                          f"{result['chunks']} chunks, peak {result['peak_rss_mb']:.0f} MB", file=sys.stderr)
    summary = summarise(raw, SourceMap(chosen["records"]), queries)
    report(summary, raw, corpus, queries, args, load_before)


def summarise(raw: dict[str, list[dict[str, Any]]], sources: SourceMap,
              queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per system, and the source-abstract rankings of each system's first good run compared."""
    summary: dict[str, Any] = {}
    rankings: dict[str, list[list[str]]] = {}
    for system, runs in raw.items():
        ok = [r for r in runs if "ingest_seconds" in r]
        if not ok:
            summary[system] = {"error": runs[0].get("error") if runs else "not run"}
            continue
        first = ok[0]  # retrieval is deterministic: every run answers alike, one is enough
        ranked = [sources.ranking(texts, K) for texts in first["tops"]]
        rankings[system] = [r for r, _ in ranked]
        judged = [(r, q["relevant"]) for (r, _), q in zip(ranked, queries, strict=True) if q["relevant"]]
        hits = sum(min(K, len(texts)) for texts in first["tops"])
        summary[system] = {
            "ingest_seconds": [r["ingest_seconds"] for r in ok],
            "ingest_median_seconds": median([r["ingest_seconds"] for r in ok]),
            "peak_rss_mb": median([r["peak_rss_mb"] for r in ok]),
            "peak_rss_ingest_mb": median([r["peak_rss_ingest_mb"] for r in ok]),
            "rss_models_loaded_mb": median([r["rss_models_loaded_mb"] for r in ok]),
            "files": first["files"], "files_by_format": first["files_by_format"], "documents": first["documents"],
            "chunks": first["chunks"],
            "failures": first["failures"],
            "failed_files_by_format": {f: len({e["source"].split("#", 1)[0] for e in errors})
                                       for f, errors in first["failures"].items()},
            # top-10 chunks whose words match no abstract: page furniture (nav bars, headers) in the index
            "unmapped_hit_share": sum(u for _, u in ranked) / max(1, hits),
            "ndcg_at_10": _mean([ndcg_at(r, dict.fromkeys(rel, 1), K) for r, rel in judged]),
            "recall_at_10": _mean([recall_at(r, dict.fromkeys(rel, 1), K) for r, rel in judged]),
            "judged_queries": len(judged),
            "embedder": first.get("embedder"),
            "phases_seconds": first.get("phases_seconds"),
            "runs": len(ok),
        }
    base = summary.get("ragloom", {})
    for system, entry in summary.items():
        if "ingest_median_seconds" in entry and "ingest_median_seconds" in base:
            entry["ingest_ratio_to_ragloom"] = entry["ingest_median_seconds"] / base["ingest_median_seconds"]
            entry["peak_rss_ratio_to_ragloom"] = entry["peak_rss_mb"] / base["peak_rss_mb"]
        if system != "ragloom" and system in rankings and "ragloom" in rankings:
            pairs = list(zip(rankings[system], rankings["ragloom"], strict=True))
            entry["top10_doc_overlap_with_ragloom"] = median(
                [len(set(a) & set(b)) / max(1, len(a), len(b)) for a, b in pairs])
            entry["top10_doc_overlap_mean"] = _mean([len(set(a) & set(b)) / max(1, len(a), len(b)) for a, b in pairs])
            entry["top1_agreement_with_ragloom"] = _mean([float(a[:1] == b[:1]) for a, b in pairs])
    return summary


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def report(summary: dict[str, Any], raw: dict[str, list[dict[str, Any]]], corpus: dict[str, Any],
           queries: list[dict[str, Any]], args: argparse.Namespace, load_before: tuple[float, ...]) -> None:
    for runs in raw.values():
        for r in runs:
            r.pop("tops", None)  # chunk texts: large, and the summary holds what they showed
            r.pop("failures", None)
    data = {"docs": args.docs, "queries": len(queries), "judged_queries": sum(1 for q in queries if q["relevant"]),
            "runs": args.runs, "seed": args.seed, "k": K, "corpus": corpus,
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "systems": summary, "raw_runs": raw}
    path = write_results("mixed_formats", data)
    formats = ", ".join(f"{f} {c['files']}" for f, c in corpus["formats"].items())
    print(f"\nmixed folder: {corpus['files']} files ({formats}), {corpus['abstracts']} SciFact abstracts; "
          f"{len(queries)} queries ({data['judged_queries']} judged); {args.runs} alternating run(s); "
          f"load {os.getloadavg()[0]:.1f}\n")
    rows = []
    for system, e in summary.items():
        if "error" in e:
            rows.append([system, "failed", *[""] * 9])
            continue
        failed = ", ".join(f"{f} {n}" for f, n in e["failed_files_by_format"].items()) or "none"
        rows.append([system, e["ingest_median_seconds"], e.get("ingest_ratio_to_ragloom", ""), e["files"],
                     e["chunks"], e["peak_rss_mb"], e.get("top10_doc_overlap_with_ragloom", "-"),
                     e.get("top1_agreement_with_ragloom", "-"), e["ndcg_at_10"], e["unmapped_hit_share"], failed])
    print_table(["system", "ingest s", "x ragloom", "files", "chunks", "peak RSS MB", "top-10 doc overlap",
                 "top-1 agree", "nDCG@10", "unmapped hits", "failed files"], rows)
    print()
    ok = [s for s, e in summary.items() if "files_by_format" in e]
    print_table(["format", "files", "abstracts", *(f"{s} read" for s in ok), *(f"{s} failed" for s in ok)],
                [[f, c["files"], c["abstracts"], *(summary[s]["files_by_format"].get(f, 0) for s in ok),
                  *(summary[s]["failed_files_by_format"].get(f, 0) for s in ok)]
                 for f, c in corpus["formats"].items()])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
