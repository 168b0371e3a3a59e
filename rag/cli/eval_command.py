"""``ragloom eval retrieval --beir DIR``: retrieval quality on a BEIR-format data set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.cli.common import settings_from
from rag.evaluation.retrieval import run_beir

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10", "seconds")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="evaluate retrieval (BEIR) or answers (QA)")
    evals = parser.add_subparsers(dest="eval_command", metavar="KIND", required=True)
    retrieval = evals.add_parser(
        "retrieval", help="nDCG@10, Recall@10/100, MRR@10 on a BEIR-format folder",
        description="Index a BEIR corpus (title + text), run the judged queries, score the rankings.")
    retrieval.add_argument("--beir", required=True, metavar="DIR",
                           help="folder with corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    retrieval.add_argument("--split", default="test", help="qrels split (default: test)")
    retrieval.add_argument("--no-chunk", action="store_true", help="one chunk per document (as published figures)")
    retrieval.add_argument("--index-dir", metavar="DIR", help="keep the index here and reuse it next time")
    retrieval.add_argument("--json", dest="json_file", metavar="FILE", help="also write the metrics to FILE")
    retrieval.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = run_beir(args.beir, split=args.split, chunk=not args.no_chunk, index_dir=args.index_dir,
                      settings=settings_from(args), progress=sys.stderr.isatty())
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{Path(args.beir).name} ({args.split}, {result['queries']} queries, {result['documents']} documents, "
          f"{'chunked' if result['chunked'] else 'one chunk per document'})")
    for key in METRICS:
        print(f"  {key:>10}  {result[key]:.4f}" if key != "seconds" else f"  {key:>10}  {result[key]:.1f}")
    return 0
