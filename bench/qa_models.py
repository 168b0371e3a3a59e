"""Answer quality and latency of each bundled model on rag-mini-wikipedia, with ragloom's defaults.

    python bench/qa_models.py [--limit 200] [--models qwen2.5-coder-1.5b,qwen2.5-coder-0.5b,smollm2-135m]

Each model runs ``ragloom eval qa`` (greedy; hybrid retrieval, 2 sources focused to 64 tokens each,
the bundled few-shot examples) in its own process over one passage index built once. The results
keep the scores and timings only: per-question texts stay out of the repo with the data they
quote. Results: ``bench/results/qa-<time>.json`` and ``qa-latest.json``; a table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SHARED, print_table, write_results  # noqa: E402

DATA = SHARED / "rag-mini-wikipedia"
MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m")
KEYS = ("f1", "exact_match", "yes_no_accuracy", "answer_in_context", "p50_seconds", "p95_seconds")


def evaluate(model: str, limit: int, index_dir: Path, work: Path) -> dict[str, Any]:
    out = work / f"{model}.json"
    command = [sys.executable, "-m", "rag.cli.main", "eval", "qa", "--passages", str(DATA / "passages.csv"),
               "--questions", str(DATA / "questions.csv"), "--limit", str(limit), "--index-dir", str(index_dir),
               "--model", model, "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    result = json.loads(out.read_text(encoding="utf-8"))
    result.pop("results", None)  # per-question texts quote the data set
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200, help="first N questions (default 200)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated bundled model names")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ragloom-qa-") as tmp:
        work = Path(tmp)
        for model in args.models.split(","):
            results[model] = evaluate(model, args.limit, work / "index", work)
            print(f"{model}: {json.dumps({k: results[model].get(k) for k in KEYS})}", file=sys.stderr, flush=True)
    path = write_results("qa", {"questions": args.limit, "load_average": {"before": load_before,
                                                                          "after": os.getloadavg()},
                                "models": results})
    print_table(["model", *KEYS], [[m, *(r.get(k, r.get("error", "")) for k in KEYS)] for m, r in results.items()])
    print(f"-> {path}")


if __name__ == "__main__":
    main()
