"""The UI's plain helpers: upload names and confinement, PCA, controls -> options, exports, passages, the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.core.answer import Answer, Citation
from rag.core.errors import ConfigError, RagloomError
from rag.core.sampling import SamplingParams
from rag.core.types import Chunk, ScoredChunk
from rag.prompts import BUNDLED
from ui.answer_settings import AnswerSettings, bundled_example_rows, examples_from_rows
from ui.export import conversation_json, conversation_markdown
from ui.projection import pca_2d
from ui.sources import best_passage, cosine_of, escape_markdown, highlighted_excerpt, location
from ui.uploads import is_upload, sanitise_filename, save_upload, uploads_dir


@pytest.mark.parametrize(("name", "expected"), [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\evil.docx", "evil.docx"),
    (".bashrc", "upload.bashrc"),
    ("Résumé (final).MD", "Resume _final.MD"),
    ("\x00\x1b[31m.txt", "31m.txt"),
    ("..", "upload"),
    ("", "upload"),
    ("notes.tar.gz", "notes.tar.gz"),
])
def test_upload_names_are_sanitised(name: str, expected: str) -> None:
    assert sanitise_filename(name) == expected


def test_long_names_are_bounded() -> None:
    name = sanitise_filename("a" * 500 + ".json")
    assert len(name) <= 120 and name.endswith(".json")


def test_uploads_stay_inside_the_index_folder(tmp_path: Path) -> None:
    index = tmp_path / "index"
    for hostile in ("../../outside.txt", "/etc/cron.d/job.txt", "sub/dir/../../x.txt", "C:\\temp\\y.txt"):
        saved = save_upload(index, hostile, b"data")
        assert saved.parent == uploads_dir(index) and saved.read_bytes() == b"data"
        assert is_upload(index, str(saved))
    assert not (tmp_path / "outside.txt").exists()
    assert not list(uploads_dir(index).glob(".*.part"))  # written beside, then renamed
    assert not is_upload(index, str(tmp_path / "elsewhere.txt"))


def test_pca_keeps_the_main_directions() -> None:
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 3)) * np.array([10.0, 3.0, 0.01])
    projected = pca_2d(points)
    assert projected.shape == (50, 2)
    assert projected[:, 0].var() > projected[:, 1].var() > 1.0
    assert pca_2d(np.ones((4, 8))).tolist() == [[0.0, 0.0]] * 4  # no spread: no crash
    assert pca_2d(np.zeros((1, 8))).shape == (1, 2)
    assert pca_2d(np.zeros((0, 8))).shape == (0, 2)


def test_settings_become_stream_options() -> None:
    settings = AnswerSettings(greedy=False, temperature=0.9, top_k=5, top_p=0.5, max_new_tokens=64, seed=3, k=4,
                              min_score=0.25, task="translate", target_language=" French ", shots="one-shot",
                              examples=examples_from_rows(bundled_example_rows("qa")))
    options = settings.options()
    assert options.sampling == SamplingParams(greedy=False, temperature=0.9, top_k=5, top_p=0.5,
                                              max_new_tokens=64, seed=3)
    assert options.k == 4 and options.min_score == 0.25 and options.target_language == "French"
    assert options.examples == (BUNDLED["qa"][0],)
    assert AnswerSettings(shots="zero-shot", examples=BUNDLED["qa"]).options().examples == ()
    defaults = AnswerSettings().options()
    assert defaults.min_score is None and defaults.k is None and defaults.style == "full"
    assert AnswerSettings(style="short").options().style == "short"


@pytest.mark.parametrize(("changes", "message"), [
    ({"greedy": False, "temperature": 0.0}, "temperature must be > 0"),
    ({"greedy": False, "top_p": 0.0}, "top_p"),
    ({"task": "translate"}, "target language"),
    ({"k": -1}, "by evidence"),
    ({"style": "poem"}, "answer style"),
    ({"task": "poetry"}, "unknown task"),
])
def test_invalid_settings_raise_readable_errors(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        AnswerSettings(**changes).options()


def test_example_rows_round_trip_and_skip_blank_rows() -> None:
    rows = bundled_example_rows("summarize")
    assert examples_from_rows(rows) == BUNDLED["summarize"]
    assert examples_from_rows([{"input": "q", "output": None, "sources": None}, {"input": " q ", "output": "a"}]) \
        == examples_from_rows([{"input": "q", "output": "a", "sources": ""}])


def _answer() -> Answer:
    chunk = Chunk(7, "/docs/a.md#section=Intro", "Intro text. The tower is 330 metres tall. More.", 0, 47,
                  {"title": "Towers", "source": "/docs/a.md", "section": "Intro"})
    source = ScoredChunk(chunk, 0.016, 1, cosine=0.81) if "cosine" in ScoredChunk.__dataclass_fields__ \
        else ScoredChunk(chunk, 0.81, 1)
    return Answer("It is 330 metres tall [1].", citations=(Citation(1, source),), sources=(source,),
                  messages=({"role": "user", "content": "How tall?"},), prompt_tokens=20, query="How tall?")


def test_exports_carry_the_answer_and_its_sources() -> None:
    answer = _answer()
    turns = [{"role": "user", "content": "How tall?"},
             {"role": "assistant", "content": answer.text, "answer": answer},
             {"role": "user", "content": "And wide?"},
             {"role": "assistant", "content": "", "error": "Could not answer: model missing"}]
    markdown = conversation_markdown(turns, "/idx")
    assert "## Question" in markdown and "330 metres tall [1]" in markdown
    assert "1. Towers (cosine 0.810)" in markdown and "Could not answer: model missing" in markdown
    data = json.loads(conversation_json(turns, "/idx"))
    assert data["index"] == "/idx" and len(data["turns"]) == 4
    assert data["turns"][1]["answer"]["sources"][0]["chunk_id"] == 7
    assert data["turns"][3]["error"].startswith("Could not answer")


def test_the_cited_passage_is_the_sentence_closest_to_the_answer() -> None:
    answer = _answer()
    text = answer.sources[0].chunk.text
    start, end = best_passage(text, answer.text)
    assert text[start:end].strip() == "The tower is 330 metres tall."
    assert ":orange-background[The tower is 330 metres tall\\.]" in highlighted_excerpt(text, answer.text)
    assert best_passage(text, "zzz") == (0, 0)
    assert location(answer.sources[0]) == "section Intro"
    assert cosine_of(answer.sources[0]) == pytest.approx(0.81)
    assert escape_markdown("[1] *x*") == "\\[1\\] \\*x\\*"


def test_the_command_serves_only_on_loopback_headless_without_telemetry() -> None:
    from rag.cli.ui_command import app_path, port_is_free, streamlit_command

    command = streamlit_command(app_path(), 8765)
    flags = dict(zip(command[3::2], command[4::2], strict=False))
    assert command[1:3] == ["run", str(app_path())] or command[3:5] == ["run", str(app_path())]
    assert "--server.address" in command and command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--browser.gatherUsageStats") + 1] == "false"
    assert app_path().name == "app.py" and isinstance(flags, dict)
    assert isinstance(port_is_free(8765), bool)


def test_the_command_refuses_a_bad_port() -> None:
    import argparse

    from rag.cli.ui_command import run

    with pytest.raises(RagloomError, match="--port"):
        run(argparse.Namespace(index=None, port=70000))


def test_the_sample_index_drops_the_copies_an_earlier_install_ingested_elsewhere(tmp_path: Path, embedder) -> None:
    """The sample index sits in the shared cache; five clones had left five copies of the corpus in it."""
    import shutil

    from rag import RAG
    from ui.sample import drop_moved_copies, sample_corpus_dir

    old, new = tmp_path / "old" / "rag" / "sample_corpus", tmp_path / "new" / "rag" / "sample_corpus"
    mine = tmp_path / "mine" / "notes.md"
    for folder in (old, new):
        folder.mkdir(parents=True)
        shutil.copy(sample_corpus_dir() / "faiss-index.md", folder)
    mine.parent.mkdir()
    mine.write_text("# My notes\n\nThe staging server restarts at noon.\n", encoding="utf-8")
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([old, mine])
        before = len(rag.documents())
        assert drop_moved_copies(rag, new) == before - 1  # every section of the old copy, not the user's file
        rag.ingest([new])
        sources = {d.source_id.split("#")[0] for d in rag.documents()}
        assert sources == {str(new.resolve() / "faiss-index.md"), str(mine.resolve())}
        assert drop_moved_copies(rag, new) == 0
