"""Incremental sync against the real embedder and a real FAISS index."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import RAG, Document
from rag.config import Settings


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    write(docs, "cats.txt", "Cats are small carnivorous mammals. They purr when content and hunt mice at night.")
    write(docs, "rust.txt", "Rust is a systems programming language that guarantees memory safety without a GC.")
    write(docs, "tea.txt", "Green tea is made from unoxidised leaves and is popular in Japan and China.")
    return docs


def vector_files(index: Path) -> list[str]:
    return sorted(p.name for p in index.glob("vectors-*.faiss"))


def test_unchanged_reingest_writes_nothing(tmp_path: Path, corpus: Path, embedder) -> None:
    index = tmp_path / "index"
    with RAG(index, embedder=embedder) as rag:
        first = rag.ingest([corpus])
    assert (first.added, first.unchanged, first.chunks) == (3, 0, 3)
    files_before = vector_files(index)
    # .lock is left out: every writer writes its pid there
    stamps = {p.name: p.stat().st_mtime_ns for p in index.iterdir() if p.is_file() and p.name != ".lock"}
    (corpus / "cats.txt").touch()  # a newer mtime alone is not a change
    with RAG(index, embedder=embedder) as rag:
        second = rag.ingest([corpus])
    assert (second.added, second.updated, second.unchanged, second.deleted, second.chunks) == (0, 0, 3, 0, 0)
    assert vector_files(index) == files_before
    assert {p.name: p.stat().st_mtime_ns for p in index.iterdir() if p.is_file() and p.name != ".lock"} == stamps


def test_changed_document_replaces_its_chunks(tmp_path: Path, corpus: Path, embedder) -> None:
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([corpus])
        cats = str((corpus / "cats.txt").resolve())
        old_ids = set(rag.index.chunk_ids({"document_id": cats}).tolist())
        other_ids = set(rag.index.chunk_ids({"document_id": {"$ne": cats}}).tolist())
        write(corpus, "cats.txt", "Cats sleep up to sixteen hours a day, mostly in warm sunny spots.")
        report = rag.ingest([corpus])
        assert (report.updated, report.unchanged, report.added) == (1, 2, 0)
        new_ids = set(rag.index.chunk_ids({"document_id": cats}).tolist())
        assert new_ids and not new_ids & old_ids
        assert min(new_ids) > max(old_ids | other_ids)  # fresh ids, never reused
        assert set(rag.index.chunk_ids({"document_id": {"$ne": cats}}).tolist()) == other_ids
        top = rag.search("how long do cats sleep?", k=1)[0]
        assert "sixteen hours" in top.chunk.text
        assert rag.info()["chunks"] == 3


def test_full_sync_deletes_documents_whose_source_disappeared(tmp_path: Path, corpus: Path, embedder) -> None:
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([corpus])
        (corpus / "tea.txt").unlink()
        added_only = rag.ingest([corpus])  # add mode never deletes other sources
        assert added_only.deleted == 0 and rag.info()["documents"] == 3
        full = rag.ingest([corpus], sync="full")
        assert (full.deleted, full.unchanged) == (1, 2)
        assert rag.info()["documents"] == 2
        assert all("tea" not in hit.chunk.text.lower() for hit in rag.search("green tea", k=5))


def test_full_sync_keeps_documents_of_unreadable_sources(tmp_path: Path, corpus: Path, embedder) -> None:
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([corpus])
        (corpus / "tea.txt").write_bytes(b"\x00\x01binary now")
        report = rag.ingest([corpus], sync="full")
        assert report.skipped == 1 and report.deleted == 0
        assert rag.info()["documents"] == 3


def test_parts_removed_from_a_source_are_deleted_in_add_mode(tmp_path: Path, embedder) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n## Install\nRun the installer.\n\n## Remove\nDelete the folder.\n", encoding="utf-8")
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([doc])
        sections = {r.source_id for r in rag.documents()}
        doc.write_text("# Guide\n\n## Install\nRun the installer.\n", encoding="utf-8")
        report = rag.ingest([doc])
        remaining = {r.source_id for r in rag.documents()}
    assert report.deleted == len(sections) - len(remaining) >= 1
    assert all("Remove" not in r for r in remaining)


def test_delete_never_shifts_other_ids(tmp_path: Path, corpus: Path, embedder) -> None:
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([corpus])
        before = {c.id: c.text for c in rag.index.get(rag.index.chunk_ids().tolist())}
        victim = str((corpus / "rust.txt").resolve())
        assert rag.delete(victim) == 1
        after = {c.id: c.text for c in rag.index.get(rag.index.chunk_ids().tolist())}
    assert after == {i: t for i, t in before.items() if "Rust" not in t}
    with RAG(tmp_path / "index", embedder=embedder) as reopened:  # and it holds on disk
        hits = reopened.search("purring mammals", k=3)
        assert {h.chunk.id: h.chunk.text for h in hits} == after


def test_documents_and_chunk_offsets(tmp_path: Path, embedder) -> None:
    text = " ".join(f"Sentence number {i} talks about topic {i % 7} in some detail." for i in range(200))
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([Document("long-doc", text, {"title": "Long"})])
        chunks = rag.index.get(rag.index.chunk_ids().tolist())
    assert len(chunks) > 5
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert all(embedder.count_tokens(c.text) <= Settings().chunk_tokens for c in chunks)
    assert all(c.metadata["title"] == "Long" for c in chunks)


def test_no_chunk_keeps_one_chunk_per_document(tmp_path: Path, embedder) -> None:
    text = "word " * 2000
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        report = rag.ingest([Document("d", text)], chunk=False)
    assert report.chunks == 1
