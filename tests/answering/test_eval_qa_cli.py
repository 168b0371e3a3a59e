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
