"""``ragloom feedback`` and ``ragloom eval export --feedback`` / ``eval retrieval --questions`` on the command
line: the loop on a real index, and one-line errors (exit 2, no traceback) for every user mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli.main import main
from rag.feedback import FeedbackStore

QUESTION = "When was the Harrow Point lighthouse built?"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code: int, err: str, wanted: str) -> None:
    assert code == 2 and err.startswith("ragloom: error: ") and err.count("\n") == 1, err
    assert wanted in err, err


def test_record_show_list_export_evaluate_delete(rag, index: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    answer_file = tmp_path / "answer.json"  # what `ragloom ask ... --json > answer.json` writes
    answer_file.write_text(json.dumps(rag.ask(QUESTION, k=2).to_dict()), encoding="utf-8")
    code, out, _ = _run(capsys, "feedback", "list", "--index", str(index))
    assert code == 0 and "no feedback yet" in out

    code, out, _ = _run(capsys, "feedback", "record", "--answer", str(answer_file), "--rating", "down",
                        "--index", str(index))
    assert code == 0 and "saved feedback" in out
    [record] = FeedbackStore(index).list()
    short = record.id[:8]
    code, out, _ = _run(capsys, "feedback", "record", short, "--correction", "1871", "--relevant", "1",
                        "--index", str(index))
    assert code == 0
    code, out, _ = _run(capsys, "feedback", "list", "--index", str(index))
    assert code == 0 and record.id[:12] in out and "down" in out and "corrected" in out and QUESTION in out
    code, out, _ = _run(capsys, "feedback", "show", short, "--index", str(index))
    assert code == 0 and "correction 1871" in out and "*[1]" in out and "relevant" in out and "model scripted" in out
    code, out, _ = _run(capsys, "feedback", "show", short, "--json", "--index", str(index))
    assert json.loads(out)["correction"] == "1871"

    exported = tmp_path / "set.jsonl"
    code, out, _ = _run(capsys, "eval", "export", "--feedback", "--index", str(index), "--out", str(exported))
    assert code == 0 and "1 items from 1 feedback records (1 with a corrected answer" in out
    code, out, _ = _run(capsys, "eval", "retrieval", "--questions", str(exported), "--index", str(index),
                        "--mode", "dense", "--json", str(tmp_path / "r.json"))
    assert code == 0 and "1 judged questions of 1" in out
    assert json.loads((tmp_path / "r.json").read_text())["ndcg@10"] == 1.0

    code, out, _ = _run(capsys, "feedback", "delete", short, "--index", str(index))
    assert code == 0 and FeedbackStore(index).list() == []


def test_user_mistakes_are_one_line_errors(rag, index: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing")
    not_json = tmp_path / "answer.txt"
    not_json.write_text("It was built in 1871.", encoding="utf-8")
    not_answer = tmp_path / "answer.json"
    not_answer.write_text('{"text": "an answer without its id"}', encoding="utf-8")
    cases = [
        (["feedback", "list", "--index", missing], "no index at"),
        (["feedback", "show", "abcdef99", "--index", str(index)], "no feedback 'abcdef99'"),
        (["feedback", "record", "--index", str(index), "--rating", "up"], "give either a feedback ID or --answer"),
        (["feedback", "record", "--answer", str(not_json), "--index", str(index)], "not JSON"),
        (["feedback", "record", "--answer", str(not_answer), "--index", str(index)], "not an answer ragloom can"),
        (["feedback", "record", "--answer", missing, "--index", str(index)], "no such answer file"),
        (["eval", "export", "--index", str(index), "--out", str(tmp_path / "s.jsonl")], "say what to export"),
        (["eval", "export", "--feedback", "--index", str(index), "--out", str(tmp_path / "s.jsonl")],
         "no feedback in"),
        (["eval", "export", "--feedback", "--index", str(index), "--out", str(tmp_path)], "is a folder"),
        (["eval", "retrieval", "--questions", str(not_json)], "needs --index"),
        (["eval", "retrieval", "--beir", missing, "--questions", str(not_json)], "give either --beir"),
        (["eval", "retrieval", "--questions", str(not_json), "--index", str(index)], "not a feedback evaluation"),
        (["eval", "qa", "--questions", str(not_json)], "give either --passages"),
    ]
    for argv, wanted in cases:
        code, _, err = _run(capsys, *argv)
        _one_line_error(code, err, wanted)

    # A record whose source number does not exist, and a thumbs-down with nothing to export.
    answer = rag.ask(QUESTION, k=1)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(answer.to_dict()), encoding="utf-8")
    code, _, err = _run(capsys, "feedback", "record", "--answer", str(good), "--relevant", "4", "--index", str(index))
    _one_line_error(code, err, "relevant: 4 is not a source number of this answer (1..1)")
    assert _run(capsys, "feedback", "record", "--answer", str(good), "--rating", "down", "--index", str(index))[0] == 0
    code, _, err = _run(capsys, "eval", "export", "--feedback", "--index", str(index), "--out",
                        str(tmp_path / "s.jsonl"))
    _one_line_error(code, err, "nothing to export: 0 items from 1 feedback records")
    assert not (tmp_path / "s.jsonl").exists()


def test_help_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["feedback", "--help"], ["eval", "export", "--help"], ["feedback", "record", "--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "ragloom eval export --feedback --index my-index --out set.jsonl" in out
    assert "--correction TEXT" in out and "source numbers [N]" in out
