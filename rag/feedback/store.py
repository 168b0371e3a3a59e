"""``feedback.sqlite`` in the index folder: user feedback, one row per answer.

Not part of the index generations: ingesting, re-ingesting, repairing or saving the index never
touches this file, so feedback outlives the chunks it was given on (records keep each source's
text hash for that reason). Every write is one SQLite transaction over one row (WAL journal,
``synchronous=FULL``): a crash leaves the record as it was before or after, never half of it.
A connection lives for one operation, so the chat UI's threads, the CLI and library callers can
share the file; a read-modify-write (``update``) holds the write lock throughout, so two updates
never lose each other's changes. Text is scrubbed of registered secrets before it is written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from rag.core.errors import RagloomError
from rag.feedback.record import FeedbackRecord, FeedbackSource, now_utc

FEEDBACK_FILE = "feedback.sqlite"
SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down', 'none')),
    correction TEXT,
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    cited TEXT NOT NULL,
    refused INTEGER NOT NULL,
    sources TEXT NOT NULL,
    settings TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_COLUMNS = ("id", "created_at", "updated_at", "rating", "correction", "question", "query", "history", "answer",
            "cited", "refused", "sources", "settings")
_BUSY_SECONDS = 30.0
MIN_ID_PREFIX = 6


class FeedbackStore:
    """The feedback of one index folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / FEEDBACK_FILE

    # -- reading ------------------------------------------------------------------------------
    def list(self) -> list[FeedbackRecord]:
        """Every record, oldest first."""
        if not self.path.is_file():
            return []
        with self._connect() as db:
            rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY created_at, id").fetchall()
        return [_record(row) for row in rows]

    def get(self, feedback_id: str) -> FeedbackRecord | None:
        if not self.path.is_file():
            return None
        with self._connect() as db:
            return _get(db, feedback_id)

    def resolve(self, id_or_prefix: str) -> FeedbackRecord:
        """The record with this id, or the one whose id starts with it (at least 6 characters)."""
        record = self.get(id_or_prefix)
        if record is not None:
            return record
        matches = [r for r in self.list() if len(id_or_prefix) >= MIN_ID_PREFIX and r.id.startswith(id_or_prefix)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise RagloomError(f"feedback id {id_or_prefix!r} is ambiguous ({len(matches)} records); give more of it")
        raise RagloomError(f"no feedback {id_or_prefix!r} in {self.folder} (see `ragloom feedback list`)")

    # -- writing ------------------------------------------------------------------------------
    def save(self, record: FeedbackRecord) -> FeedbackRecord:
        """Insert or replace the record with its id; returns what was stored."""
        return self.update(record.id, lambda _old: record)

    def update(self, feedback_id: str,
               change: Callable[[FeedbackRecord | None], FeedbackRecord]) -> FeedbackRecord:
        """``change(current or None)`` stored in place of the current record, under the write lock."""
        with self._connect(create=True) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                old = _get(db, feedback_id)
                new = change(old)
                if new.id != feedback_id:
                    raise RagloomError(f"feedback {feedback_id} cannot become {new.id}")
                stamp = now_utc()
                new = replace(new.scrubbed(), created_at=old.created_at if old else (new.created_at or stamp),
                              updated_at=stamp)
                db.execute(f"INSERT OR REPLACE INTO feedback ({', '.join(_COLUMNS)}) "
                           f"VALUES ({', '.join('?' * len(_COLUMNS))})", _row(new))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return new

    def delete(self, feedback_id: str) -> bool:
        if not self.path.is_file():
            return False
        with self._connect() as db:
            return db.execute("DELETE FROM feedback WHERE id = ?", (feedback_id,)).rowcount > 0

    # -- the connection -----------------------------------------------------------------------
    @contextmanager
    def _connect(self, create: bool = False) -> Iterator[sqlite3.Connection]:
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=_BUSY_SECONDS)
        except sqlite3.Error as exc:
            raise _error(exc, self.path) from exc
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")  # a stored record survives a power cut, not just a crash
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'feedback'").fetchone():
                db.executescript(_SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            yield db
        except sqlite3.DatabaseError as exc:
            raise _error(exc, self.path) from exc
        finally:
            db.close()


def _get(db: sqlite3.Connection, feedback_id: str) -> FeedbackRecord | None:
    row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
    return _record(row) if row else None


def _row(r: FeedbackRecord) -> tuple:
    return (r.id, r.created_at, r.updated_at, r.rating, r.correction, r.question, r.query,
            json.dumps(list(r.history), ensure_ascii=False), r.answer, json.dumps(list(r.cited)), int(r.refused),
            json.dumps([s.as_dict() for s in r.sources], ensure_ascii=False),
            json.dumps(r.settings, ensure_ascii=False, default=str))


def _record(row: tuple) -> FeedbackRecord:
    (id_, created, updated, rating, correction, question, query, history, answer, cited, refused, sources,
     settings) = row
    return FeedbackRecord(
        id=id_, question=question, answer=answer, query=query, history=tuple(json.loads(history)),
        sources=tuple(FeedbackSource.from_dict(s) for s in json.loads(sources)), cited=tuple(json.loads(cited)),
        refused=bool(refused), rating=rating, correction=correction, settings=json.loads(settings),
        created_at=created, updated_at=updated)


def _error(exc: sqlite3.Error, path: Path) -> RagloomError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return RagloomError(f"the feedback store {path} is busy (another process is writing it); try again")
    if "readonly" in text or "read-only" in text:
        return RagloomError(f"cannot write feedback to {path}: the file or its folder is read-only")
    if "unable to open" in text:
        return RagloomError(f"cannot open the feedback store {path} (does the folder exist and is it writable?)")
    if "malformed" in text or "not a database" in text:
        return RagloomError(f"the feedback store {path} is damaged (it is a separate file; the index is not affected)")
    return RagloomError(f"feedback store {path}: {exc}")
