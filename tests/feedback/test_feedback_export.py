"""Feedback -> evaluation set: what becomes a judgment or a gold answer, the file format, and the
evaluations reading it back (retrieval on the real index; QA through the same path as ``eval qa``)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from feedback_kit import DOCUMENTS, ScriptedGenerator

from rag.cli.eval_qa_command import read_items
from rag.core.errors import ConfigError
from rag.core.types import Document
from rag.evaluation.feedback_retrieval import run_feedback_retrieval
from rag.evaluation.feedback_set import (
    SET_FORMAT,
    ChunkResolver,
    export_feedback,
    is_feedback_set,
    item_from_record,
    read_feedback_set,
)
from rag.evaluation.qa import run_qa_eval
from rag.feedback import FeedbackRecord, FeedbackStore

QUESTION = "When was the Harrow Point lighthouse built?"


def _record(rag, **feedback) -> FeedbackRecord:
    answer = rag.ask(QUESTION, k=3)
    return FeedbackRecord.from_answer(answer).with_feedback(**feedback)


def test_what_each_kind_of_feedback_becomes(rag) -> None:
    up = item_from_record(_record(rag, rating="up", irrelevant=[2]))  # the answer cites [1]
    assert up.kind == "retrieval" and up.answer is None and not up.for_qa  # a thumbs-up text is never gold
    assert [r.chunk_id for r in up.relevant] == [rag.ask(QUESTION, k=3).sources[0].chunk.id]
    assert len(up.not_relevant) == 1

    vetoed = item_from_record(_record(rag, rating="up", irrelevant=[1]))  # a "not relevant" mark beats the citation
    assert vetoed is None

    down = _record(rag, rating="down")
    assert item_from_record(down) is None  # the wrong answer's citations are not judgments
    corrected = item_from_record(down.with_feedback(correction="1871", relevant=[3]))
    assert corrected.kind == "corrected" and corrected.answer == "1871" and corrected.for_qa
    assert [r.chunk_id for r in corrected.relevant] == [down.sources[2].chunk_id]
    assert corrected.eval_item().facts == (("1871",),)

    refusal = replace(_record(rag, rating="up"), answer="The documents do not contain the answer to this question.",
                      refused=True, cited=())
    declined = item_from_record(refusal)
    assert declined.kind == "offtopic" and declined.offtopic and declined.eval_item().offtopic


def test_export_file_reads_back_and_eval_qa_scores_it(rag, index: Path, tmp_path: Path) -> None:
    rag.feedback(rag.ask(QUESTION, k=2), rating="down", correction="1871")
    rag.feedback(rag.ask("What bread is Ostrander's bakery known for?", k=2), rating="up")
    rag.feedback(rag.ask("How many ferns does the glass garden hold?", k=2), rating="down")  # gives nothing
    out = tmp_path / "set.jsonl"
    report = export_feedback(FeedbackStore(index).list(), out, ChunkResolver(rag.chunks, rag.chunk_ids))
    assert (report.records, len(report.items), report.skipped) == (3, 2, 1)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all(line["set"] == SET_FORMAT and line["id"].startswith("fb-") for line in lines)
    corrected = next(line for line in lines if line["kind"] == "corrected")
    assert corrected["question"] == QUESTION and corrected["answer"] == "1871" and corrected["facts"] == [["1871"]]
    assert "facts" not in next(line for line in lines if line["kind"] == "retrieval")  # not an off-topic item
    assert is_feedback_set(out) and len(read_feedback_set(out)) == 2

    items = read_items(out)  # what `ragloom eval qa --questions set.jsonl` reads
    assert [(i.question, i.facts) for i in items] == [(QUESTION, (("1871",),))]
    summary, results = run_qa_eval(lambda item: rag.stream(item.question, k=2), items)
    assert summary["questions"] == 1 and summary["answer_hit"] == 1.0  # "It was built in 1871 [1]."
    assert results[0].f1 > 0


def test_retrieval_eval_on_the_export_follows_chunks_across_a_reingest(rag, index: Path, tmp_path: Path) -> None:
    answer = rag.ask(QUESTION, k=2)
    rag.feedback(answer, rating="up", relevant=[1])
    out = tmp_path / "set.jsonl"
    export_feedback(FeedbackStore(index).list(), out, ChunkResolver(rag.chunks, rag.chunk_ids))
    items = read_feedback_set(out)
    before = run_feedback_retrieval(rag, items, ["dense"])
    assert before["queries"] == 1 and before["ndcg@10"] == 1.0 and before["chunks_moved"] == 0

    # Re-ingest: the lighthouse chunk is removed and added again (a new id, the same text); the bakery changes.
    rag.delete("lighthouse")
    rag.ingest([DOCUMENTS[0], Document("bakery", "Ostrander's bakery closed in 2020.")])
    after = run_feedback_retrieval(rag, read_feedback_set(out), ["dense"])
    assert after["chunks_moved"] == 1 and after["ndcg@10"] == 1.0  # found again by its text

    rag.ingest([Document("lighthouse", "The lighthouse was rebuilt in 1902.")])  # its text is gone now
    gone = run_feedback_retrieval(rag, read_feedback_set(out), ["dense"])
    assert (gone["queries"], gone["judgments_gone"], gone["chunks_gone"]) == (0, 1, 1)


def test_export_at_once_brings_chunk_ids_up_to_date(index: Path, embedder, tmp_path: Path) -> None:
    from rag.api import RAG

    with RAG(index, embedder=embedder, generator=ScriptedGenerator()) as rag:
        answer = rag.ask(QUESTION, k=1)
        rag.feedback(answer, rating="up")
        rag.delete("lighthouse")
        rag.ingest([DOCUMENTS[0]])
        report = export_feedback(FeedbackStore(index).list(), tmp_path / "set.jsonl",
                                 ChunkResolver(rag.chunks, rag.chunk_ids))
        [item] = report.items
        assert report.remapped == 1 and item.relevant[0].chunk_id != answer.sources[0].chunk.id
        assert rag.chunks([item.relevant[0].chunk_id])[0].text == answer.sources[0].chunk.text


@pytest.mark.parametrize("line, message", [
    ('{"set": "ragloom-feedback/1", "question": ""}', "'question' must be a non-empty string"),
    ('{"set": "other", "question": "q"}', "'set' must be"),
    ('{"set": "ragloom-feedback/1", "question": "q", "relevant": [{"chunk_id": "x"}]}', "not a feedback"),
    ("not json", "not a feedback evaluation item"),
])
def test_a_broken_set_is_a_one_line_error(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(f"\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"set.jsonl:2: .*{message}"):
        read_feedback_set(path)
