"""A long-lived reader (a ``RAG`` object, as in the UI or the service) searching while another process
ingests: every search sees one committed generation, old or new, never vectors of one and chunks of
the other (the probe saw 1,051 of 3,360 searches fail with ``key not found``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from rag import RAG, Document

WORDS = ["lava", "glacier", "espresso", "penguin", "harbour", "orchard", "comet", "violin"]

# The writer checkpoints after every small batch, so the reader meets many generations; then it
# rewrites a third of the documents (their chunks are deleted and replaced) and mirrors a smaller set.
WRITER = textwrap.dedent("""
    import sys
    import rag.api, rag.ingest
    from rag import RAG, Document

    class Checkpointing(rag.ingest.Ingestor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "batch_chunks": 12, "checkpoint_seconds": 0.0})

    rag.api.Ingestor = Checkpointing
    words = sys.argv[2].split(",")
    def docs(n, version):
        return [Document(f"doc{i}", f"Version {version} of note {i}: the {words[i % len(words)]} "
                                    f"and the {words[(i * 3 + version) % len(words)]}.") for i in range(n)]
    with RAG(sys.argv[1]) as rag:
        rag.ingest(docs(240, 0))
        rag.ingest(docs(240, 0)[:160] + docs(240, 1)[160:])
        rag.ingest(docs(200, 2), sync="full")
""")


def test_a_long_lived_reader_never_sees_a_mix(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest([Document(f"seed{i}", f"Seed note {i} about the {WORDS[i % len(WORDS)]}.") for i in range(20)])
    reader = RAG(folder, embedder=embedder)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), ",".join(WORDS)],
                              stderr=subprocess.PIPE, text=True)
    errors: list[str] = []
    generations: set[str | None] = set()
    searches = checked = 0
    try:
        while writer.poll() is None or searches < 30:
            word = WORDS[searches % len(WORDS)]
            mode = ("dense", "keyword", "hybrid")[searches % 3]
            try:
                hits = reader.search(f"the {word}", k=5, mode=mode)
                generations.add(reader.index._generation)
                if len(hits) != min(5, reader.index.count()) and mode != "keyword":
                    errors.append(f"{mode}: {len(hits)} hits")
                if mode == "dense" and searches % 4 == 0 and hits:  # the vector belongs to this text
                    query = embedder.embed_query(f"the {word}")
                    text_vector = embedder.embed_documents([hits[0].chunk.text])[0]
                    if not np.isclose(hits[0].score, float(text_vector @ query), atol=1e-3):
                        errors.append(f"score {hits[0].score} is not the cosine of {hits[0].chunk.id}'s text")
                    checked += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever its type
                errors.append(f"{mode}: {type(exc).__name__}: {exc}")
            searches += 1
    finally:
        if writer.poll() is None:
            writer.kill()
        stderr = writer.communicate()[1]
    assert writer.returncode == 0, stderr[-2000:]
    assert errors == [], f"{len(errors)} of {searches} searches failed: {errors[:5]}"
    assert len(generations) >= 3, generations  # the reader followed the writer's generations
    assert checked >= 3
    # At the end the long-lived reader sees exactly the writer's final state.
    assert sorted(d.source_id for d in reader.documents()) == sorted(f"doc{i}" for i in range(200))
    hits = reader.search("Version 2 of note 7", k=1, mode="keyword")
    assert hits[0].chunk.text.startswith("Version 2 of note 7:")
    reader.close()
