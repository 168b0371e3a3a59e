"""``ragloom eval qa --limit 3`` end to end on a tiny CSV pair (real index, SmolLM2)."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from rag.cli import eval_qa_command
from rag.cli import main as cli_main


def _parser() -> argparse.ArgumentParser:
    """The real ``ragloom`` parser, with ``eval qa`` registered if main does not list it yet."""
    parser = cli_main.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    evals = commands.choices.get("eval")
    qa_registered = evals is not None and any(
        isinstance(a, argparse._SubParsersAction) and "qa" in a.choices for a in evals._actions)
    if not qa_registered:
        eval_qa_command.register(commands)
    return parser


def _write_csvs(tmp_path: Path) -> tuple[Path, Path]:
    passages, questions = tmp_path / "passages.csv", tmp_path / "questions.csv"
    with passages.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "passage"])
        w.writerow([0, "The Eiffel Tower in Paris was completed in 1889."])
        w.writerow([1, "Marie Curie was born in Warsaw in 1867."])
        w.writerow([2, "The Nile is a river in Africa, about 6,650 km long."])
    with questions.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["question", "answer", "id"])
        w.writerow(["When was the Eiffel Tower completed?", "1889", 1])
        w.writerow(["Was Marie Curie born in Warsaw?", "yes", 2])
        w.writerow(["Where was Marie Curie born?", "Warsaw", 3])
        w.writerow(["This fourth question is beyond the limit?", "no", 4])
    return passages, questions


def test_eval_qa_runs_end_to_end(tmp_path: Path, small_generator, capsys: pytest.CaptureFixture[str]) -> None:
    passages, questions = _write_csvs(tmp_path)
    out = tmp_path / "qa.json"
    args = _parser().parse_args(["eval", "qa", "--passages", str(passages), "--questions", str(questions),
                                 "--limit", "3", "--json", str(out), "-k", "2", "--model", "smollm2-135m",
                                 "--max-new-tokens", "12"])
    assert args.func(args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    for key in ("exact_match", "f1", "answer_in_context", "yes_no_accuracy", "p50_seconds", "p95_seconds"):
        assert key in data
    assert data["questions"] == 3 and len(data["results"]) == 3
    assert data["yes_no_questions"] == 1 and data["answer_in_context_questions"] == 2
    assert data["answer_in_context"] == 1.0  # both span answers are in the top-2 passages
    assert 0 < data["p50_seconds"] <= data["p95_seconds"]
    assert "exact_match" in capsys.readouterr().out


def test_eval_qa_rejects_a_bad_csv(tmp_path: Path) -> None:
    from rag.core.errors import RagloomError

    bad = tmp_path / "bad.csv"
    bad.write_text("q,a\nx,y\n", encoding="utf-8")
    args = _parser().parse_args(["eval", "qa", "--passages", str(bad), "--questions", str(bad)])
    with pytest.raises(RagloomError, match="question"):
        args.func(args)


def test_eval_qa_reads_a_docs_chat_set_over_a_folder(tmp_path: Path, small_generator) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "saving.md").write_text(
        "# Saving\n\n## Atomic saves\n\nThe index is saved in three steps: write a new vectors file, commit the "
        "SQLite transaction, then delete the old vectors file.\n", encoding="utf-8")
    (docs / "chunks.md").write_text(
        "# Chunks\n\n## Size\n\nEach chunk holds up to 200 tokens, with 32 tokens of overlap.\n", encoding="utf-8")
    items = [
        {"id": "size", "kind": "what", "question": "How many tokens does a chunk hold?", "facts": [["200"]],
         "support": ["chunks.md#Size"]},
        {"id": "fu", "kind": "followup", "question": "And how much do they overlap?", "facts": [["32"]],
         "support": ["chunks.md#Size"], "history": [
             {"role": "user", "content": "How many tokens does a chunk hold?"},
             {"role": "assistant", "content": "Up to 200 tokens [1]."}]},
        {"id": "off", "kind": "offtopic", "question": "What is the capital of Australia?", "facts": []},
    ]
    questions = tmp_path / "set.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    out = tmp_path / "qa.json"
    args = _parser().parse_args(["eval", "qa", "--passages", str(docs), "--questions", str(questions),
                                 "--style", "full", "--json", str(out), "--model", "smollm2-135m",
                                 "--max-new-tokens", "24"])
    assert args.func(args) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["settings"]["style"] == "full"
    assert data["answerable_questions"] == 2 and data["offtopic_questions"] == 1
    assert data["offtopic_declined"] == 1.0  # nothing in the folder is near it: refused before the model
    for key in ("answer_hit", "citation_precision", "grounded", "median_words", "ttft_p50_seconds",
                "total_p50_seconds", "fact_recall"):
        assert key in data
    assert 0 < data["ttft_p50_seconds"] <= data["total_p50_seconds"]
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["off"]["declined"] and by_id["off"]["answer_hit"] is None
    assert by_id["size"]["answer_hit"] == ("200" in by_id["size"]["prediction"])


def test_eval_qa_rejects_a_bad_jsonl_line(tmp_path: Path) -> None:
    from rag.core.errors import RagloomError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok?", "facts": [["a"]]}\n{"question": ""}\n', encoding="utf-8")
    args = _parser().parse_args(["eval", "qa", "--passages", str(tmp_path), "--questions", str(bad)])
    with pytest.raises(RagloomError, match=r"bad.jsonl:2"):
        args.func(args)
