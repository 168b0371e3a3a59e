"""Question-answering evaluation: score answers against gold answers and summarise a run.

Library use: ``score_example(question, gold, answer)`` per item, ``summarize(results)`` for the
run. ``run_qa_eval(stream, items)`` does both, timing each answer as a user sees it (first text
piece, last piece). Items come from a ``question,answer`` CSV (``read_questions``) or a docs-chat
JSONL set (``rag.evaluation.docs_chat``: several gold facts, supporting sections, history,
off-topic questions).

Metrics for span QA: exact match and token F1 (SQuAD normalisation), answer-in-context (the gold
answer appears in the sources put in the prompt; yes/no questions excluded, since "yes" is never
a span), yes/no accuracy over items whose gold answer is yes or no. Metrics for answers people
read (``rag.evaluation.answer_metrics``): answer_hit and fact recall over answerable questions,
citation precision, grounded share, the share of off-topic questions declined, answerable ones
wrongly declined, median answer words. Latency: time to first token and total, p50/p95.
"""

from __future__ import annotations

import csv
import re
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.core.answer import Answer
from rag.core.errors import ConfigError, RagloomError
from rag.evaluation.answer_metrics import (
    answer_hit,
    answer_words,
    citation_precision,
    cited_sources,
    declined,
    fact_recall,
    grounded_share,
    yes_no_hit,
)
from rag.evaluation.docs_chat import EvalItem, chunk_supports
from rag.evaluation.text_metrics import contains_answer, exact_match, token_f1, yes_no

QAItem = EvalItem  # a CSV row is an item whose only fact is its gold answer


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
    id: str = ""
    kind: str = ""
    offtopic: bool = False  # the documents do not answer it: it must be declined
    answer_hit: bool | None = None  # every gold fact in the reply (None for off-topic questions)
    fact_recall: float | None = None
    declined: bool = False
    citation_precision: float | None = None  # None when nothing was cited
    grounded: float | None = None  # None when the answer carries no claims
    words: int = 0
    first_token_seconds: float = 0.0
    query: str = ""  # the retrieval query (a follow-up's rewrite)
    cited: tuple[str, ...] = ()  # document ids of the cited sources


def read_questions(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """``question,answer`` rows (other columns ignored), at most ``limit`` of them, blank rows skipped."""
    items: list[EvalItem] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"question", "answer"} <= set(reader.fieldnames):
            raise ConfigError(f"{path}: a questions CSV needs 'question' and 'answer' columns")
        for row in reader:
            if (row.get("question") or "").strip() and (row.get("answer") or "").strip():
                gold = row["answer"].strip()
                items.append(EvalItem(row["question"].strip(), ((gold,),), id=str(row.get("id") or "")))
            if limit is not None and len(items) >= limit:
                break
    return items


def score_example(question: str, gold: str, answer: Answer, *, item: EvalItem | None = None,
                  first_token_seconds: float | None = None, seconds: float | None = None) -> QAResult:
    """Score one answer. ``item`` brings several facts, supporting sections and the off-topic flag
    (default: ``gold`` is the only fact); the times default to the answer's own timings."""
    item = item or EvalItem(question, ((gold,),))
    prediction = answer.text
    gold_yes_no = yes_no(gold) if yes_no_gold(question, gold) else None
    context = "\n".join(s.chunk.text for s in answer.sources)
    said_no = declined(prediction, answer.refused)
    cited = cited_sources(answer)
    precision = None
    if not item.offtopic and not said_no:
        precision = citation_precision(cited, item.facts, lambda s: chunk_supports(s.chunk, item.support))
    return QAResult(
        question=question,
        gold=gold,
        prediction=prediction,
        exact_match=exact_match(prediction, gold),
        f1=token_f1(prediction, gold),
        answer_in_context=None if gold_yes_no or item.offtopic else contains_answer(context, gold),
        yes_no_correct=None if gold_yes_no is None else yes_no(prediction) == gold_yes_no,
        refused=answer.refused,
        seconds=answer.timings.total_seconds if seconds is None else seconds,
        id=item.id,
        kind=item.kind,
        offtopic=item.offtopic,
        answer_hit=None if item.offtopic else (yes_no_hit(prediction, gold) if gold_yes_no
                                                else answer_hit(prediction, item.facts)),
        fact_recall=None if item.offtopic else fact_recall(prediction, item.facts),
        declined=said_no,
        citation_precision=precision,
        grounded=None if said_no else grounded_share(answer),
        words=answer_words(prediction),
        first_token_seconds=(answer.timings.first_token_seconds if first_token_seconds is None
                             else first_token_seconds),
        query=answer.query,
        cited=tuple(s.chunk.document_id for s in cited),
    )


