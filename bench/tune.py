"""Fine-tuning the embedder: SciFact test nDCG@10 before and after training on SciFact *train* only.

1. Index the SciFact corpus with the bundled all-MiniLM-L6-v2 (one chunk per abstract, as published
   figures) and score the test queries, dense and hybrid.
2. ``tune_embedder`` on the train qrels (hard negatives mined from that same base index), timed.
3. Index again with the tuned folder (``--embedder DIR``: its ONNX int8 file, as a user gets it)
   and score the same test queries.
4. The cost elsewhere: the same two models on the rag-mini-wikipedia retrieval set
   (``bench/datasets/wiki_qa_beir.py``: a passage is relevant when it contains the answer).

Both models are served the same way (ONNX int8, auto backend). Run the timed, published run as

    flock /tmp/ragloom-bench.lock nice -n 15 python bench/tune.py

To score a model trained earlier (its ``ragloom-tune.json`` is copied into the results) without
training again, pass ``--model DIR``; the training figures are then that earlier run's.

JSON goes to bench/results/tune-<time>.json (and tune-latest.json); a table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import SHARED, write_results
from rag.api import RAG
from rag.bundled_embedder import TUNE_FILE, folder_embedder_name
from rag.config import load_settings
from rag.evaluation.retrieval import run_beir
from rag.tuning import TuneSettings, pairs_from_beir, tune_embedder

MODES = ("dense", "hybrid")


def score(folder: Path, index_dir: Path, embedder: str | None) -> dict[str, Any]:
    settings = load_settings(environ={}).with_(embedder=embedder)
    result = run_beir(folder, "test", chunk=False, index_dir=index_dir, settings=settings, modes=MODES)
    return {"index_seconds": round(result["index_seconds"], 1), "queries": result["queries"],
            "documents": result["documents"],
            **{mode: {k: round(v, 4) for k, v in result["modes"][mode].items()} for mode in MODES}}


def stale(index_dir: Path, model_name: str | None) -> bool:
    """An index left by an earlier run that was built with another tuned model than the one scored now."""
    try:
        recorded = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["embedder"]["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return True
    return recorded != model_name


def wiki_set(tmp: Path) -> Path | None:
    if not (SHARED / "rag-mini-wikipedia").is_dir():
        return None
    out = tmp / "wiki-beir"
    subprocess.run([sys.executable, str(Path(__file__).parent / "datasets" / "wiki_qa_beir.py"), str(out)],
                   check=True, capture_output=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=TuneSettings.epochs)
    parser.add_argument("--batch-size", type=int, default=TuneSettings.batch_size)
    parser.add_argument("--max-seq-length", type=int, default=TuneSettings.max_seq_length)
    parser.add_argument("--learning-rate", type=float, default=TuneSettings.learning_rate)
    parser.add_argument("--max-minutes", type=float, default=None, help="training time budget (best checkpoint kept)")
    parser.add_argument("--no-wiki", action="store_true", help="skip the second domain")
    parser.add_argument("--keep", type=Path, help="write the tuned model here (default: a temporary folder)")
    parser.add_argument("--model", type=Path, help="score this earlier tune output instead of training (its "
                        "ragloom-tune.json supplies the training figures)")
    parser.add_argument("--work", type=Path, help="keep the indexes here and reuse them (the base index is only "
                        "re-checked, not re-embedded, on a second run); default: a temporary folder")
    args = parser.parse_args()
    if args.model and not (args.model / TUNE_FILE).is_file():
        parser.error(f"--model {args.model}: not a `ragloom tune embedder` output (no {TUNE_FILE})")
    scifact = SHARED / "scifact"
    settings = TuneSettings(epochs=args.epochs, batch_size=args.batch_size, max_seq_length=args.max_seq_length,
                            learning_rate=args.learning_rate, max_minutes=args.max_minutes)
    load_before = os.getloadavg()
    results: dict[str, Any] = {"settings": settings.__dict__, "load_average_before": load_before}
    with tempfile.TemporaryDirectory(prefix="ragloom-tune-bench-") as name:
        tmp = args.work or Path(name)
        model_name = folder_embedder_name(args.model) if args.model else None
        for folder in ("tuned-index", "wiki-tuned"):  # built with another run's tuned model
            if stale(tmp / folder, model_name):
                shutil.rmtree(tmp / folder, ignore_errors=True)
        tuned = args.model or args.keep or tmp / "tuned"
        print("scoring the bundled model on SciFact test ...", flush=True)
        results["scifact_base"] = score(scifact, tmp / "base", None)
        if args.model:
            record = json.loads((args.model / TUNE_FILE).read_text(encoding="utf-8"))
            results["reused_model"] = str(args.model)
            results["settings"] = record["settings"]
            results["tune_seconds"] = None  # not trained in this run: see tune.train_seconds
            print(f"scoring the earlier tune {record['name']} ({args.model}), no training ...", flush=True)
        else:
            data = pairs_from_beir(scifact, "train")
            print(f"fine-tuning on {len(data.pairs)} SciFact train pairs ...", flush=True)
            started = time.perf_counter()
            with RAG(tmp / "base") as base_index:
                record = tune_embedder(data, tuned, settings=settings, index=base_index, force=True,
                                       progress=sys.stderr.isatty(), log=lambda line: print(" ", line, flush=True))
            results["tune_seconds"] = round(time.perf_counter() - started, 1)
        results["tune"] = {k: record[k] for k in ("name", "pairs", "train_pairs", "validation_queries", "steps",
                                                  "best_step", "stopped", "base_validation", "best_validation",
                                                  "history", "train_seconds", "mining_seconds")}
        print("scoring the tuned model on SciFact test ...", flush=True)
        results["scifact_tuned"] = score(scifact, tmp / "tuned-index", str(tuned))
        wiki = None if args.no_wiki else wiki_set(tmp)
        if wiki is not None:
            print("the cost elsewhere: rag-mini-wikipedia ...", flush=True)
            results["wiki_base"] = score(wiki, tmp / "wiki-base", None)
            results["wiki_tuned"] = score(wiki, tmp / "wiki-tuned", str(tuned))
    results["load_average_after"] = os.getloadavg()
    base, after = results["scifact_base"]["dense"]["ndcg@10"], results["scifact_tuned"]["dense"]["ndcg@10"]
    results["acceptance"] = {"dense_ndcg10_gain": round(after - base, 4), "required": 0.02,
                             "met": after - base >= 0.02}
    if "wiki_base" in results:
        results["wiki_cost"] = {mode: round(results["wiki_tuned"][mode]["ndcg@10"]
                                            - results["wiki_base"][mode]["ndcg@10"], 4) for mode in MODES}
    path = write_results("tune", results)
    print_table(results)
    print(f"\n{path}")


def print_table(results: dict[str, Any]) -> None:
    print(f"\n{'set':<22}{'mode':<8}{'base':>9}{'tuned':>9}{'change':>9}   (nDCG@10; [recall@10], "
          "[MRR@10], [recall@100])")
    for label, key in (("SciFact test", "scifact"), ("rag-mini-wikipedia", "wiki")):
        if f"{key}_base" not in results:
            continue
        for mode in MODES:
            before, after = results[f"{key}_base"][mode], results[f"{key}_tuned"][mode]
            print(f"{label:<22}{mode:<8}{before['ndcg@10']:>9.4f}{after['ndcg@10']:>9.4f}"
                  f"{after['ndcg@10'] - before['ndcg@10']:>+9.4f}   [{before['recall@10']:.3f} -> "
                  f"{after['recall@10']:.3f}] [{before['mrr@10']:.3f} -> {after['mrr@10']:.3f}] "
                  f"[{before['recall@100']:.3f} -> {after['recall@100']:.3f}]")
    tune = results["tune"]
    whole = "reused, not trained in this run" if results["tune_seconds"] is None else \
        f"{results['tune_seconds'] / 60:.1f} min"
    print(f"training: {tune['train_pairs']} pairs, {tune['steps']} steps ({tune['stopped']}, best at step "
          f"{tune['best_step']}), {tune['train_seconds'] / 60:.1f} min training + {tune['mining_seconds']:.0f} s "
          f"mining; whole tune incl. ONNX export {whole}; load average "
          f"{results['load_average_before'][0]:.1f} before, {results['load_average_after'][0]:.1f} after")


if __name__ == "__main__":
    main()
