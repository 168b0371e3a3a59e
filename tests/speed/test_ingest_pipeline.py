"""The overlapped ingest (embedding on a worker thread) keeps the sequential run's results and sync rules."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from indexes.faiss_index import FaissIndex
from rag.chunking import Chunker, ChunkingSettings
from rag.core.types import Document
from rag.ingest import Ingestor, SyncMode
from tests.hash_vectors import hash_vectors


class HashEmbedder:
    """Deterministic, fast vectors from text hashes; records which threads embedded."""

    name = "hash"
    thread_safe = True
    dimension = 16
    max_tokens = 64

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.threads: set[str] = set()
        self.calls = 0

    def warm_up(self) -> None:
        pass

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def embed_documents(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        self.threads.add(threading.current_thread().name)
        self.calls += 1
        if self.fail_on is not None and any(self.fail_on in t for t in texts):
            raise RuntimeError("embedding failed")
        return hash_vectors(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]


def docs(n: int, tag: str = "v1") -> list[Document]:
    return [Document(f"d{i:03d}", f"document {i} {tag} " + "word " * (i % 7)) for i in range(n)]


def ingestor(folder: Path, embedder: HashEmbedder, overlap: bool = True) -> Ingestor:
    index = FaissIndex.open(folder) if (folder / "manifest.json").exists() else \
        FaissIndex.create(folder, embedder.name, embedder.dimension)
    chunker = Chunker(ChunkingSettings(enabled=False), embedder.count_tokens, embedder.max_tokens)
    return Ingestor(index, embedder, chunker, batch_chunks=7, overlap=overlap)


def snapshot(folder: Path) -> list[tuple[int, str, str, bytes]]:
    index = FaissIndex.open(folder)
    try:
        ids = index.chunk_ids().tolist()
        vectors = index.vectors_of(ids) if ids else np.zeros((0, 16))
        chunks = index.get(ids)
        return [(i, c.document_id, c.text, v.round(5).tobytes()) for i, c, v in zip(ids, chunks, vectors,
                                                                                    strict=True)]
    finally:
        index.close()


def test_overlapped_equals_sequential(tmp_path: Path) -> None:
    for overlap in (True, False):
        embedder = HashEmbedder()
        run = ingestor(tmp_path / str(overlap), embedder, overlap=overlap)
        report = run.run(docs(40))
        run.index.close()
        assert (report.added, report.chunks) == (40, 40)
        assert embedder.calls >= 6  # several batches, so the pipeline really overlapped
        if overlap:
            assert any(name.startswith("ragloom-embed") for name in embedder.threads)
    assert snapshot(tmp_path / "True") == snapshot(tmp_path / "False")


def test_incremental_semantics_with_overlap(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    run = ingestor(folder, HashEmbedder())
    run.run(docs(20))
    again = run.run(docs(20))
    assert (again.unchanged, again.chunks, again.added) == (20, 0, 0)
    changed = docs(20)
    changed[3] = Document("d003", "a new text for three")
    update = run.run(changed)
    assert (update.updated, update.unchanged, update.chunks) == (1, 19, 1)
    full = run.run(changed[:15], sync=SyncMode.FULL)
    assert (full.deleted, full.unchanged) == (5, 15)
    run.index.close()
    assert sorted({doc for _, doc, _, _ in snapshot(folder)}) == [f"d{i:03d}" for i in range(15)]


def test_embedding_failure_propagates_and_keeps_written_batches(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    run = ingestor(folder, HashEmbedder(fail_on="document 30 "))
    with pytest.raises(RuntimeError, match="embedding failed"):
        run.run(docs(40))
    run.index.close()
    written = {doc for _, doc, _, _ in snapshot(folder)}
    assert written and "d030" not in written
    assert written == {f"d{i:03d}" for i in range(len(written))}  # whole batches, in order
    resumed = ingestor(folder, HashEmbedder())
    report = resumed.run(docs(40))
    resumed.index.close()
    assert report.unchanged == len(written) and report.added == 40 - len(written)


def test_embedder_without_thread_safety_runs_inline(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    embedder.thread_safe = False  # type: ignore[misc]
    run = ingestor(tmp_path / "index", embedder)
    run.run(docs(20))
    run.index.close()
    assert embedder.threads == {threading.current_thread().name}
