"""Files and folders on disk: one ``Document`` per text file, keyed by its resolved path."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connectors.options import ConnectorOptions
from rag.types import Document, Skipped

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}


class FileConnector:
    """Reads one file or every supported file under a folder (hidden entries skipped)."""

    def __init__(self, path: str | os.PathLike[str], options: ConnectorOptions | None = None) -> None:
        self.root = Path(path)
        self.options = options or ConnectorOptions()

    def load(self) -> Iterator[Document | Skipped]:
        if not self.root.exists():
            yield Skipped(str(self.root), "no such file or folder")
            return
        if self.root.is_file():
            yield self._read(self.root.resolve())
            return
        root = self.root.resolve()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                rel = path.relative_to(root).as_posix()
                if not self._wanted(rel):
                    continue
                yield self._read(path)

    def _wanted(self, rel: str) -> bool:
        if self.options.include:
            if not any(fnmatch.fnmatch(rel, g) for g in self.options.include):
                return False
        elif Path(rel).suffix.lower() not in TEXT_SUFFIXES:
            return False
        return not any(fnmatch.fnmatch(rel, g) for g in self.options.exclude)

    def _read(self, path: Path) -> Document | Skipped:
        source = str(path)
        kind = TEXT_SUFFIXES.get(path.suffix.lower())
        if kind is None:
            return Skipped(source, f"unsupported file type {path.suffix or '(none)'}")
        try:
            stat = path.stat()
            if stat.st_size > self.options.max_file_bytes:
                return Skipped(source, f"larger than the {self.options.max_file_bytes} byte limit")
            raw = path.read_bytes()
        except OSError as exc:
            return Skipped(source, f"cannot read: {exc.strerror or exc}")
        if b"\x00" in raw[:8192]:
            return Skipped(source, "binary content")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Skipped(source, "not valid UTF-8 text")
        if not text.strip():
            return Skipped(source, "empty file")
        metadata = {
            "source": source,
            "file_type": kind,
            "title": _title(text, kind) or path.stem,
            "modified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds"),
        }
        return Document(source_id=source, text=text, metadata=metadata)


def _title(text: str, kind: str) -> str | None:
    if kind != "markdown":
        return None
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None
