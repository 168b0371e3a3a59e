"""``ragloom eval qa --passages CSV --questions CSV``: end-to-end answer quality and latency.

Indexes the passages (``id,passage``) one document each into a temporary index (or a reusable
``--index-dir``), answers every question greedily with the QA task, and reports exact match,
token F1, answer-in-context rate, yes/no accuracy and p50/p95 latency. ``--json FILE`` writes the
summary, the settings and every answer.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rag.cli.common import settings_from
from rag.config import Settings
from rag.core.errors import ConfigError
from rag.core.sampling import SamplingParams
from rag.core.types import Document
from rag.evaluation.qa import read_questions, results_as_dicts, run_qa_eval
from rag.pipeline import DEFAULT_REFUSAL_THRESHOLD, Answerer


def read_passages(path: str | Path) -> list[Document]:
    documents = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"id", "passage"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: a passages CSV needs 'id' and 'passage' columns")
        for row in reader:
            text = (row.get("passage") or "").strip()
            if text:
                documents.append(Document(f"passage-{row['id']}", text, {"title": f"passage {row['id']}"}))
    if not documents:
        raise ConfigError(f"{path}: no passages")
    return documents


def _eval_subparsers(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The ``eval`` command's own subparsers, creating ``eval`` if no other module has yet."""
    parser = subparsers.choices.get("eval")
    if parser is None:
        parser = subparsers.add_parser("eval", help="evaluate retrieval or answers")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="eval_command", metavar="{qa,...}", required=True)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = _eval_subparsers(subparsers).add_parser("qa", help="answer quality (EM, F1, yes/no) and latency")
    parser.add_argument("--passages", required=True, help="CSV with id,passage columns")
    parser.add_argument("--questions", required=True, help="CSV with question,answer columns")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--json", dest="json_file", help="write summary and per-question results here")
    parser.add_argument("-k", type=int, default=None,
                        help="passages retrieved per question (default: setting answer_k, 2)")
    parser.add_argument("--focus-tokens", type=int, default=None,
                        help="cap each source at its most relevant sentences, in tokens (default: setting "
                        "focus_tokens, 64; 0 = whole sources)")
    parser.add_argument("--max-new-tokens", type=int, default=32, help="answer length cap (default 32)")
    parser.add_argument("--refusal-threshold", type=float, default=DEFAULT_REFUSAL_THRESHOLD,
                        help=f"refuse below this best cosine score (default {DEFAULT_REFUSAL_THRESHOLD})")
    parser.add_argument("--index-dir", help="build the passage index here and reuse it next time")
    parser.add_argument("--backend", help="generator backend (default: setting backend, llamacpp)")
    parser.add_argument("--model", help="bundled model name, local path, or server URL")
    parser.set_defaults(func=run)


def _open_or_build(index_dir: str, passages: str, settings: Settings) -> Any:
    from rag.api import RAG

    folder = Path(index_dir)
    if folder.is_dir() and any(folder.iterdir()):
        return RAG.open(folder, settings=settings)
    rag = RAG(folder, settings=settings)
    rag.ingest(read_passages(passages))
    return rag


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be >= 1")
    items = read_questions(args.questions, args.limit)
    if not items:
        raise ConfigError(f"{args.questions}: no questions")
    sampling = SamplingParams(greedy=True, max_new_tokens=args.max_new_tokens)
    with tempfile.TemporaryDirectory(prefix="ragloom-eval-") as tmp:
        started = time.perf_counter()
        settings = settings_from(args).with_(backend=args.backend, model=args.model)
        rag = _open_or_build(args.index_dir or tmp, args.passages, settings)
        index_seconds = time.perf_counter() - started
        generator = rag.generator
        generator.warm_up()  # model load is not part of per-question latency

        def search(query: str, k: int, filter: dict[str, Any] | None) -> list:
            return rag.search(query, k=k, filter=filter)

        focus = rag.source_focus(args.focus_tokens)
        k = settings.answer_k if args.k is None else args.k
        answerer = Answerer(search, generator, refusal_threshold=args.refusal_threshold, k=k, sampling=sampling,
                            focus=focus)
        summary, results = run_qa_eval(
            answerer.ask, items, progress=lambda it: tqdm(it, desc="questions", unit="q", file=sys.stderr)
        )
    run_settings = {"k": k, "focus_tokens": focus.max_tokens if focus else 0,
                "max_new_tokens": args.max_new_tokens, "refusal_threshold": args.refusal_threshold,
                "backend": settings.backend, "model": settings.model or "default", "generator": generator.name,
                "index_seconds": index_seconds}
    for key, value in summary.items():
        shown = "n/a" if value is None else (f"{value:.3f}" if isinstance(value, float) else value)
        print(f"{key:28} {shown}")
    if args.json_file:
        payload = {**summary, "settings": run_settings, "results": results_as_dicts(results)}
        Path(args.json_file).write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0
