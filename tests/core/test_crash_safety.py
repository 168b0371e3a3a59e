"""A process killed half way through a save leaves a readable, consistent index."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rag import RAG, Document

# The child opens the index, changes it and is SIGKILLed at one step of the save.
CHILD = textwrap.dedent("""
    import os, signal, sys
    import indexes.atomic, indexes.chunk_store, indexes.faiss_index
    from rag import RAG, Document

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    step = sys.argv[2]
    if step == "before-rename":      # the new vector file is written but not yet in place
        indexes.atomic.os.replace = die
    elif step == "before-commit":    # new vector file in place, SQLite not committed
        indexes.chunk_store.ChunkStore.commit = die
    elif step == "before-manifest":  # committed, manifest not rewritten
        indexes.faiss_index.write_json_atomic = die
    with RAG(sys.argv[1]) as rag:
        rag.ingest([Document("new", "Volcanoes erupt molten rock called lava.")])
        rag.delete("old-1")
""")


@pytest.mark.parametrize("step", ["before-rename", "before-commit", "before-manifest"])
def test_killed_save_leaves_index_usable(tmp_path: Path, step: str, embedder) -> None:
    index = tmp_path / "index"
    with RAG(index, embedder=embedder) as rag:
        rag.ingest([Document("old-1", "Penguins live in the southern hemisphere."),
                    Document("old-2", "Espresso is brewed by forcing hot water through coffee.")])
    child = subprocess.run([sys.executable, "-c", CHILD, str(index), step], capture_output=True, text=True,
                           timeout=300)
    assert child.returncode == -9, child.stderr[-2000:]

    with RAG(index, embedder=embedder) as rag:
        ids = {r.source_id for r in rag.documents()}
        if step == "before-manifest":  # the commit happened: the new state is the index
            assert ids == {"new", "old-1", "old-2"}  # killed in the save after the ingest
        else:
            assert ids == {"old-1", "old-2"}
        # Vectors and chunk store agree: every stored chunk is found by its own text.
        for record in rag.documents():
            hit = rag.search(rag.index.get(rag.index.chunk_ids({"document_id": record.source_id}).tolist())[0].text,
                             k=1)[0]
            assert hit.chunk.document_id == record.source_id and hit.score > 0.99
        assert rag.index.count() == len(ids)
        rag.ingest([Document("later", "A later write works as usual.")])
    assert len(list(index.glob("vectors-*.faiss"))) == 1  # leftovers of the dead save are gone
    assert not list(index.glob(".*.tmp-*"))
