"""``ragloom check --repair``: rebuild what can be rebuilt from what survives; never drop user data silently.

- a damaged chunk store: every readable row is copied into a fresh store; the damaged file stays
  beside it (``chunks.sqlite.damaged-<time>``), and documents that lost chunks are marked for re-ingesting;
- the keyword index: rebuilt from the chunks;
- the vectors: intact vectors (the file's checksum matches and the vector is finite, non-zero and
  belongs to a chunk) are kept, every other chunk is re-embedded from its text, and a new
  generation is saved with fresh checksums;
- the manifest: rebuilt from the copy the last save put in the chunk store;
- orphan files of interrupted saves: removed (no commit ever named them).

The only thing deleted is what no commit refers to; everything else is kept or copied.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexes.check import Findings, check_index
from indexes.chunk_store import ChunkStore
from indexes.faiss_index import FaissIndex
from indexes.faiss_kinds import FaissVectors, new_vectors
from indexes.folder import STORE_NAME
from indexes.locking import WriterLock
from rag.core.errors import RagloomError

Embed = Callable[[Sequence[str]], np.ndarray]
TABLES = ("settings", "documents", "chunks", "tombstones")


def repair_index(folder: Path, embed: Callable[[str], Embed], progress: Callable[[str], None] = print) -> list[str]:
    """Repair ``folder`` and return what was done (one line each). ``embed(name)`` gives the
    embedding function of embedder ``name`` (only called when vectors must be rebuilt)."""
    lock = WriterLock(folder)
    lock.acquire()
    try:
        return _repair(folder, embed, progress)
    finally:
        lock.release()


def _repair(folder: Path, embed: Callable[[str], Embed], progress: Callable[[str], None]) -> list[str]:
    done: list[str] = []
    found = check_index(folder)
    if found.has("store") and all(p.repair is None for p in found.problems if p.kind == "store"):
        return done  # nothing to rebuild from
    salvaged = found.has("store")
    if salvaged:
        done.extend(_salvage_store(folder))
        found = check_index(folder)
    manifest = found.manifest
    if manifest is None:
        raise RagloomError(f"cannot rebuild the manifest of {folder}: the chunk store holds no copy of it "
                           "(it was saved by an older ragloom); re-ingest the sources into a new index")
    store = ChunkStore(folder / STORE_NAME)
    index = FaissIndex(folder, manifest, store, None)  # repair_index holds the folder's lock
    if found.has("keywords"):
        store.rebuild_keyword_index()
        done.append("rebuilt the keyword index from the chunks")
    for source_id in _incomplete_documents(store):
        store._write().execute("UPDATE documents SET content_hash = '' WHERE source_id = ?", (source_id,))
        done.append(f"marked document {source_id!r} for re-ingesting (it lost chunks)")
    vectors_broken = found.has("vectors") or found.reusable_vectors is None
    if vectors_broken or salvaged or found.has("manifest"):
        reuse = None if vectors_broken else found.reusable_vectors
        index._vectors = reuse or _rebuilt_vectors(store, manifest, found, embed, progress, done)
        store.set_setting("repaired", str(int(time.time())))  # something to commit: a new generation
        index.manifest = manifest
        index.save()  # new vector file, checksums, manifest copy, manifest.json
        if found.has("manifest"):
            done.append("rebuilt the manifest from the chunk store")
    elif store.dirty:
        store.commit()
    index.close()
    for problem in check_index(folder).problems:
        if problem.kind == "orphan":
            name = problem.text.split()[2]
            (folder / name).unlink(missing_ok=True)
            done.append(f"removed orphan file {name}")
    return done


def _incomplete_documents(store: ChunkStore) -> list[str]:
    rows = store._db.rows(
        "SELECT d.source_id FROM documents d LEFT JOIN chunks c ON c.document_id = d.source_id "
        "WHERE d.content_hash != '' GROUP BY d.source_id HAVING d.chunk_count != COUNT(c.id)")
    return [r[0] for r in rows]


def _rebuilt_vectors(store: ChunkStore, manifest: dict[str, Any], found: Findings, embed: Callable[[str], Embed],
                     progress: Callable[[str], None], done: list[str]) -> FaissVectors:
    dimension, kind = manifest["embedder"]["dimension"], manifest["vector_index"]["kind"]
    keep: dict[int, np.ndarray] = {}
    old = found.reusable_vectors
    if old is not None:
        ids, values = old._all_ids_and_vectors()
        good = np.isfinite(values).all(axis=1) & (np.linalg.norm(np.nan_to_num(values), axis=1) > 1e-6)
        good &= ~np.isin(ids, np.fromiter(old.tombstones, dtype=np.int64))
        keep = {int(i): v for i, v in zip(ids[good], values[good], strict=True)}
    fresh = new_vectors(kind, dimension)
    embedder: Embed | None = None
    reused = embedded = 0
    for batch in store.all_chunks():
        ids = np.array([i for i, _ in batch], dtype=np.int64)
        todo = [(n, text) for n, (i, text) in enumerate(batch) if i not in keep]
        values = np.zeros((len(batch), dimension), dtype=np.float32)
        for n, (i, _) in enumerate(batch):
            if i in keep:
                values[n] = keep[i]
        if todo:
            embedder = embedder or embed(manifest["embedder"]["name"])
            values[[n for n, _ in todo]] = embedder([text for _, text in todo])
            embedded += len(todo)
            progress(f"re-embedded {embedded:,} chunks")
        reused += len(batch) - len(todo)
        fresh.add(ids, values)
    done.append(f"rebuilt the vectors: {reused:,} kept, {embedded:,} re-embedded from chunk texts")
    return fresh


def _salvage_store(folder: Path) -> list[str]:
    """Copy every readable row of a damaged store into a fresh one; keep the damaged file."""
    damaged = folder / STORE_NAME
    kept = folder / f"{STORE_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    fresh_path = folder / f".{STORE_NAME}.salvage"
    fresh_path.unlink(missing_ok=True)
    ChunkStore(fresh_path).close()  # the schema, with its FTS triggers
    source = sqlite3.connect(damaged, timeout=60)
    target = sqlite3.connect(fresh_path, isolation_level=None)
    counts: dict[str, tuple[int, int]] = {}
    try:
        target.execute("BEGIN")
        for table in TABLES:
            counts[table] = _copy_rows(source, target, table)
        target.execute("COMMIT")
    finally:
        source.close()
        target.close()
    os.replace(damaged, kept)
    os.replace(fresh_path, damaged)
    lines = [f"copied the readable rows of the damaged chunk store into a fresh one (damaged file kept as "
             f"{kept.name})"]
    for table, (copied, lost) in counts.items():
        if lost:
            lines.append(f"{table}: {copied:,} rows copied, about {lost:,} unreadable")
    return lines


def _copy_rows(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> tuple[int, int]:
    """Rows of ``table`` in rowid order, skipping past what can't be read; ``(copied, lost)``."""
    try:
        columns = [r[1] for r in source.execute(f"PRAGMA table_info({table})").fetchall()]
        high = source.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        columns = [r[1] for r in target.execute(f"PRAGMA table_info({table})").fetchall()]
        high = 10**7
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" * (len(columns) + 1))
    copied = lost = 0
    last, misses = 0, 0
    while last < high and misses < 100_000:
        try:
            rows = source.execute(f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 256",
                                  (last,)).fetchall()
        except sqlite3.DatabaseError:
            rows = None
        if rows is None:  # a damaged page: step over one rowid at a time
            last += 1
            misses += 1
            try:
                row = source.execute(f"SELECT rowid, {names} FROM {table} WHERE rowid = ?", (last,)).fetchone()
            except sqlite3.DatabaseError:
                lost += 1
                continue
            rows = [row] if row else []
            if not rows:
                continue
        if not rows:
            break
        misses = 0
        target.executemany(f"INSERT OR IGNORE INTO {table}(rowid, {names}) VALUES ({marks})", rows)
        copied += len(rows)
        last = rows[-1][0]
    if table == "chunks":  # keep ids growing past every id ever used
        target.execute("DELETE FROM sqlite_sequence WHERE name = 'chunks'")
        target.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('chunks', ?)", (max(last, high),))
    return copied, lost

