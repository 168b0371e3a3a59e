"""What an index folder holds, apart from any open index: its file names, checksums, and whether
a folder without a manifest still holds data that must not be overwritten."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from indexes.manifest import MANIFEST_NAME
from rag.core.errors import IndexCorruptError

STORE_NAME = "chunks.sqlite"
CHECKSUM_ON_OPEN_BYTES = 256 * 2**20  # open hashes vector files up to this size; `ragloom check` hashes all


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def orphaned_data(folder: Path) -> str | None:
    """What a folder without a manifest still holds that must not be overwritten (``None``: nothing).

    An empty chunk store is what a first save killed before its manifest leaves: nothing to lose.
    """
    store = folder / STORE_NAME
    if store.is_file() and store.stat().st_size > 0:
        try:
            db = sqlite3.connect(store, timeout=60)
            try:
                chunks = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
                documents = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return f"a chunk store ({STORE_NAME}) that cannot be read"
        if chunks or documents:
            return f"{documents} documents and {chunks} chunks"
    elif any(folder.glob("vectors-*.faiss")):
        return "vector files"
    return None


def refuse_without_manifest(folder: Path) -> None:
    """Raise when ``folder`` has index data but no manifest: writing there would overwrite it."""
    if folder.is_dir() and not (folder / MANIFEST_NAME).exists():
        held = orphaned_data(folder)
        if held:
            raise IndexCorruptError(
                f"index {folder} has no {MANIFEST_NAME} but holds {held}; nothing was changed. "
                f"Run `ragloom check --index {folder} --repair` to rebuild the manifest")


__all__ = ["CHECKSUM_ON_OPEN_BYTES", "STORE_NAME", "file_sha256", "orphaned_data", "refuse_without_manifest"]
