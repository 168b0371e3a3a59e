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
    drop_moved_copies(rag, corpus)
    return rag.ingest([corpus], sync="add")


def drop_moved_copies(rag: RAG, corpus: Path) -> int:
    """Delete the sample files an earlier install ingested from another place; returns how many went.

    Files are keyed by their absolute path, and the sample index lives in the user's cache, shared by
    every install (another clone, a new virtual environment, another Python). Each one used to add
    its own copy of the corpus beside the others: with five copies, the three sources of an answer
    were the same section three times, and the section that answers was pushed out.
    """
    here = corpus.resolve()
    removed = 0
    for record in rag.documents():
        path = Path(record.source_id.split("#", 1)[0])
        if path.parent.name == here.name and path.parent.parent.name == here.parent.name and path.parent != here:
            rag.delete(record.source_id)
            removed += 1
    return removed
