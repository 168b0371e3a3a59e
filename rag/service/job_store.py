"""Ingest jobs on disk: ``<index>/.ragloom-service/jobs.sqlite`` records each job and each of its items.

An item is one uploaded file, one URL or one API spec. Its status moves pending -> done (with the
reasons it was partly or wholly skipped) once its documents are saved in the index, so a job cut
short by a crash or a restart is resumed from its first item not done; redoing an item that was
saved just before the crash writes nothing (sync finds its content unchanged).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOBS_FILE = "jobs.sqlite"
ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    key_id TEXT,
    scope TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    counts TEXT NOT NULL,
    message TEXT
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    display TEXT NOT NULL,
    status TEXT NOT NULL,
    errors TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
"""

COUNT_FIELDS = ("added", "updated", "unchanged", "deleted", "skipped", "failed", "chunks")


@dataclass
class JobItem:
    seq: int
    kind: str  # "file" | "url" | "api"
    value: str  # a path (uploads, specs) or the URL
    display: str  # what the caller called it (the uploaded file name, the URL)
    status: str = "pending"  # pending | done
    errors: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Job:
    id: str
    collection: str
    key_id: str | None
    scope: dict[str, Any]
    options: dict[str, Any]
    status: str
    created: str
    updated: str
    counts: dict[str, int]
    message: str | None
    items: list[JobItem]

    def to_dict(self) -> dict[str, Any]:
        done = sum(1 for item in self.items if item.status == "done")
        return {
            "id": self.id, "object": "ingest.job", "collection": self.collection, "status": self.status,
            "created": self.created, "updated": self.updated,
            "progress": {"items_done": done, "items_total": len(self.items)},
            "counts": self.counts, "message": self.message,
            "items": [{"name": i.display, "kind": i.kind, "status": i.status, "errors": i.errors} for i in self.items],
        }


class JobStore:
    def __init__(self, state_folder: Path) -> None:
        state_folder.mkdir(parents=True, exist_ok=True)
        self.path = state_folder / JOBS_FILE
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.executescript(_SCHEMA)

    def new_id(self) -> str:
        return "job-" + secrets.token_hex(8)

    def create(self, job_id: str, collection: str, key_id: str | None, scope: dict[str, Any],
               options: dict[str, Any], items: list[JobItem]) -> Job:
        now = _now()
        counts = dict.fromkeys(COUNT_FIELDS, 0)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, NULL)",
                             (job_id, collection, key_id, json.dumps(scope), json.dumps(options), now, now,
                              json.dumps(counts)))
            self._db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [(job_id, i.seq, i.kind, i.value, i.display, i.status, json.dumps(i.errors))
                                  for i in items])
            self._db.execute("COMMIT")
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT id, collection, key_id, scope, options, status, created, updated, counts, "
                                   "message FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            items = [JobItem(seq, kind, value, display, status, json.loads(errors)) for seq, kind, value, display,
                     status, errors in self._db.execute("SELECT seq, kind, value, display, status, errors FROM items "
                                                        "WHERE job_id = ? ORDER BY seq", (job_id,))]
        jid, collection, key_id, scope, options, status, created, updated, counts, message = row
        return Job(jid, collection, key_id, json.loads(scope), json.loads(options), status, created, updated,
                   json.loads(counts), message, items)

    def active_ids(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(f"SELECT id FROM jobs WHERE status IN ({', '.join('?' * len(ACTIVE))}) "
                                    "ORDER BY created, rowid", ACTIVE).fetchall()
        return [r[0] for r in rows]

    def set_status(self, job_id: str, status: str, message: str | None = None) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET status = ?, message = COALESCE(?, message), updated = ? WHERE id = ?",
                             (status, message, _now(), job_id))

    def finish_item(self, job_id: str, seq: int, errors: list[dict[str, str]], counts: dict[str, int]) -> None:
        """Mark one item done and add its counts to the job's, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE items SET status = 'done', errors = ? WHERE job_id = ? AND seq = ?",
                             (json.dumps(errors), job_id, seq))
            self._db.execute("UPDATE jobs SET counts = ?, updated = ? WHERE id = ?",
                             (json.dumps(counts), _now(), job_id))
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
