"""``ragloom tune embedder``: fine-tune the bundled embedder on your own pairs, a BEIR split, an exported set or
the feedback stored in an index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.cli.common import settings_from
from rag.core.errors import ConfigError
from rag.tuning.trainer import TuneSettings

EXAMPLES = """\
examples:
  ragloom tune embedder --beir data/scifact --split train --out models/scifact-minilm
  ragloom tune embedder --pairs pairs.jsonl --index my-index --out models/my-minilm
  ragloom tune embedder --eval-set set.jsonl --index my-index --out models/my-minilm
  ragloom tune embedder --feedback --index my-index --out models/my-minilm
then:
  ragloom eval retrieval --beir data/scifact --embedder models/scifact-minilm
  ragloom reembed --index my-index --embedder models/my-minilm
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tune", help="fine-tune the embedder on your own data")
    kinds = parser.add_subparsers(dest="tune_command", metavar="WHAT", required=True)
    tune = kinds.add_parser(
        "embedder", help="fine-tune the bundled MiniLM embedder (CPU; minutes)", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Fine-tune all-MiniLM-L6-v2 with in-batch negatives plus hard negatives mined with the "
                    "current model, hold out 10% of the queries for validation, stop when validation nDCG@10 "
                    "stops improving, and write a sentence-transformers folder (with its ONNX int8 file) that "
                    "--embedder DIR uses. The bundled model is never changed.")
    source = tune.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", metavar="FILE", help='JSON Lines: {"query": ..., "positive": ..., "negative"?: ...}')
    source.add_argument("--beir", metavar="DIR", help="a BEIR-format folder (train on one split's judgments)")
    source.add_argument("--eval-set", metavar="FILE",
                        help="an evaluation set from `ragloom eval export` (relevant chunk ids; needs --index)")
    source.add_argument("--feedback", action="store_true",
                        help="the feedback stored in the index (--index, default: setting `index`): relevant and "
                             "thumbs-up sources are positives, 'not relevant' ones extra hard negatives, a "
                             "correction pairs the question with the chunks that contain it")
    tune.add_argument("--split", default="train", help="BEIR qrels split to train on (default: train)")
    tune.add_argument("--index", metavar="DIR", help="index to mine hard negatives from (and to look up the chunks "
                      "of --eval-set, or to read --feedback from); default: the BEIR corpus, or the pairs' own "
                      "passages")
    tune.add_argument("--out", required=True, metavar="DIR", help="new folder for the tuned model")
    tune.add_argument("--force", action="store_true", help="replace --out if it holds an earlier tune output")
    tune.add_argument("--epochs", type=int, default=TuneSettings.epochs,
                      help=f"passes over the pairs (default {TuneSettings.epochs}; early stopping may end sooner)")
    tune.add_argument("--batch-size", type=int, default=TuneSettings.batch_size,
                      help=f"pairs per step: more in-batch negatives, slower steps (default {TuneSettings.batch_size})")
    tune.add_argument("--max-seq-length", type=int, default=TuneSettings.max_seq_length,
                      help=f"passage tokens seen in training (default {TuneSettings.max_seq_length}; the saved model "
                           "still reads as far as the base)")
    tune.add_argument("--learning-rate", type=float, default=TuneSettings.learning_rate)
    tune.add_argument("--max-minutes", type=float, default=None, help="stop after this long, keeping the best "
                      "checkpoint")
    tune.add_argument("--no-hard-negatives", action="store_true", help="in-batch negatives only (faster, weaker)")
    tune.add_argument("--no-onnx", action="store_true", help="skip the ONNX int8 export (then torch serves it)")
    tune.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rag.api import RAG
    from rag.tuning import pairs_from_beir, pairs_from_eval_set, pairs_from_feedback, read_pairs, tune_embedder

    settings = TuneSettings(epochs=args.epochs, batch_size=args.batch_size, max_seq_length=args.max_seq_length,
                            learning_rate=args.learning_rate, max_minutes=args.max_minutes,
                            hard_negatives=not args.no_hard_negatives)
    settings.check()
    if args.eval_set and not args.index:
        raise ConfigError("--eval-set needs --index DIR: the index its chunk ids belong to")
    index_folder = args.index or (settings_from(args).index if args.feedback else None)
    index = RAG.open(index_folder, settings=settings_from(args)) if index_folder else None
    try:
        if args.feedback:
            assert index is not None
            data, report = pairs_from_feedback(index)
            if len(data.pairs) >= settings.min_pairs:  # else the one-line refusal below says it all
                print(f"training data: {len(data.pairs)} pairs from {report.summary()}; "
                      f"{sum(map(len, data.negatives.values()))} marked negatives", file=sys.stderr)
        elif args.pairs:
            data = read_pairs(args.pairs)
        elif args.beir:
            data = pairs_from_beir(args.beir, args.split)
        else:
            assert index is not None
            data = pairs_from_eval_set(args.eval_set, index.index.get)
        tty = sys.stderr.isatty()
        record = tune_embedder(data, Path(args.out), settings=settings, index=index, force=args.force,
                               progress=tty, log=lambda line: print(line, file=sys.stderr), onnx=not args.no_onnx)
    finally:
        if index is not None:
            index.close()
    base, best = record["base_validation"]["ndcg@10"], record["best_validation"]["ndcg@10"]
    print(f"wrote {args.out} (embedder {record['name']}): {record['pairs']} pairs, "
          f"{record['train_seconds'] / 60:.1f} min of training, stopped: {record['stopped']}")
    print(f"  validation nDCG@10 ({record['validation_queries']} held-out queries): base {base:.4f} -> "
          f"tuned {best:.4f}" + ("  (no improvement: the folder holds the base weights)"
                                 if record["best_step"] == 0 else f" (step {record['best_step']}/{record['steps']})"))
    print(f"  use it: ragloom ingest DOCS --index NEW --embedder {args.out}; "
          f"ragloom reembed --index DIR --embedder {args.out}")
    return 0
