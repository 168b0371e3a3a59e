"""``ragloom ask --explain``: the JSON shape (one ``{"weight": ...}`` per source, in source order) and the bars.

A real index, SmolLM2-135M answering on llama.cpp and re-reading on transformers (``explain_model``).
"""

from __future__ import annotations

import json

import pytest

from rag.cli.main import main
from rag.core.types import Document

MODEL = ["--model", "smollm2-135m", "--max-new-tokens", "16", "-k", "2"]
QUESTION = "When was the Eiffel Tower completed?"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    from rag.api import RAG

    folder = tmp_path_factory.mktemp("explain-index")
    with RAG(folder) as rag:
        rag.ingest([
            Document("eiffel", "The Eiffel Tower in Paris was completed in 1889 for the World's Fair.",
                     {"title": "Eiffel"}),
            Document("nile", "The Nile is a river in Africa, about 6,650 km long.", {"title": "Nile"}),
        ])
    return str(folder)


@pytest.fixture(autouse=True)
def _small_models(monkeypatch: pytest.MonkeyPatch, attention_model: str) -> None:
    pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed: bash setup/install_generation.sh")
    monkeypatch.setenv("RAGLOOM_EXPLAIN_MODEL", attention_model)


def test_ask_explain_json_carries_one_weight_per_source(index_dir: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", QUESTION, "--index", index_dir, "--json", "--explain", *MODEL]) == 0
    data = json.loads(capsys.readouterr().out)
    explain = data["explain"]
    assert explain["method"] == "attention" and explain["model"] == "smollm2-135m"
    assert len(explain["sources"]) == len(data["sources"]) == 2
    assert [s["number"] for s in explain["sources"]] == [s["number"] for s in data["sources"]] == [1, 2]
    weights = [s["weight"] for s in explain["sources"]]
    assert all(isinstance(w, float) and 0.0 <= w <= 1.0 for w in weights)
    assert sum(weights) == pytest.approx(1.0, abs=1e-3)
    assert "layers" in explain["label"] and explain["layers"]
    for source, shown in zip(explain["sources"], data["sources"], strict=True):
        assert source["text"].strip() and all(0 <= a < b <= len(source["text"]) for a, b, _ in source["spans"])
        assert source["text"].split()[0] in shown["text"]  # the text the model read, from that source


def test_ask_explain_grounding_prints_bars(index_dir: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", QUESTION, "--index", index_dir, "--explain", "--explain-method", "grounding", *MODEL]) == 0
    out = capsys.readouterr().out
    assert "Explain (model-free attribution" in out
    bars = [line for line in out.splitlines() if line.startswith(("  [1] ", "  [2] "))]
    assert len(bars) == 2 and all("█" in line or "░" in line for line in bars)
