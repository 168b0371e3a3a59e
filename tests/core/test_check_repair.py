"""``ragloom check [--repair]`` on real damage: what it reports, what it rebuilds, what it keeps."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import RAG, Document

TOPICS = ["volcanoes erupt lava", "penguins swim in cold water", "espresso needs finely ground coffee",
          "glaciers carve valleys", "bees make honey from nectar", "rust is iron oxide"]


def ragloom(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], capture_output=True, text=True,
                          timeout=600)


def check(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    result = ragloom("check", "--index", str(folder), *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture()
def built(tmp_path: Path, embedder) -> Path:
    folder = tmp_path / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest([Document(f"doc{i}", f"Note {i}: {TOPICS[i % len(TOPICS)]}. " * 3, {"n": i}) for i in range(30)])
    return folder


def snapshot(folder: Path, embedder) -> dict:
    """What a user sees: documents with hashes, chunk texts, and the top hit of each topic."""
    with RAG(folder, embedder=embedder) as rag:
        ids = rag.index.chunk_ids().tolist()
        return {"documents": {d.source_id: d.content_hash for d in rag.documents()},
                "chunks": sorted((c.document_id, c.text) for c in rag.index.get(ids)),
                "vectors": np.round(rag.index.vectors_of(sorted(ids)), 5),
                "top": [rag.search(t, k=1, mode="dense")[0].chunk.document_id for t in TOPICS]}


def same(a: dict, b: dict) -> bool:
    return (a["documents"] == b["documents"] and a["chunks"] == b["chunks"] and a["top"] == b["top"]
            and a["vectors"].shape == b["vectors"].shape and np.allclose(a["vectors"], b["vectors"], atol=1e-3))


def test_a_sound_index_passes(built: Path) -> None:
    result = check(built)
    assert result.returncode == 0 and f"index {built} is sound" in result.stdout


def test_flipped_vector_bytes_are_found_and_rebuilt_from_chunk_texts(built: Path, embedder) -> None:
    before = snapshot(built, embedder)
    (path,) = built.glob("vectors-*.faiss")
    data = bytearray(path.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = bytes(4096)
    path.write_bytes(bytes(data))
    result = check(built)
    assert result.returncode == 1
    assert "does not match the checksum" in result.stdout and "--repair" in result.stderr
    repaired = check(built, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "re-embedded" in repaired.stdout and "is sound" in repaired.stdout
    assert same(snapshot(built, embedder), before)


def test_deleted_chunk_rows_mark_documents_for_reingest_and_a_rerun_restores_them(built: Path, embedder) -> None:
    before = snapshot(built, embedder)
    db = sqlite3.connect(built / "chunks.sqlite")
    db.execute("DELETE FROM chunks WHERE document_id IN ('doc3', 'doc7')")
    db.commit()
    db.close()
    result = check(built)
    assert result.returncode == 1
    assert "document 'doc3' has 0 of its 1 chunks" in result.stdout
    assert "28 chunks but 30 vectors" in result.stdout
    repaired = check(built, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "marked document 'doc3' for re-ingesting" in repaired.stdout
    assert "28 kept, 0 re-embedded" in repaired.stdout  # intact vectors are reused, not recomputed
    assert "note: document 'doc7' awaits re-ingesting" in repaired.stdout
    with RAG(built, embedder=embedder) as rag:
        report = rag.ingest([Document(f"doc{i}", f"Note {i}: {TOPICS[i % len(TOPICS)]}. " * 3, {"n": i})
                             for i in range(30)])
        assert (report.updated, report.unchanged) == (2, 28)
    after = snapshot(built, embedder)
    assert after["chunks"] == before["chunks"] and after["top"] == before["top"]


def test_keyword_index_out_of_step_is_rebuilt(built: Path, embedder) -> None:
    db = sqlite3.connect(built / "chunks.sqlite")
    row = db.execute("SELECT id, text FROM chunks LIMIT 1").fetchone()
    db.execute("INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', ?, ?)", row)
    db.commit()
    db.close()
    result = check(built)
    assert result.returncode == 1 and "keyword index is out of step" in result.stdout
    assert check(built, "--repair").returncode == 0
    with RAG(built, embedder=embedder) as rag:
        assert row[0] in [h.chunk.id for h in rag.search(row[1], k=30, mode="keyword")]


def test_a_lost_manifest_is_rebuilt_from_the_chunk_store(built: Path, embedder) -> None:
    before = snapshot(built, embedder)
    manifest = json.loads((built / "manifest.json").read_text())
    (built / "manifest.json").unlink()
    result = check(built)
    assert result.returncode == 1 and "manifest manifest.json is missing" in result.stdout
    repaired = check(built, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert json.loads((built / "manifest.json").read_text())["embedder"] == manifest["embedder"]
    assert same(snapshot(built, embedder), before)


def test_orphan_generations_are_reported_and_removed(built: Path) -> None:
    (built / "vectors-000099.faiss").write_bytes(b"left by a save that died")
    result = check(built)
    assert result.returncode == 1 and "orphan file vectors-000099.faiss" in result.stdout
    repaired = check(built, "--repair")
    assert repaired.returncode == 0 and "removed orphan file vectors-000099.faiss" in repaired.stdout


def test_a_damaged_sqlite_file_is_salvaged_and_kept(built: Path, embedder) -> None:
    path = built / "chunks.sqlite"
    db = sqlite3.connect(path)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chunks_by_document'").fetchone()[0]
    db.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * 4096
    data[start:start + 4096] = b"\xff" * 4096  # an index b-tree page: rows survive, SQLite notices
    path.write_bytes(bytes(data))
    assert pages > root
    result = check(built)
    assert result.returncode == 1 and "integrity check found" in result.stdout
    repaired = check(built, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert list(built.glob("chunks.sqlite.damaged-*")), "the damaged file is kept"
    with RAG(built, embedder=embedder) as rag:
        assert len(rag.documents()) == 30 and rag.index.count() == 30
        assert "penguins" in rag.search("penguins", k=1)[0].chunk.text


def test_an_empty_chunk_store_cannot_be_repaired_and_says_so(built: Path) -> None:
    (built / "chunks.sqlite").write_bytes(b"")
    for args in ((), ("--repair",)):
        result = check(built, *args)
        assert result.returncode == 1
        assert "chunk store chunks.sqlite is empty (0 bytes): the chunk texts are lost" in result.stdout
    assert (built / "chunks.sqlite").stat().st_size == 0
