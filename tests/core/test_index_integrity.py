"""Regression tests for the data-loss findings of issue 13, and damage that open must notice."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import RAG, Document
from rag.core.errors import IndexCorruptError

PYTHON = sys.executable


def ragloom(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "rag.cli.main", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ragloom: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def vector_count(index) -> int:
    with index.reading():
        return index._live.ntotal


@pytest.fixture()
def built(tmp_path: Path, embedder) -> Path:
    folder = tmp_path / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest([Document(f"doc{i}", f"Document {i} is about topic number {i}, volcano {i % 3}.", {"n": i})
                    for i in range(12)])
    return folder


def test_a_writer_opened_earlier_does_not_lose_a_later_writers_update(built: Path, embedder) -> None:
    # The probe: a long ingest opened the index (vectors loaded), a short one wrote and finished,
    # then the long one wrote from its stale vectors: one chunk more than vectors, forever.
    early = RAG(built, embedder=embedder)  # opened first, writes last
    with RAG(built, embedder=embedder) as late:
        late.ingest([Document("short", "A one-file ingest that finishes first.")])
    early.ingest([Document("long", "The long ingest writes after the short one finished.")])
    assert {"short", "long"} <= {d.source_id for d in early.documents()}
    assert early.index.count() == vector_count(early.index) == 14
    early.close()
    with RAG(built, embedder=embedder) as again:  # and it stays so on disk
        assert again.index.count() == vector_count(again.index) == 14
        assert again.search("one-file ingest", k=1, mode="hybrid")[0].chunk.document_id == "short"


def test_missing_manifest_never_leads_to_overwriting(built: Path, embedder) -> None:
    (built / "manifest.json").unlink()
    before = {p.name: p.read_bytes() for p in built.iterdir() if p.name != ".lock"}
    with pytest.raises(IndexCorruptError, match=r"no manifest\.json but holds 12 documents and 12 chunks.*"
                                                r"ragloom check --index .* --repair"):
        RAG(built, embedder=embedder).ingest([Document("new", "anything")])
    # The advice the CLI used to give (`ragloom ingest PATH --index ...`) is refused the same way.
    source = built.parent / "note.txt"
    source.write_text("A new note.")
    for args in (["ingest", str(source), "--index", str(built)], ["info", "--index", str(built)]):
        line = one_line_error(ragloom(*args))
        assert "ragloom check" in line and "--repair" in line
    assert {p.name: p.read_bytes() for p in built.iterdir() if p.name != ".lock"} == before


def test_unreadable_manifest_points_at_repair(built: Path) -> None:
    (built / "manifest.json").write_text("{ not json")
    line = one_line_error(ragloom("search", "volcano", "--index", str(built)))
    assert "ragloom check" in line and "--repair" in line


def test_an_interrupted_first_save_is_not_mistaken_for_data(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest([])  # an index with no documents...
    (folder / "manifest.json").unlink()  # ...whose first save died before its manifest
    with RAG(folder, embedder=embedder) as rag:
        assert rag.ingest([Document("a", "alpha")]).added == 1


def test_zero_length_chunk_store_is_named(built: Path) -> None:
    (built / "chunks.sqlite").write_bytes(b"")
    line = one_line_error(ragloom("search", "volcano", "--index", str(built)))
    assert "chunk store chunks.sqlite is empty (0 bytes)" in line and "ragloom check" in line
    assert (built / "chunks.sqlite").stat().st_size == 0  # opening did not write a fresh store over it


def live_vector_file(folder: Path) -> Path:
    (path,) = folder.glob("vectors-*.faiss")
    return path


def test_flipped_bytes_in_the_vector_file_are_caught_on_open(built: Path) -> None:
    path = live_vector_file(built)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    path.write_bytes(bytes(data))
    line = one_line_error(ragloom("search", "volcano", "--index", str(built)))
    assert "does not match the checksum" in line and "ragloom check" in line


def test_deleted_chunk_rows_are_caught_on_open(built: Path) -> None:
    db = sqlite3.connect(built / "chunks.sqlite")
    db.execute("DELETE FROM chunks WHERE id IN (SELECT id FROM chunks LIMIT 3)")
    db.commit()
    db.close()
    line = one_line_error(ragloom("search", "volcano", "--index", str(built), "--mode", "keyword"))
    assert "9 chunks but 12 vectors" in line and "ragloom check" in line


def test_malformed_sqlite_page_is_a_one_line_error(built: Path) -> None:
    path = built / "chunks.sqlite"
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(page * 2, len(data), page):  # every page but the first (the schema)
        data[start + 8:start + 200] = os.urandom(192)
    path.write_bytes(bytes(data))
    for args in (["search", "volcano", "--index", str(built)], ["documents", "--index", str(built)]):
        result = ragloom(*args)
        line = one_line_error(result)
        assert "ragloom check" in line or "damaged" in line, line
        assert "disk image" not in line  # SQLite's words stay inside


def test_the_lock_names_a_live_writer_and_a_dead_ones_lock_is_taken_over(built: Path, embedder) -> None:
    child = subprocess.Popen([PYTHON, "-c", (
        "import sys, time\n"
        "from indexes.faiss_index import FaissIndex\n"
        "index = FaissIndex.open(sys.argv[1])\n"
        "index.begin_write()\n"
        "index.delete('doc0')\n"  # an uncommitted change
        "print('locked', flush=True)\n"
        "time.sleep(60)\n"), str(built)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with RAG(built, embedder=embedder) as rag:
            with pytest.raises(Exception, match=f"being written by process {child.pid}"):
                rag.ingest([Document("x", "blocked")])
            child.kill()
            child.wait()
            rag.ingest([Document("x", "taken over")])  # the kernel dropped the dead writer's flock
            assert rag.index._lock.took_over_from == child.pid
            ids = {d.source_id for d in rag.documents()}
            assert "doc0" in ids and "x" in ids  # the dead writer's uncommitted delete never happened
            assert rag.index.count() == vector_count(rag.index) == 13
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_nan_vectors_and_checksum_are_both_checked(built: Path, embedder) -> None:
    # Rewrite the vector file with NaNs *and* a matching checksum: open passes, `check` must not.
    import faiss

    from indexes.folder import file_sha256

    path = live_vector_file(built)
    index = faiss.read_index(str(path))
    ids = faiss.vector_to_array(index.id_map)
    vectors = index.reconstruct_batch(ids)
    vectors[::2] = np.nan
    fresh = faiss.IndexIDMap2(faiss.IndexFlatIP(index.d))
    fresh.add_with_ids(vectors, ids)
    faiss.write_index(fresh, str(path))
    db = sqlite3.connect(built / "chunks.sqlite")
    db.execute("UPDATE settings SET value = ? WHERE key = 'vectors_sha256'", (file_sha256(path),))
    db.execute("UPDATE settings SET value = ? WHERE key = 'vectors_bytes'", (str(path.stat().st_size),))
    db.commit()
    db.close()
    result = ragloom("check", "--index", str(built))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "6 vectors are not finite" in result.stdout
