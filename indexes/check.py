"""``ragloom check``: verify everything an index folder promises, one line per problem.

What is checked: the manifest (present, readable, in step with the copy saved in the chunk store),
the chunk store (SQLite ``integrity_check``, the FTS keyword index in step with the chunks, each
document's chunk count, the chunk ids recorded by the last save), the live vector file (present,
size and SHA-256 as saved, readable, the manifest's dimension, one vector per chunk with the same
ids, every vector finite and non-zero) and orphans (vector files and temp files no commit names).

Each ``Problem`` says what ``--repair`` (``indexes.repair``) would do about it, or why it can't.
Nothing here writes to the folder.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexes.chunk_store import sqlite_error
from indexes.faiss_kinds import FaissVectors, read_vectors
from indexes.folder import STORE_NAME, file_sha256
from indexes.manifest import MANIFEST_NAME, read_manifest
from rag.core.errors import IndexCorruptError, RagloomError

# What --repair does, by kind of problem.
REBUILD_MANIFEST = "rebuild the manifest from the chunk store"
SALVAGE_STORE = "copy every readable row into a fresh chunk store (the damaged file is kept beside it)"
REBUILD_KEYWORDS = "rebuild the keyword index from the chunks"
REEMBED = "rebuild the vectors (re-embedding chunk texts where no intact vector survives)"
MARK_REINGEST = "mark the document for re-ingesting (its record stays; the next ingest of its source restores it)"
REMOVE_ORPHAN = "remove it (an interrupted save left it; no commit names it)"


@dataclass(frozen=True)
class Problem:
    text: str
    repair: str | None  # what --repair does; None: it can't (the message says what to do instead)
    kind: str = "other"  # manifest, store, keywords, vectors, documents, orphan


@dataclass
class Findings:
    """What ``check_index`` learnt, for printing and for ``repair_index``."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not damage (exit status 0)
    manifest: dict[str, Any] | None = None  # the usable manifest (file or the store's copy)
    reusable_vectors: FaissVectors | None = None  # the vector file, when its bytes are as saved

    def add(self, text: str, repair: str | None, kind: str) -> None:
        self.problems.append(Problem(text, repair, kind))

    def has(self, kind: str) -> bool:
        return any(p.kind == kind for p in self.problems)


def check_index(folder: Path) -> Findings:
    found = Findings()
    if not folder.is_dir() or not ((folder / MANIFEST_NAME).exists() or (folder / STORE_NAME).exists()):
        raise RagloomError(f"no index at {folder}")
    store_path = folder / STORE_NAME
    if not store_path.is_file() or store_path.stat().st_size == 0:
        state = "missing" if not store_path.is_file() else "empty (0 bytes)"
        found.add(f"chunk store {STORE_NAME} is {state}: the chunk texts are lost and vectors can't restore them; "
                  "re-ingest the sources into a new index", None, "store")
        _check_manifest(folder, None, found)
        return found
    try:
        db = sqlite3.connect(store_path, timeout=60)
        try:
            settings = _settings(db, found)
            _check_manifest(folder, settings, found)
            if settings is None:
                return found
            sound = _check_store(db, found)
            if sound:
                _check_vectors(folder, db, settings, found)
            _check_orphans(folder, settings.get("vectors_file"), found)
        finally:
            db.close()
    except sqlite3.Error as exc:  # busy, unreadable: one line in our words
        raise sqlite_error(exc, store_path) from exc
    return found


def _settings(db: sqlite3.Connection, found: Findings) -> dict[str, str] | None:
    try:
        return dict(db.execute("SELECT key, value FROM settings").fetchall())
    except sqlite3.DatabaseError:
        found.add(f"chunk store {STORE_NAME} is damaged: its settings cannot be read", SALVAGE_STORE, "store")
        return None


def _check_manifest(folder: Path, settings: dict[str, str] | None, found: Findings) -> None:
    saved = None
    if settings and "manifest" in settings:
        try:
            saved = json.loads(settings["manifest"])
        except ValueError:
            saved = None
    try:
        manifest = read_manifest(folder)
    except IndexCorruptError:
        what = "is missing" if not (folder / MANIFEST_NAME).exists() else "cannot be read"
        found.add(f"manifest {MANIFEST_NAME} {what}", REBUILD_MANIFEST if settings is not None else None, "manifest")
        found.manifest = saved
        return
    except RagloomError as exc:  # another format version: not damage, and nothing to repair here
        found.add(str(exc), None, "manifest")
        return
    found.manifest = manifest
    if saved is not None:
        for key in ("embedder", "vector_index"):
            if saved.get(key) != manifest.get(key):
                found.add(f"manifest {MANIFEST_NAME} says {key} {manifest.get(key)}, the last save recorded "
                          f"{saved.get(key)}", REBUILD_MANIFEST, "manifest")


