"""``ragloom eval qa``: end-to-end answer quality and latency.

Two kinds of evaluation set:

- span QA: ``--passages CSV`` (``id,passage``, one document each) and ``--questions CSV``
  (``question,answer``), e.g. rag-mini-wikipedia;
- docs chat: ``--passages`` a folder or file of documents (ingested like ``ragloom ingest``) and
  ``--questions`` a ``.jsonl`` set of questions with gold facts, supporting sections, follow-up
  history and off-topic questions (see ``rag.evaluation.docs_chat``).

The documents are indexed into a temporary index (or a reusable ``--index-dir``), every question
is answered greedily in ``--style full`` (the product's default: a complete cited sentence) or
``short`` (an extractive span), streamed and timed as a user waits for it. Reported: answer_hit,
fact recall, citation precision, grounded share, off-topic questions declined, median answer
words, TTFT and total p50, and the span-QA metrics (EM, F1, answer-in-context, yes/no accuracy).
``--json FILE`` writes the summary, the settings and every answer.

A set exported from users' feedback (``ragloom eval export --feedback``) is read directly; it is
answered from the index it was made on (``--index DIR``, no ``--passages``). Its items without a
gold answer (retrieval-only) are skipped here and counted.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.api import RAG
from rag.cli.common import settings_from
from rag.config import Settings
from rag.core.answer import Answer
from rag.core.errors import ConfigError
from rag.core.sampling import SamplingParams
from rag.core.types import Document, Message
from rag.evaluation.docs_chat import EvalItem, read_chat_set
from rag.evaluation.feedback_set import is_feedback_set, read_feedback_set
from rag.evaluation.qa import read_questions, results_as_dicts, run_qa_eval
from rag.pipeline import DEFAULT_REFUSAL_THRESHOLD

SHORT_MAX_NEW_TOKENS = 32  # a span needs few tokens; a full answer uses the sampling default


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


def read_items(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """Questions from a ``question,answer`` CSV or a docs-chat ``.jsonl`` set."""
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such questions file")
    if is_feedback_set(path):
        feedback = read_feedback_set(path)
        items = [item.eval_item() for item in feedback if item.for_qa][:limit]
        if skipped := sum(not item.for_qa for item in feedback):
            print(f"{path}: {skipped} retrieval-only items (no gold answer) skipped", file=sys.stderr)
        return items
    if str(path).lower().endswith((".jsonl", ".ndjson")):
        return read_chat_set(path, limit)
    return read_questions(path, limit)


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
    parser = _eval_subparsers(subparsers).add_parser(
        "qa", help="answer quality (answer_hit, citations, grounding, EM/F1) and latency")
    parser.add_argument("--passages",
                        help="CSV with id,passage columns, or a folder/file of documents to ingest")
    parser.add_argument("--questions", required=True,
                        help="CSV with question,answer columns, a docs-chat .jsonl set, or a set from "
                             "`ragloom eval export --feedback`")
    parser.add_argument("--index", metavar="DIR",
                        help="answer from this existing index instead of ingesting --passages")
    parser.add_argument("--style", choices=["full", "short"], default=None,
                        help="answer style (default: setting answer_style, full)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--json", dest="json_file", help="write summary and per-question results here")
    parser.add_argument("-k", type=int, default=None,
                        help="passages retrieved per question (default: the answerer's own choice)")
    parser.add_argument("--focus-tokens", type=int, default=None,
                        help="cap each source at its most relevant parts, in tokens (default: setting "
                        "focus_tokens; 0 = whole sources)")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help=f"answer length cap (default: {SHORT_MAX_NEW_TOKENS} for short, the sampling "
                        "default for full)")
    parser.add_argument("--refusal-threshold", type=float, default=DEFAULT_REFUSAL_THRESHOLD,
                        help=f"refuse below this best cosine score (default {DEFAULT_REFUSAL_THRESHOLD})")
    parser.add_argument("--index-dir", help="build the index here and reuse it next time")
    parser.add_argument("--backend", help="generator backend (default: setting backend, llamacpp)")
    parser.add_argument("--model", help="bundled model name, local path, or server URL")
    parser.set_defaults(func=run)


def _open_or_build(index_dir: str, passages: str, settings: Settings) -> Any:
    folder = Path(index_dir)
    if folder.is_dir() and any(folder.iterdir()):
        return RAG.open(folder, settings=settings)
    source = Path(passages)
    if not source.exists():
        raise ConfigError(f"{passages}: no such passages file or folder")
    rag = RAG(folder, settings=settings)
    is_csv = source.is_file() and source.suffix.lower() == ".csv"
    rag.ingest(read_passages(source) if is_csv else source)
    return rag


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit must be >= 1")
    if args.max_new_tokens is not None and args.max_new_tokens < 1:
        raise ConfigError("--max-new-tokens must be >= 1")
    if (args.passages is None) == (args.index is None):
        raise ConfigError("give either --passages (documents to index) or --index DIR (an existing index)")
    if args.index is not None and args.index_dir is not None:
        raise ConfigError("--index-dir builds an index from --passages; with --index the index exists already")
    items = read_items(args.questions, args.limit)
    if not items:
        raise ConfigError(f"{args.questions}: no questions with a gold answer to score")
    with tempfile.TemporaryDirectory(prefix="ragloom-eval-") as tmp:
        started = time.perf_counter()
        settings = settings_from(args).with_(backend=args.backend, model=args.model)
        style = args.style or settings.answer_style
        max_new = args.max_new_tokens or (SHORT_MAX_NEW_TOKENS if style == "short" else None)
        sampling = SamplingParams(greedy=True, max_new_tokens=max_new) if max_new else SamplingParams(greedy=True)
        rag = (RAG.open(args.index, settings=settings) if args.index is not None
               else _open_or_build(args.index_dir or tmp, args.passages, settings))
        index_seconds = time.perf_counter() - started
        generator = rag.generator
        generator.warm_up()  # model load is not part of per-question latency
        answerer = rag.answerer
        answerer.refusal_threshold = args.refusal_threshold
        if args.focus_tokens is not None:
            answerer.focus = rag.source_focus(args.focus_tokens)
        options = rag.ask_options(style=style, sampling=sampling, k=args.k)

        def stream(item: EvalItem) -> Iterator[str | Answer]:
            if item.history:
                return rag.stream_chat([*item.history, Message(role="user", content=item.question)], options)
            return rag.stream(item.question, options)

        summary, results = run_qa_eval(
            stream, items, progress=lambda it: tqdm(it, desc="questions", unit="q", file=sys.stderr)
        )
    focus = answerer.focus
    run_settings = {"style": style, "k": args.k if args.k is not None else "default",
                    "focus_tokens": getattr(focus, "max_tokens", 0) if focus else 0,
                    "max_new_tokens": sampling.max_new_tokens, "refusal_threshold": args.refusal_threshold,
                    "backend": settings.backend, "model": settings.model or "default", "generator": generator.name,
                    "index_seconds": index_seconds}
    for key, value in summary.items():
        shown = "n/a" if value is None else (f"{value:.3f}" if isinstance(value, float) else value)
        print(f"{key:28} {shown}")
    if args.json_file:
        payload = {**summary, "settings": run_settings, "results": results_as_dicts(results)}
        Path(args.json_file).write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0
