"""``ragloom eval retrieval``: retrieval quality on a BEIR-format data set (``--beir DIR``) or on an
evaluation set exported from users' feedback (``--questions set.jsonl --index DIR``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.cli.common import add_embedder_argument, settings_from
from rag.core.errors import ConfigError
from rag.evaluation.retrieval import run_beir
from rag.retrieval import RetrievalMode

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10", "seconds")  # seconds: query time of that mode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="evaluate retrieval (BEIR) or answers (QA)")
    evals = parser.add_subparsers(dest="eval_command", metavar="KIND", required=True)
    retrieval = evals.add_parser(
        "retrieval", help="nDCG@10, Recall@10/100, MRR@10 on a BEIR folder or a feedback set",
        description="Index a BEIR corpus (title + text), run the judged queries, score the rankings; or score "
                    "an existing index on a set made by `ragloom eval export --feedback` (judged per chunk).")
    retrieval.add_argument("--beir", metavar="DIR", help="folder with corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv")
    retrieval.add_argument("--questions", metavar="FILE",
                           help="an evaluation set from `ragloom eval export --feedback` (needs --index)")
    retrieval.add_argument("--index", metavar="DIR", help="the index the --questions set was made on")
    retrieval.add_argument("--split", default="test", help="qrels split (default: test)")
    retrieval.add_argument("--no-chunk", action="store_true", help="one chunk per document (as published figures)")
    retrieval.add_argument("--mode", choices=[m.value for m in RetrievalMode], default=None,
                           help="retrieval mode (default: setting retrieval_mode, hybrid)")
    retrieval.add_argument("--compare", action="store_true", help="run dense, keyword and hybrid on one index")
    retrieval.add_argument("--index-dir", metavar="DIR", help="keep the index here and reuse it next time")
    add_embedder_argument(retrieval)
    retrieval.add_argument("--json", dest="json_file", metavar="FILE", help="also write the metrics to FILE")
    retrieval.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    modes = [m.value for m in RetrievalMode] if args.compare else [args.mode]
    if (args.beir is None) == (args.questions is None):
        raise ConfigError("give either --beir DIR or --questions FILE (a set from `ragloom eval export --feedback`)")
    if args.questions is not None:
        return _run_feedback_set(args, modes)
    if args.index is not None:
        raise ConfigError("--index goes with --questions; a --beir corpus is indexed by itself (see --index-dir)")
    result = run_beir(args.beir, split=args.split, chunk=not args.no_chunk, index_dir=args.index_dir,
                      settings=settings_from(args), modes=modes, progress=sys.stderr.isatty())
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{Path(args.beir).name} ({args.split}, {result['queries']} queries, {result['documents']} documents, "
          f"{'chunked' if result['chunked'] else 'one chunk per document'})")
    rows = result["modes"]
    print(f"  {'mode':<8}" + "".join(f"{key:>12}" for key in METRICS))
    for mode, metrics in rows.items():
        print(f"  {mode:<8}" + "".join(f"{metrics[key]:>12.4f}" for key in METRICS[:-1])
              + f"{metrics['query_seconds']:>11.1f}s")
    print(f"  total {result['seconds']:.1f} s (indexing {result['index_seconds']:.1f} s)")
    return 0


def _run_feedback_set(args: argparse.Namespace, modes: list) -> int:
    from rag.api import RAG
    from rag.evaluation.feedback_retrieval import run_feedback_retrieval
    from rag.evaluation.feedback_set import read_feedback_set

    if args.index is None:
        raise ConfigError("--questions needs --index DIR: the index the feedback was given on")
    if args.index_dir or args.no_chunk:
        raise ConfigError("--index-dir and --no-chunk go with --beir only")
    items = read_feedback_set(args.questions)
    with RAG.open(args.index, settings=settings_from(args)) as rag:
        result = run_feedback_retrieval(rag, items, modes)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{Path(args.questions).name} ({result['queries']} judged questions of {result['items']}, "
          f"judged per chunk, index {args.index})")
    if result["judgments_gone"] or result["chunks_gone"]:
        print(f"  {result['chunks_gone']} judged chunks are no longer in the index; "
              f"{result['judgments_gone']} questions lost all their judged chunks and are left out")
    if not result["queries"]:
        raise ConfigError(f"{args.questions}: no question has a relevant chunk in this index to score against")
    print(f"  {'mode':<8}" + "".join(f"{key:>12}" for key in METRICS))
    for mode, metrics in result["modes"].items():
        print(f"  {mode:<8}" + "".join(f"{metrics[key]:>12.4f}" for key in METRICS[:-1])
              + f"{metrics['query_seconds']:>11.1f}s")
    return 0
