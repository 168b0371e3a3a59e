"""The bundled sample corpus and where its index lives, so ``make chat`` works with no documents of one's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rag import RAG, IngestReport, cache_dir

SAMPLE_INDEX_NAME = "sample-index"


def sample_corpus_dir() -> Path:
    """The Markdown files shipped as package data in ``rag/sample_corpus``."""
    return Path(str(resources.files("rag") / "sample_corpus"))


def sample_index_dir() -> Path:
    return cache_dir() / SAMPLE_INDEX_NAME


def sync_sample_index(rag: RAG) -> IngestReport:
    """Bring the sample index up to date with the corpus: unchanged files write nothing, so later starts are fast.

    ``add`` rather than ``full``: files a user uploaded into the sample index must survive a restart.
    """
    corpus = sample_corpus_dir()
    if not corpus.is_dir():
        return IngestReport()
    return rag.ingest([corpus], sync="add")
