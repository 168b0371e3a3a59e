"""The SQLite side of an index: chunk texts and metadata, document records, index settings.

Every change since the last save is one open transaction; ``commit`` happens only as the last
step of a save, so a crash rolls the store back to the state that matches the saved vectors.
A reader wraps each search in a read transaction (``begin_read``), so everything it reads comes
from one committed generation. SQLite's own error texts never reach a user: damage becomes an
``IndexCorruptError`` that names ``ragloom check``, a full disk or read-only folder a one-line error.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexes.filters import compile_filter
from indexes.keyword import FTS_SCHEMA, match_expression
from rag.core.errors import IndexCorruptError, RagloomError
from rag.core.types import Chunk, DocumentRecord, Filter, NewChunk, ScoredChunk, SearchQuery

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    source_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    metadata TEXT NOT NULL,
    chunk_count INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id);
CREATE TABLE IF NOT EXISTS tombstones (id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
BUSY_TIMEOUT_SECONDS = 60.0  # a commit waits for readers' short read transactions, and they for it


def sqlite_error(exc: sqlite3.Error, path: Path) -> RagloomError:
    """A one-line, actionable error for a SQLite failure on the chunk store at ``path``."""
    text = str(exc).lower()
    folder = path.parent
    if "locked" in text or "busy" in text:
        return RagloomError(f"index {folder} is busy (another process holds its chunk store); try again")
    if "readonly" in text or "read-only" in text:
        return RagloomError(f"cannot write to index {folder}: the folder or {path.name} is read-only")
    if "full" in text:
        return RagloomError(f"cannot write to index {folder}: the disk is full")
    if "disk i/o" in text:
        return RagloomError(f"cannot write to index {folder}: a disk write failed (disk full or file size limit?)")
    if "unable to open" in text:
        return RagloomError(f"cannot open the chunk store {path} (is the folder readable?)")
    if "malformed" in text or "not a database" in text or "corrupt" in text or isinstance(exc, sqlite3.DatabaseError):
        return corrupt(folder, f"pages of its chunk store {path.name} cannot be read")
    return RagloomError(f"chunk store {path}: {exc}")


def corrupt(folder: Path, what: str) -> IndexCorruptError:
    return IndexCorruptError(f"index {folder} is damaged: {what}; run `ragloom check --index {folder}`")


class _GuardedDb:
    """The SQLite connection, with every failure turned into a one-line ragloom error."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._guarded(self._db.execute, sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self._guarded(self._db.executemany, sql, rows)

    def rows(self, sql: str, params: Any = ()) -> list[Any]:
        """All rows at once (a cursor's later fetches could fail outside the guard)."""
        return self._guarded(lambda *a: self._db.execute(*a).fetchall(), sql, params)

    def _guarded(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # our bugs, not the user's data
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(exc, self._path) from exc

    def close(self) -> None:
        self._db.close()


class ChunkStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, path) from exc
        self._db = _GuardedDb(raw, path)
        try:
            # A writer keeps its changes in memory until commit, so readers are never shut out for long.
            self._db.execute("PRAGMA cache_spill = OFF")
            tables = {r[0] for r in self._db.rows("SELECT name FROM sqlite_master")}
            if not {"chunks", "documents", "settings", "tombstones", "chunks_fts"} <= tables:
                has_fts = "chunks_fts" in tables
                raw.executescript(SCHEMA + FTS_SCHEMA)
                if not has_fts:  # a store written before the keyword index existed: index its chunks once
                    self._db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
        except sqlite3.Error as exc:
            raw.close()
            raise sqlite_error(exc, path) from exc
        except RagloomError:
            raw.close()
            raise

    # -- transactions: one open write transaction between saves --------------------------------
    def _write(self) -> _GuardedDb:
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def begin_read(self) -> None:
        """Start a read transaction: every read until ``end_read`` sees one committed state."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
            self._db.rows("SELECT 1 FROM settings LIMIT 1")  # takes the snapshot now

    def end_read(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    @property
    def dirty(self) -> bool:
        return self._db.in_transaction

    def close(self) -> None:
        try:
            self.rollback()
        finally:
            self._db.close()

    # -- settings ------------------------------------------------------------------------------
    def get_setting(self, key: str) -> str | None:
        row = _first(self._db.rows("SELECT value FROM settings WHERE key = ?", (key,)))
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        self._write().execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, value))

    # -- documents -----------------------------------------------------------------------------
    def get_document(self, source_id: str) -> DocumentRecord | None:
        row = _first(self._db.rows("SELECT * FROM documents WHERE source_id = ?", (source_id,)))
        return _record(row) if row else None

    def documents(self) -> list[DocumentRecord]:
        return [_record(r) for r in self._db.rows("SELECT * FROM documents ORDER BY source_id")]

    def document_hashes(self) -> dict[str, str]:
        return dict(self._db.rows("SELECT source_id, content_hash FROM documents"))

    def document_groups(self) -> dict[str, str]:
        """Document id -> the source it was read from (a file's parts share one), for sync cleanup."""
        rows = self._db.rows("SELECT source_id, json_extract(metadata, '$.source') FROM documents")
        return {source_id: group or source_id for source_id, group in rows}

    def put_document(self, record: DocumentRecord) -> None:
        self._write().execute(
            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
            (record.source_id, record.content_hash, _dump(record.metadata), record.chunk_count, record.ingested_at),
        )

    def delete_document(self, source_id: str) -> list[int]:
        """Forget a document and its chunks; returns the removed chunk ids."""
        db = self._write()
        ids = [r[0] for r in db.rows("SELECT id FROM chunks WHERE document_id = ?", (source_id,))]
        db.execute("DELETE FROM chunks WHERE document_id = ?", (source_id,))
        db.execute("DELETE FROM documents WHERE source_id = ?", (source_id,))
        return ids

    # -- chunks --------------------------------------------------------------------------------
    def add_chunks(self, document_id: str, chunks: Sequence[NewChunk], first_seq: int = 0) -> np.ndarray:
        """Store chunks under fresh ids (never reused, even after deletes) and return the ids.

        ``first_seq``: the position of the first chunk in its document (a document written in batches)."""
        db = self._write()
        row = _first(db.rows("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'"))
        first = (row[0] if row else 0) + 1
        ids = np.arange(first, first + len(chunks), dtype=np.int64)
        db.executemany(
            "INSERT INTO chunks(id, document_id, seq, text, start, \"end\", metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (int(i), document_id, n, c.text, c.start, c.end, _dump(c.metadata))
                for n, (i, c) in enumerate(zip(ids, chunks, strict=True), start=first_seq)
            ],
        )
        return ids

    def next_chunk_id(self) -> int:
        """The id the next stored chunk will get (ids only grow, so every later chunk's id is >= it)."""
        row = _first(self._db.rows("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'"))
        return (row[0] if row else 0) + 1

    def delete_chunk_range(self, document_id: str, from_id: int = 0, below_id: int | None = None) -> list[int]:
        """Delete the document's chunks with ``from_id <= id < below_id`` (no upper bound for None), keeping
        its record; returns the removed ids. A document written in batches uses id ranges to drop either its
        earlier version (ids below its first new one) or its unfinished new chunks (ids from there)."""
        db = self._write()
        where = "document_id = ? AND id >= ?" + (" AND id < ?" if below_id is not None else "")
        params = (document_id, from_id) + ((below_id,) if below_id is not None else ())
        ids = [r[0] for r in db.rows(f"SELECT id FROM chunks WHERE {where}", params)]
        db.execute(f"DELETE FROM chunks WHERE {where}", params)
        return ids

    def get_chunks(self, ids: Iterable[int]) -> dict[int, Chunk]:
        ids = [int(i) for i in ids]
        found: dict[int, Chunk] = {}
        for start in range(0, len(ids), 900):  # SQLite caps bound parameters per statement
            part = ids[start : start + 900]
            marks = ", ".join("?" * len(part))
            rows = self._db.rows(
                f'SELECT id, document_id, text, start, "end", metadata FROM chunks WHERE id IN ({marks})', part
            )
            for r in rows:
                found[r[0]] = Chunk(id=r[0], document_id=r[1], text=r[2], start=r[3], end=r[4], metadata=_load(r[5]))
        return found

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        where, params = compile_filter(filter)
        rows = self._db.rows(f"SELECT id FROM chunks WHERE {where}", params)
        return np.array([r[0] for r in rows], dtype=np.int64)

    def keyword_hits(self, query: SearchQuery) -> list[ScoredChunk]:
        """A keyword ``SearchQuery`` answered by BM25 over FTS5, filtered before ranking; score = BM25."""
        pairs = self.keyword_search(query.text or "", query.k, query.filter, query.candidates)
        chunks = self.get_chunks(i for i, _ in pairs)
        found = [(i, s) for i, s in pairs if i in chunks]
        return [ScoredChunk(chunk=chunks[i], score=s, rank=r, keyword=s) for r, (i, s) in enumerate(found, start=1)]

    def keyword_search(self, text: str, k: int, filter: Filter | None = None,
                       ids: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` chunks by BM25 for ``text`` among those matching ``filter`` (and in ``ids``, when
        given): ``(id, score)``, best first. BM25 statistics are the whole collection's either way."""
        expression = match_expression(text)
        if expression is None or (ids is not None and not ids):
            return []
        where, params = compile_filter(filter)
        restrict = f"AND rowid IN (SELECT id FROM chunks WHERE {where})" if filter else ""
        among: list[str] = []
        if ids is not None:  # one JSON parameter: no limit on how many ids
            restrict += " AND rowid IN (SELECT value FROM json_each(?))"
            among = [json.dumps([int(i) for i in ids])]
        rows = self._db.rows(
            f"SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? {restrict} "
            "ORDER BY bm25(chunks_fts) LIMIT ?",
            [expression, *(params if filter else []), *among, k],
        )
        return [(int(i), float(s)) for i, s in rows]

    def last_chunk_id(self) -> int:
        """The highest chunk id ever given out (0 for none); ids above it were never saved."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
        return int(row[0]) if row else 0

    def count_chunks(self) -> int:
        return int(_first(self._db.rows("SELECT COUNT(*) FROM chunks"))[0])

    def count_documents(self) -> int:
        return int(_first(self._db.rows("SELECT COUNT(*) FROM documents"))[0])

    def ids_digest(self) -> str:
        """SHA-256 of all chunk ids (sorted, int64 little-endian): recorded with every save."""
        ids = np.array([r[0] for r in self._db.rows("SELECT id FROM chunks ORDER BY id")], dtype="<i8")
        return hashlib.sha256(ids.tobytes()).hexdigest()

    def all_chunks(self, batch: int = 2048) -> Iterable[list[tuple[int, str]]]:
        """``(id, text)`` of every chunk in id order, in batches (for rebuilding vectors)."""
        last = 0
        while True:
            rows = self._db.rows("SELECT id, text FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
            if not rows:
                return
            yield [(int(i), t) for i, t in rows]
            last = rows[-1][0]

    # -- checks and repairs (ragloom check) -----------------------------------------------------
    def integrity_problems(self) -> list[str]:
        """SQLite's own page-level check: an empty list when the file is sound."""
        rows = [r[0] for r in self._db.rows("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def keyword_index_in_step(self) -> bool:
        """Whether the FTS index holds exactly the chunks' texts."""
        try:
            self._db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
        except IndexCorruptError:
            return False
        return True

    def rebuild_keyword_index(self) -> None:
        self._write().execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")

    # -- tombstones of an approximate vector index -----------------------------------------------
    def tombstones(self) -> list[int]:
        return [r[0] for r in self._db.rows("SELECT id FROM tombstones")]

    def set_tombstones(self, ids: Iterable[int]) -> None:
        db = self._write()
        db.execute("DELETE FROM tombstones")
        db.executemany("INSERT INTO tombstones(id) VALUES (?)", [(int(i),) for i in ids])


def _first(rows: list[Any]) -> Any:
    return rows[0] if rows else None


def _dump(metadata: dict[str, Any]) -> str:
    return json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str)


def _load(text: str) -> dict[str, Any]:
    return json.loads(text)


def _record(row: tuple[Any, ...]) -> DocumentRecord:
    return DocumentRecord(source_id=row[0], content_hash=row[1], metadata=_load(row[2]), chunk_count=row[3],
                          ingested_at=row[4])
