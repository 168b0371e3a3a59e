"""API keys: created by ``ragloom keys create``, stored hashed beside the index, looked up per request.

A key is ``rlk-`` + 43 random URL-safe characters (256 bits), so a plain SHA-256 is a safe hash: there
is nothing to brute-force. Only the hash is stored; the key itself is printed once and never logged.
Each key records the collections it may use (none listed: the collection of the folder that stores
it), a metadata filter every search of it is confined to, whether it may write, and an optional rate.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KEY_PREFIX = "rlk-"
STATE_FOLDER = ".ragloom-service"  # inside the index folder: keys, jobs, pending uploads
KEYS_FILE = "keys.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    collections TEXT,
    filter TEXT NOT NULL,
    read_only INTEGER NOT NULL,
    rate_per_minute REAL,
    created TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass(frozen=True)
class KeyRecord:
    id: str
    collections: tuple[str, ...] | None  # None: the collection of the folder holding the key
    filter: dict[str, Any]
    read_only: bool
    rate_per_minute: float | None
    created: str
    revoked: bool = False


def state_dir(index_path: str | os.PathLike[str]) -> Path:
    return Path(index_path) / STATE_FOLDER


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore:
    """The keys of one index folder (``<index>/.ragloom-service/keys.sqlite``)."""

    def __init__(self, index_path: str | os.PathLike[str]) -> None:
        self.path = state_dir(index_path) / KEYS_FILE

    def _connect(self, create: bool = False) -> sqlite3.Connection | None:
        if not self.path.exists():
            if not create:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.executescript(_SCHEMA)
        return db

    def create(self, collections: Sequence[str] = (), filter: Mapping[str, Any] | None = None,
               read_only: bool = False, rate_per_minute: float | None = None) -> tuple[KeyRecord, str]:
        """A new key: its record and the secret (shown to the user once, stored only as a hash)."""
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        record = KeyRecord(secrets.token_hex(6), tuple(collections) or None, dict(filter or {}), read_only,
                           rate_per_minute, datetime.now(UTC).isoformat(timespec="seconds"))
        db = self._connect(create=True)
        assert db is not None
        with db:
            db.execute("INSERT INTO keys (id, hash, collections, filter, read_only, rate_per_minute, created) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (record.id, hash_key(secret), json.dumps(record.collections), json.dumps(record.filter),
                        int(read_only), rate_per_minute, record.created))
        db.close()
        os.chmod(self.path, 0o600)
        return record, secret

    def lookup(self, secret: str) -> KeyRecord | None:
        """The live (not revoked) key with this secret, if this store has it."""
        db = self._connect()
        if db is None:
            return None
        try:
            row = db.execute("SELECT * FROM keys WHERE hash = ? AND revoked = 0", (hash_key(secret),)).fetchone()
        finally:
            db.close()
        return _record(row) if row else None

    def list(self) -> list[KeyRecord]:
        db = self._connect()
        if db is None:
            return []
        try:
            return [_record(row) for row in db.execute("SELECT * FROM keys ORDER BY created, id")]
        finally:
            db.close()

    def revoke(self, key_id: str) -> bool:
        db = self._connect()
        if db is None:
            return False
        with db:
            changed = db.execute("UPDATE keys SET revoked = 1 WHERE id = ? AND revoked = 0", (key_id,)).rowcount
        db.close()
        return bool(changed)

    def has_keys(self) -> bool:
        """Whether any key was ever created here (a revoked key still means "keys are required")."""
        db = self._connect()
        if db is None:
            return False
        try:
            return db.execute("SELECT 1 FROM keys LIMIT 1").fetchone() is not None
        finally:
            db.close()


def _record(row: tuple[Any, ...]) -> KeyRecord:
    key_id, _hash, collections, filter, read_only, rate, created, revoked = row
    names = json.loads(collections) if collections else None
    return KeyRecord(key_id, tuple(names) if names else None, json.loads(filter), bool(read_only), rate, created,
                     bool(revoked))
