"""Uploaded files land in ``<index>/uploads/`` under sanitised names, and nowhere else.

A browser sends whatever name it likes (``../../.bashrc``, ``C:\\evil``, control characters):
only the last path component survives, reduced to a safe alphabet, and the final path is checked
to sit inside the uploads folder before anything is written.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from rag import RagloomError

UPLOADS_FOLDER = "uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_MAX_NAME = 120


def uploads_dir(index_path: str | os.PathLike[str]) -> Path:
    """The index's own folder for uploaded files."""
    return Path(index_path).resolve() / UPLOADS_FOLDER


def sanitise_filename(name: str) -> str:
    """A safe file name: last component only, ASCII letters/digits/``._ -``, no leading dots, bounded length."""
    base = PureWindowsPath(PurePosixPath(name).name).name  # both separators, whatever the client OS
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix)[:16]
    stem = _UNSAFE.sub("_", stem).strip(" ._")[: _MAX_NAME - len(suffix) - 1].strip(" ._") or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def save_upload(index_path: str | os.PathLike[str], name: str, data: bytes) -> Path:
    """Write ``data`` under the sanitised ``name`` in the index's uploads folder (replacing a same-named file)."""
    folder = uploads_dir(index_path)
    target = (folder / sanitise_filename(name)).resolve()
    if target.parent != folder:  # cannot happen after sanitising; a last guard against escapes
        raise RagloomError(f"refusing to write the upload {name!r} outside {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, target)  # a half-written upload never looks like a document
    return target


def is_upload(index_path: str | os.PathLike[str], source: str) -> bool:
    """Whether ``source`` (a document's source path) is a file in this index's uploads folder."""
    try:
        return Path(source).resolve().parent == uploads_dir(index_path)
    except (OSError, ValueError):
        return False
