"""Files and folders on disk, confined to the path the user gave.

A folder is walked recursively (sorted, so runs are reproducible). Hidden entries are skipped unless
asked for; ``--include``/``--exclude`` globs match the path relative to the root or the bare name.
Symlinks are resolved and read only when their target stays inside the root, so a link cannot pull
``/etc`` into an index. Every problem with one file (too big, empty, binary, corrupt) becomes a
``Skipped`` with a reason; nothing about one file stops the run.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from connectors.formats import FileInfo, FormatError, reader_for
from connectors.options import ConnectorOptions
from rag.core.types import Document, Skipped


class FileConnector:
    """Reads one file, or every supported file under a folder."""

    def __init__(self, path: str | os.PathLike[str], options: ConnectorOptions | None = None) -> None:
        self.root = Path(path).expanduser()
        self.options = options or ConnectorOptions()

    def load(self) -> Iterator[Document | Skipped]:
        for entry in self.files():
            if isinstance(entry, Skipped):
                yield entry
            else:
                yield from self.read(*entry)

    def files(self) -> Iterator[tuple[Path, bool] | Skipped]:
        """The files ``load`` reads, in order, as ``(path, explicit)`` for ``read``; problems as ``Skipped``.

        Walking and reading are apart so the reads can run elsewhere (``rag.distributed``).
        """
        if not self.root.exists():
            yield Skipped(str(self.root), "no such file or folder")
            return
        root = self.root.resolve()
        if root.is_file():
            yield root, True
            return
        seen: set[Path] = set()
        errors: list[OSError] = []
        for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
            while errors:  # a folder we may not list is reported, not silently missing
                error = errors.pop(0)
                yield Skipped(str(error.filename or dirpath), f"cannot list folder: {error.strerror or error}")
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if self._walk_into(here / d, root))
            for name in sorted(filenames):
                path = here / name
                rel = path.relative_to(root).as_posix()
                if (name.startswith(".") and not self.options.hidden) or not self._wanted(rel):
                    continue
                if path.is_symlink():
                    target = path.resolve()
                    if not target.is_relative_to(root):
                        yield Skipped(str(path), "symlink points outside the ingested folder; not followed")
                        continue
                    path = target
                if path in seen:
                    continue
                seen.add(path)
                yield path, bool(self.options.include)
        for error in errors:
            yield Skipped(str(error.filename), f"cannot list folder: {error.strerror or error}")

    def _walk_into(self, path: Path, root: Path) -> bool:
        rel = path.relative_to(root).as_posix()
        if path.name.startswith(".") and not self.options.hidden:
            return False
        if path.is_symlink():
            return False  # a linked folder inside the root is walked via its real path; outside it is refused
        return not any(_match(rel, path.name, g.rstrip("/")) for g in self.options.exclude)

    def _wanted(self, rel: str) -> bool:
        name = rel.rsplit("/", 1)[-1]
        if self.options.include and not any(_match(rel, name, g) for g in self.options.include):
            return False
        if any(_match(rel, name, g) for g in self.options.exclude):
            return False
        # without --include, files we cannot read are ignored quietly (images, archives, ...)
        return bool(self.options.include) or reader_for(Path(rel)) is not None

    def read(self, path: Path, explicit: bool) -> Iterator[Document | Skipped]:
        """The documents of one file from ``files`` (``explicit``: an unsupported type is reported, not ignored)."""
        source = str(path)
        reader = reader_for(path)
        if reader is None:
            if explicit:
                yield Skipped(source, f"unsupported file type {path.suffix or '(no suffix)'}")
            return
        try:
            stat = path.stat()
            if stat.st_size == 0:
                yield Skipped(source, "empty file (0 bytes)")
                return
            limit = self.options.max_file_bytes
            if stat.st_size > limit:
                yield Skipped(source, f"{stat.st_size / 1e6:.1f} MB is over the {limit / 1e6:.1f} MB file size limit")
                return
            data = path.read_bytes()
        except OSError as exc:
            yield Skipped(source, f"cannot read: {exc.strerror or exc}")
            return
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
        info = FileInfo(path=path, modified=modified, options=self.options)
        try:
            yield from reader(info, data)
        except FormatError as exc:
            yield Skipped(source, str(exc))
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the run
            yield Skipped(source, f"cannot parse {path.suffix} file: {type(exc).__name__}: {exc}")


def _match(rel: str, name: str, pattern: str) -> bool:
    # "**/" is accepted for familiarity; fnmatch's "*" already crosses "/"
    pattern = pattern.replace("**/", "*")
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)
