"""Fixtures for the feedback tests: a tiny corpus indexed with the real embedder, and a scripted generator.

The generator replies from a script (the feedback path stores what it is given; what a model would
say does not matter here). The real model is used by the browser test of the whole loop.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedback_kit import DOCUMENTS, ScriptedGenerator


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    from rag.api import RAG

    folder = tmp_path_factory.mktemp("feedback-built") / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest(DOCUMENTS)
    return folder


@pytest.fixture
def index(built_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built_index, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.fixture
def rag(index: Path, embedder) -> Iterator[object]:
    from rag.api import RAG

    with RAG(index, embedder=embedder, generator=ScriptedGenerator()) as opened:
        yield opened