def _check_store(db: sqlite3.Connection, found: Findings) -> bool:
    """SQLite-level and chunk-level checks; ``False`` when the store is too damaged to go on."""
    try:
        result = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError:
        result = ["unreadable"]
    if result != ["ok"]:
        found.add(f"chunk store {STORE_NAME} is damaged: SQLite's integrity check found {len(result)} problem(s)",
                  SALVAGE_STORE, "store")
        return False
    try:
        db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc):
            raise
        found.notes.append("the keyword index was not checked: its store is read-only")
    except sqlite3.DatabaseError:
        found.add("keyword index is out of step with the chunks", REBUILD_KEYWORDS, "keywords")
    marked = [r[0] for r in db.execute("SELECT source_id FROM documents WHERE content_hash = ''")]
    found.notes.extend(f"document {source_id!r} awaits re-ingesting (a repair found chunks missing)"
                       for source_id in marked)
    rows = db.execute(
        "SELECT d.source_id, d.chunk_count, COUNT(c.id) FROM documents d LEFT JOIN chunks c "
        "ON c.document_id = d.source_id WHERE d.content_hash != '' GROUP BY d.source_id "
        "HAVING d.chunk_count != COUNT(c.id)").fetchall()
    for source_id, expected, present in rows[:20]:
        found.add(f"document {source_id!r} has {present} of its {expected} chunks", MARK_REINGEST, "documents")
    if len(rows) > 20:
        found.add(f"... and {len(rows) - 20} more documents with missing chunks", MARK_REINGEST, "documents")
    strays = db.execute("SELECT COUNT(*) FROM chunks WHERE document_id NOT IN (SELECT source_id FROM documents)")
    stray_count = strays.fetchone()[0]
    if stray_count:
        found.add(f"{stray_count} chunks belong to no document", None, "documents")
    return True


def _check_vectors(folder: Path, db: sqlite3.Connection, settings: dict[str, str], found: Findings) -> None:
    name = settings.get("vectors_file")
    if not name:
        found.add("the chunk store names no vector file (never saved completely)", REEMBED, "vectors")
        return
    path = folder / name
    if not path.is_file():
        found.add(f"vector file {name} is missing", REEMBED, "vectors")
        return
    intact = True
    if "vectors_bytes" in settings and int(settings["vectors_bytes"]) != path.stat().st_size:
        found.add(f"vector file {name} has {path.stat().st_size:,} bytes, the last save wrote "
                  f"{int(settings['vectors_bytes']):,}", REEMBED, "vectors")
        intact = False
    elif "vectors_sha256" in settings and file_sha256(path) != settings["vectors_sha256"]:
        found.add(f"vector file {name} does not match the checksum of the last save", REEMBED, "vectors")
        intact = False
    manifest = found.manifest
    if manifest is None:
        return
    dimension, kind = manifest["embedder"]["dimension"], manifest["vector_index"]["kind"]
    tombstones = [r[0] for r in db.execute("SELECT id FROM tombstones")]
    try:
        vectors = read_vectors(path, dimension, kind, tombstones)
        ids, values = vectors._all_ids_and_vectors()
    except (IndexCorruptError, RuntimeError):
        found.add(f"vector file {name} cannot be read as a {dimension}-dim FAISS index", REEMBED, "vectors")
        return
    live = ~np.isin(ids, np.array(tombstones, dtype=np.int64))
    ids, values = ids[live], values[live]
    chunk_ids = np.array([r[0] for r in db.execute("SELECT id FROM chunks ORDER BY id")], dtype=np.int64)
    if "ids_sha256" in settings:
        import hashlib

        if hashlib.sha256(chunk_ids.astype("<i8").tobytes()).hexdigest() != settings["ids_sha256"]:
            found.add("the chunk ids differ from those of the last save (rows changed outside ragloom)", None,
                      "documents")
    missing = np.setdiff1d(chunk_ids, ids)
    extra = np.setdiff1d(ids, chunk_ids)
    if len(ids) != len(np.unique(ids)):
        found.add(f"vector file {name} holds {len(ids) - len(np.unique(ids))} duplicate ids", REEMBED, "vectors")
    if len(missing) or len(extra):
        found.add(f"{len(chunk_ids):,} chunks but {len(ids):,} vectors: {len(missing):,} chunks have no vector, "
                  f"{len(extra):,} vectors have no chunk", REEMBED, "vectors")
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        found.add(f"{int(bad.sum())} vectors are not finite (NaN or infinity)", REEMBED, "vectors")
    zero = np.isfinite(values).all(axis=1) & (np.linalg.norm(np.nan_to_num(values), axis=1) < 1e-6)
    if zero.any():
        found.add(f"{int(zero.sum())} vectors are zero", REEMBED, "vectors")
    if intact:
        found.reusable_vectors = vectors


def _check_orphans(folder: Path, live: str | None, found: Findings) -> None:
    for path in sorted([*folder.glob("vectors-*.faiss"), *folder.glob(".*.tmp-*")]):
        if path.name != live:
            found.add(f"orphan file {path.name} (no commit names it)", REMOVE_ORPHAN, "orphan")
