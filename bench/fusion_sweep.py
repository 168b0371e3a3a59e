"""How the hybrid fusion settings behave on BEIR-format sets: one index per set, every setting, one table.

Used to choose (and re-check) the hybrid defaults on more than one data set, so they are not tuned
to any single one. Indexes are kept in --work and reused (incremental sync), so reruns only query.

    python bench/fusion_sweep.py ../shared/data/scifact /tmp/wiki-beir [--split test] [--no-chunk]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import print_table, write_results  # noqa: E402
from rag import RAG  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation.beir import load_beir  # noqa: E402
from rag.evaluation.retrieval import evaluate  # noqa: E402

VARIANTS = [("dense", {}), ("keyword", {})] + [
    ("hybrid", {"fusion": "convex", "fusion_alpha": a}) for a in (0.3, 0.4, 0.5, 0.6, 0.7)
] + [("hybrid", {"fusion": "convex", "fusion_norm": "max", "fusion_alpha": a}) for a in (0.4, 0.5, 0.6, 0.7)
] + [("hybrid", {"fusion": "rrf", "rrf_k": 60})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("beir", nargs="+", type=Path)
    parser.add_argument("--split", default="test")
    parser.add_argument("--no-chunk", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ragloom-fusion-sweep"))
    parser.add_argument("--variants", default=None,
                        help="comma-separated variant numbers to run (0-based, in the order listed by --list)")
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    args = parser.parse_args()
    variants = list(enumerate(VARIANTS))
    if args.list:
        for number, (mode, changes) in variants:
            print(number, mode, changes)
        return
    if args.variants:
        wanted = {int(v) for v in args.variants.split(",")}
        variants = [v for v in variants if v[0] in wanted]
    rows, results = [], {}
    for folder in args.beir:
        data = load_beir(folder, args.split)
        index = args.work / f"{folder.name}-{'doc' if args.no_chunk else 'chunk'}"
        with RAG(index) as rag:
            rag.ingest(list(data.corpus.values()), sync="full", chunk=not args.no_chunk)
        for _, (mode, changes) in variants:
            with RAG(index, settings=Settings(**changes)) as rag:
                metrics = evaluate(rag, data, chunked=not args.no_chunk, mode=mode)
            label = mode + ("" if not changes else " " + " ".join(f"{k}={v}" for k, v in changes.items()))
            results.setdefault(folder.name, {})[label] = metrics
            rows.append([folder.name, label, metrics["ndcg@10"], metrics["recall@100"]])
            print(rows[-1], file=sys.stderr)
    write_results("fusion_sweep", {"split": args.split, "chunked": not args.no_chunk, "results": results})
    print_table(["data set", "retrieval", "nDCG@10", "Recall@100"], rows)


if __name__ == "__main__":
    main()
