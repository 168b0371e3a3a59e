"""``ragloom tune embedder --feedback``: training pairs read straight from the feedback store, and the whole
command on a real index: too little feedback is a one-line error, enough gives a folder ``--embedder DIR`` loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.bundled_embedder import TUNE_FILE
from rag.cli.main import main
from rag.core.types import Document
from rag.tuning import MIN_PAIRS
from rag.tuning.feedback_pairs import pairs_from_feedback

LIGHTHOUSE = "When was the Harrow Point lighthouse built?"
BREAD = "What bread is Ostrander's bakery known for?"
RANGE = "How far can the Harrow Point lamp be seen?"
CAPITALS = [("France", "Paris"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Norway", "Oslo"),
            ("Egypt", "Cairo"), ("Chile", "Santiago"), ("Spain", "Madrid"), ("Italy", "Rome"), ("Cuba", "Havana"),
            ("Ghana", "Accra"), ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Laos", "Vientiane"), ("Mali", "Bamako"),
            ("Nepal", "Kathmandu"), ("Oman", "Muscat"), ("Qatar", "Doha"), ("Sudan", "Khartoum"), ("Togo", "Lome"),
            ("Fiji", "Suva"), ("Greece", "Athens")]


def _number(answer, document_id: str) -> int:
    """The ``[n]`` of the answer's source from this document."""
    return next(n for n, s in enumerate(answer.sources, start=1) if s.chunk.document_id == document_id)


def _text(rag, document_id: str) -> str:
    [chunk] = [c for c in rag.chunks(rag.chunk_ids()) if c.document_id == document_id]
    return chunk.text


def _record_a_little_feedback(rag) -> None:
    lighthouse = rag.ask(LIGHTHOUSE, k=3)  # the scripted reply cites [1]
    rag.feedback(lighthouse, rating="down", correction="1871", irrelevant=[_number(lighthouse, "bakery")])
    bread = rag.ask(BREAD, k=3)
    rag.feedback(bread, relevant=[_number(bread, "bakery")], irrelevant=[_number(bread, "garden")])
    # only the bakery was retrieved: the corrected fact is found by searching the index
    lamp = rag.ask(RANGE, k=1, filter={"title": "Ostrander's bakery"})
    rag.feedback(lamp, rating="down", correction="23 nautical miles")
    rag.feedback(rag.ask("Who founded the glass garden?", k=2), correction="Ada Fenwick")  # in no document
    rag.feedback(rag.ask("When does the bakery open?", k=2), rating="down")  # says nothing about retrieval


def test_feedback_becomes_positives_marked_negatives_and_correction_pairs(rag) -> None:
    _record_a_little_feedback(rag)
    data, report = pairs_from_feedback(rag)
    lighthouse, bakery, garden = (_text(rag, d) for d in ("lighthouse", "bakery", "garden"))
    got = {(p.query, p.positive) for p in data.pairs}
    assert got == {(LIGHTHOUSE, lighthouse), (BREAD, bakery), (RANGE, lighthouse)}
    assert all(p.negative is None for p in data.pairs)  # marked negatives go with the mined ones, not instead
    assert data.negatives == {LIGHTHOUSE: [bakery], BREAD: [garden]}
    assert (report.records, report.questions, report.corrections, report.corrections_missing) == (5, 3, 2, 1)
    assert "3 of 5 feedback records" in data.source


def test_tune_on_feedback_refuses_too_little_then_writes_a_model_embedder_dir_loads(
        rag, index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _record_a_little_feedback(rag)
    out = tmp_path / "feedback-minilm"
    tiny = ["--epochs", "1", "--batch-size", "8", "--max-seq-length", "48", "--no-onnx"]
    code = main(["tune", "embedder", "--feedback", "--index", str(index), "--out", str(out), *tiny])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("ragloom: error: only 3 training pairs in the feedback in ") and \
        err.count("\n") == 1, err
    assert f"needs at least {MIN_PAIRS}" in err and not out.exists()

    rag.ingest([Document(country.lower(), f"{city} is the capital of {country}; its parliament meets there.",
                         {"title": country}) for country, city in CAPITALS], chunk=False)
    for country, _city in CAPITALS:  # a user marks the right source of each answer
        answer = rag.ask(f"Which city is the seat of government of {country}?", k=3)
        if any(s.chunk.document_id == country.lower() for s in answer.sources):
            rag.feedback(answer, relevant=[_number(answer, country.lower())])
    pairs = len(pairs_from_feedback(rag)[0].pairs)
    assert pairs >= MIN_PAIRS

    code = main(["tune", "embedder", "--feedback", "--index", str(index), "--out", str(out), *tiny])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"training data: {pairs} pairs from" in captured.err and f"wrote {out}" in captured.out
    info = json.loads((out / TUNE_FILE).read_text())
    assert info["pairs"] == pairs and info["source"].startswith("the feedback in ") and info["steps"] >= 1

    from rag.api import RAG

    with RAG(tmp_path / "new-index", embedder=str(out)) as tuned:  # what --embedder DIR opens
        tuned.ingest([Document("peru", "Lima is the capital of Peru."),
                      Document("bread", "Rye bread is baked with caraway seeds.")], chunk=False)
        assert tuned.embedder.name == info["name"]
        assert tuned.search("Where does Peru's government sit?", k=1, mode="dense")[0].chunk.document_id == "peru"


@pytest.mark.parametrize(("where", "said"), [("nowhere", "no index at"), ("index", "no feedback in")])
def test_no_index_or_no_feedback_is_a_one_line_error(index: Path, tmp_path: Path, where: str, said: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    folder = index if where == "index" else tmp_path / where
    code = main(["tune", "embedder", "--feedback", "--index", str(folder), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"ragloom: error: {said}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()