_AUXILIARY = re.compile(r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|must)\b",
                        re.IGNORECASE)


def yes_no_gold(question: str, gold: str) -> bool:
    """``gold`` answers yes or no: it is the bare word ("No.", "no!"), or opens with it ("Yes it had") and
    the question is a yes/no question ("Had his thermometer …?"), not "Who …?" answered "No one"."""
    said = yes_no(gold)
    if said is None:
        return False
    return gold.strip().lower().rstrip(".!") == said or bool(_AUXILIARY.match(question))


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
    first_token = [r.first_token_seconds for r in results]
    in_context = [float(r.answer_in_context) for r in results if r.answer_in_context is not None]
    yn = [float(r.yes_no_correct) for r in results if r.yes_no_correct is not None]
    answerable = [r for r in results if not r.offtopic]
    offtopic = [r for r in results if r.offtopic]
    answered = [r for r in answerable if not r.declined]
    precision = [r.citation_precision for r in answered if r.citation_precision is not None]
    grounded = [r.grounded for r in answered if r.grounded is not None]
    return {
        "answer_hit": _mean(float(bool(r.answer_hit)) for r in answerable),
        "fact_recall": _mean(r.fact_recall or 0.0 for r in answerable),
        "answerable_questions": len(answerable),
        "answerable_declined": sum(r.declined for r in answerable),
        "offtopic_declined": _mean(float(r.declined) for r in offtopic),
        "offtopic_questions": len(offtopic),
        "citation_precision": _mean(precision),
        "answers_with_citations": len(precision),
        "grounded": _mean(grounded),
        "answers_with_claims": len(grounded),
        "median_words": statistics.median([r.words for r in answered]) if answered else None,
        "ttft_p50_seconds": percentile(first_token, 50),
        "ttft_p95_seconds": percentile(first_token, 95),
        "total_p50_seconds": percentile(seconds, 50),
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


def timed_answer(start: Callable[[], Iterator[str | Answer]]) -> tuple[Answer, float, float]:
    """Run ``start`` and drain its text pieces and final ``Answer``: (answer, seconds to the first piece, total).

    Both times count from the call that made the stream, so they include retrieval and a follow-up's
    rewrite: what a user waits. A refusal's text counts as its first piece.
    """
    started = time.perf_counter()
    first: float | None = None
    answer = None
    for piece in start():
        if isinstance(piece, Answer):
            answer = piece
        elif first is None and piece:
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    if answer is None:
        raise RagloomError("the answer stream ended without an Answer")
    return answer, total if first is None else first, total


def run_qa_eval(
    stream: Callable[[EvalItem], Iterator[str | Answer]],
    items: Sequence[EvalItem],
    progress: Callable[[Iterable[EvalItem]], Iterable[EvalItem]] | None = None,
) -> tuple[dict[str, Any], list[QAResult]]:
    """Answer every item with ``stream`` (text pieces, then the ``Answer``); return (summary, per-item results)."""
    results = []
    for item in (progress or iter)(items):
        answer, first, total = timed_answer(lambda item=item: stream(item))
        results.append(score_example(item.question, item.answer, answer, item=item, first_token_seconds=first,
                                     seconds=total))
    return summarize(results), results


def results_as_dicts(results: Sequence[QAResult]) -> list[dict[str, Any]]:
    return [asdict(r) for r in results]
