"""``ragloom ask`` (streamed and --json) and ``ragloom chat`` over a real index with SmolLM2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli.main import main
from rag.core.types import Document

MODEL = ["--model", "smollm2-135m", "--max-new-tokens", "12"]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    from rag.api import RAG

    folder = tmp_path_factory.mktemp("cli-index")
    with RAG(folder) as rag:
        rag.ingest([
            Document("eiffel", "The Eiffel Tower in Paris was completed in 1889.", {"title": "Eiffel"}),
            Document("nile", "The Nile is a river in Africa, about 6,650 km long.", {"title": "Nile"}),
        ])
    return str(folder)


def test_ask_json(index_dir: str, small_generator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "When was the Eiffel Tower completed?", "--index", index_dir, "-k", "2", "--json", *MODEL])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sources"][0]["document_id"] == "eiffel" and data["sources"][0]["number"] == 1
    assert data["completion_tokens"] > 0 and data["messages"][-1]["role"] == "user"


def test_ask_streams_then_lists_sources_and_prompt(index_dir: str, small_generator,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ask", "How long is the Nile?", "--index", index_dir, "-k", "1", "--show-prompt", *MODEL])
    out = capsys.readouterr().out
    assert code == 0 and "\nSources:\n" in out and "[1] Nile (score" in out
    assert "--- prompt (" in out and "[system]" in out


def test_ask_user_mistakes_exit_2(index_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "Translate it", "--index", index_dir, "--task", "translate", *MODEL]) == 2
    assert "--language" in capsys.readouterr().err
    assert main(["ask", "q", "--index", str(tmp_path / "missing"), *MODEL]) == 2


def test_chat_keeps_history_and_clears(index_dir: str, small_generator, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    lines = iter(["When was the Eiffel Tower completed?", "/clear", "How long is the Nile?", "/exit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["chat", "--index", index_dir, "-k", "1", *MODEL]) == 0
    out = capsys.readouterr().out
    assert out.count("Sources:") == 2 and "(history cleared)" in out
    # After /clear the second question has no history, so it was not rewritten.
    assert "retrieval query rewritten" not in out
