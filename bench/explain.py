"""How long the Explain view takes to compute for answers over the bundled sample corpus.

Answers a few sample-corpus questions (``--model``, default SmolLM2-135M on llama.cpp: the time of an
explanation depends on the prompt and answer tokens, not on which model wrote the answer), then times
``Answer.explain("attention")`` with the explain model (default: the bundled Qwen2.5-Coder-0.5B). The
first explanation includes loading the explain model (``cold``); the rest reuse it (``warm``).

    flock /tmp/ragloom-bench.lock python -m bench.explain [--model smollm2-135m] [--explain-model NAME]

Writes ``bench/results/explain-<time>.json`` (and ``-latest``) and prints a table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import print_table, write_results

QUESTIONS = [
    "What is the default chunk size?",
    "Which sampling settings can I change?",
    "How does ragloom keep the index safe if the process is killed during a save?",
    "Why does ragloom not use pickle?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="the answering model (llama.cpp)")
    parser.add_argument("--explain-model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--max-new-tokens", type=int, default=96)
    args = parser.parse_args()

    from rag import RAG, SamplingParams, load_settings
    from ui.sample import sample_corpus_dir

    load_before = os.getloadavg()
    settings = load_settings().with_(model=args.model, explain_model=args.explain_model)
    rows, runs = [], []
    with tempfile.TemporaryDirectory() as tmp, RAG(Path(tmp) / "index", settings=settings) as rag:
        rag.ingest([sample_corpus_dir()])
        for i, question in enumerate(QUESTIONS):
            answer = rag.ask(question, sampling=SamplingParams(max_new_tokens=args.max_new_tokens))
            started = time.perf_counter()
            explanation = answer.explain("attention")
            seconds = time.perf_counter() - started
            tokens = explanation.tokens
            weights = [round(s.weight, 3) for s in explanation.sources]
            runs.append({"question": question, "kind": "cold" if i == 0 else "warm", "seconds": round(seconds, 2),
                         "tokens": tokens, "sources": len(answer.sources), "weights": weights,
                         "source_share": round(explanation.source_share or 0.0, 3), "label": explanation.label})
            rows.append([question[:50], "cold" if i == 0 else "warm", seconds, tokens, len(answer.sources)])
    warm = [r["seconds"] for r in runs if r["kind"] == "warm"]
    summary = {"cold_seconds": runs[0]["seconds"], "warm_median_seconds": statistics.median(warm) if warm else None}
    data = {"answering_model": args.model, "explain_model": args.explain_model, "summary": summary, "runs": runs,
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "threads": settings.threads}
    path = write_results("explain", data)
    print_table(["question", "kind", "seconds", "tokens", "sources"], rows)
    print(f"cold {summary['cold_seconds']} s, warm median {summary['warm_median_seconds']} s; "
          f"load average {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}; {path}")


if __name__ == "__main__":
    main()
