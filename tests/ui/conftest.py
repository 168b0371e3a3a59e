"""Fixtures for the chat UI tests: a small corpus, an index built from it once, and a recording generator.

The generator is real (the smallest bundled model, SmolLM2-135M on llama.cpp, one thread); the
recording proxy only notes the ``SamplingParams`` each call receives, so tests can check what the
model controls sent. It reaches the app through the documented ``st.session_state["ragloom_generator"]``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ui_testkit import RecordingGenerator

CORPUS = {
    "lighthouse.md": "# The Harrow Point lighthouse\n\n"
                     "The Harrow Point lighthouse was built in 1871 by the engineer Mara Quillon. "
                     "Its lamp is visible for 23 nautical miles. The keeper's cottage is painted green.\n",
    "bakery.md": "# Ostrander's bakery\n\n"
                 "Ostrander's bakery opens at six in the morning. Its best-known loaf is a rye bread "
                 "baked with caraway seeds, and on Fridays it sells cardamom buns.\n",
    "garden.md": "# The glass garden\n\n"
                 "The glass garden holds four hundred species of fern. It is heated by a wood-fired boiler "
                 "and closes every winter from December to February.\n",
}


@pytest.fixture(scope="session")
def smollm() -> object:
    from rag.generation import create_generator

    generator = create_generator("llamacpp", "smollm2-135m", n_threads=1, context_window=2048)
    generator.warm_up()
    return generator


@pytest.fixture
def recording(smollm: object) -> RecordingGenerator:
    return RecordingGenerator(smollm)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    """The corpus indexed once with the real embedder; tests get copies."""
    from rag.api import RAG

    folder = tmp_path_factory.mktemp("built") / "index"
    with RAG(folder) as rag:
        rag.ingest([corpus_dir])
    return folder


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample corpus indexed once (the browser tests ask the questions a new user would)."""
    from rag.api import RAG
    from ui.sample import sample_corpus_dir

    folder = tmp_path_factory.mktemp("sample") / "index"
    with RAG(folder) as rag:
        rag.ingest([sample_corpus_dir()])
    return folder


@pytest.fixture
def index_copy(built_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built_index, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # No test may touch the user's sample index; the bundled SmolLM2 is read in place from its package.
    monkeypatch.setenv("RAGLOOM_CACHE", str(tmp_path_factory.getbasetemp() / "ragloom-cache"))
    monkeypatch.delenv("RAGLOOM_UI_INDEX", raising=False)
    monkeypatch.delenv("RAGLOOM_INDEX", raising=False)
