"""Question-answering evaluation: score answers against gold answers and summarise a run.

Library use: ``score_example(question, gold, answer)`` per item, ``summarize(results)`` for the
run. ``run_qa_eval(answerer, items)`` does both. Metrics: exact match and token F1 (SQuAD
normalisation), answer-in-context (the gold answer appears in the sources put in the prompt;
yes/no questions excluded, since "yes" is never a span), yes/no accuracy over items whose gold
answer is yes or no, and p50/p95 latency.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.core.answer import Answer
from rag.core.errors import ConfigError
from rag.evaluation.text_metrics import contains_answer, exact_match, token_f1, yes_no


@dataclass(frozen=True)
class QAItem:
    question: str
    answer: str


@dataclass(frozen=True)
class QAResult:
    question: str
    gold: str
    prediction: str
    exact_match: float
    f1: float
    answer_in_context: bool | None  # None for yes/no gold answers
    yes_no_correct: bool | None  # None unless the gold answer is yes/no
    refused: bool
    seconds: float


def read_questions(path: str | Path, limit: int | None = None) -> list[QAItem]:
    """``question,answer`` rows (other columns ignored), at most ``limit`` of them, blank rows skipped."""
    items: list[QAItem] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"question", "answer"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: a questions CSV needs 'question' and 'answer' columns")
        for row in reader:
            if (row.get("question") or "").strip() and (row.get("answer") or "").strip():
                items.append(QAItem(row["question"].strip(), row["answer"].strip()))
            if limit is not None and len(items) >= limit:
                break
    return items


def score_example(question: str, gold: str, answer: Answer) -> QAResult:
    prediction = answer.text
    gold_yes_no = yes_no(gold) if gold.strip().lower().rstrip(".") in ("yes", "no") else None
    context = "\n".join(s.chunk.text for s in answer.sources)
    return QAResult(
        question=question,
        gold=gold,
        prediction=prediction,
        exact_match=exact_match(prediction, gold),
        f1=token_f1(prediction, gold),
        answer_in_context=None if gold_yes_no else contains_answer(context, gold),
        yes_no_correct=None if gold_yes_no is None else yes_no(prediction) == gold_yes_no,
        refused=answer.refused,
        seconds=answer.timings.total_seconds,
    )


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def summarize(results: Sequence[QAResult]) -> dict[str, Any]:
    seconds = [r.seconds for r in results]
    in_context = [float(r.answer_in_context) for r in results if r.answer_in_context is not None]
    yn = [float(r.yes_no_correct) for r in results if r.yes_no_correct is not None]
    return {
        "questions": len(results),
        "exact_match": _mean(r.exact_match for r in results) or 0.0,
        "f1": _mean(r.f1 for r in results) or 0.0,
        "answer_in_context": _mean(in_context),
        "answer_in_context_questions": len(in_context),
        "yes_no_accuracy": _mean(yn),
        "yes_no_questions": len(yn),
        "refused": sum(r.refused for r in results),
        "p50_seconds": percentile(seconds, 50),
        "p95_seconds": percentile(seconds, 95),
        "mean_seconds": _mean(seconds) or 0.0,
    }


def run_qa_eval(
    ask: Callable[[str], Answer],
    items: Sequence[QAItem],
    progress: Callable[[Iterable[QAItem]], Iterable[QAItem]] | None = None,
) -> tuple[dict[str, Any], list[QAResult]]:
    """Answer every item with ``ask`` and return (summary, per-item results)."""
    results = [score_example(item.question, item.answer, ask(item.question)) for item in (progress or iter)(items)]
    return summarize(results), results


def results_as_dicts(results: Sequence[QAResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
