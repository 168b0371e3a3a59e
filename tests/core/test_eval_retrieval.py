"""Retrieval metrics and the BEIR evaluation path, on a data set the test writes."""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from rag.core.types import Chunk, ScoredChunk
from rag.evaluation import load_beir, ndcg_at, recall_at, score_rankings
from rag.evaluation.retrieval import documents_from_chunks, mrr_at


def test_metrics_on_known_rankings() -> None:
    relevant = {"a": 2, "b": 1}
    assert ndcg_at(["a", "b", "x"], relevant, 10) == pytest.approx(1.0)
    expected = (1 / math.log2(3) + 2 / math.log2(4)) / (2 + 1 / math.log2(3))
    assert ndcg_at(["x", "b", "a"], relevant, 10) == pytest.approx(expected)
    assert recall_at(["x", "b"], relevant, 10) == 0.5
    assert mrr_at(["x", "y", "b"], relevant, 10) == pytest.approx(1 / 3)
    assert score_rankings({"q1": ["a"], "q2": []}, {"q1": {"a": 1}, "q2": {"b": 1}})["recall@10"] == 0.5


def test_document_score_is_best_chunk_and_query_id_is_ignored() -> None:
    def hit(doc: str, score: float) -> ScoredChunk:
        return ScoredChunk(Chunk(0, doc, "", 0, 0), score, 0)

    ranking = documents_from_chunks([hit("q1", 0.99), hit("a", 0.5), hit("b", 0.7), hit("a", 0.9)], query_id="q1")
    assert ranking == [("a", 0.9), ("b", 0.7)]


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    (folder / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Volcanoes", "text": "Lava is molten rock erupting from a volcano."},
        {"_id": "d2", "title": "Bread", "text": "Sourdough rises with wild yeast."},
        {"_id": "d3", "title": "Tea", "text": "Green tea comes from unoxidised leaves."},
        {"_id": "q3", "title": "", "text": "What is green tea made from?"},  # shares the query's id
    ]
    with gzip.open(folder / "corpus.jsonl.gz", "wt") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in corpus)
    queries = [{"_id": "q1", "text": "What erupts from a volcano?"}, {"_id": "q2", "text": "How does sourdough rise?"},
               {"_id": "q3", "text": "What is green tea made from?"}, {"_id": "q4", "text": "not judged"}]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\n")
    return folder


def test_load_beir_reads_plain_and_gzip(beir: Path) -> None:
    data = load_beir(beir)
    assert set(data.queries) == {"q1", "q2", "q3"}
    assert data.corpus["d1"].text == "Volcanoes Lava is molten rock erupting from a volcano."


def test_eval_retrieval_command(beir: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    result = subprocess.run([sys.executable, "-m", "rag.cli.main", "eval", "retrieval", "--beir", str(beir),
                             "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(out.read_text())
    # Each query finds its document first; q3 would find "q3" itself if the id rule were not applied.
    assert metrics["ndcg@10"] == pytest.approx(1.0)
    assert metrics["mrr@10"] == pytest.approx(1.0)
    assert {"ndcg@10", "recall@10", "recall@100", "mrr@10", "seconds"} <= set(metrics)
    assert "ndcg@10" in result.stdout
