"""Files and folders on disk, confined to the path the user gave.

A folder is walked recursively (sorted, so runs are reproducible). Hidden entries are skipped unless
asked for; ``--include``/``--exclude`` globs match the path relative to the root or the bare name.
Symlinks are resolved and read only when their target stays inside the root, so a link cannot pull
``/etc`` into an index; a link that loops or cannot be resolved is skipped. Only regular files are
opened (never a FIFO or device, never through a link swapped in after the check), and never more than
``max_file_bytes`` are read. Parsing one file has a time budget (``file_seconds``). Every problem with
one file (too big, too slow, empty, binary, corrupt, over a format limit) becomes a ``Skipped`` with a
reason; nothing about one file stops the run.
"""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG

from connectors.budget import BudgetInterrupt, TimeBudget, TimeBudgetExceeded
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
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError) as exc:  # a loop, or a target that is gone
                        yield Skipped(str(path), f"symlink cannot be followed ({_why(exc)}); not read")
                        continue
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
            data, stat = _read_regular_file(path, self.options.max_file_bytes)
        except _Refused as exc:
            yield Skipped(source, str(exc))
            return
        except OSError as exc:
            yield Skipped(source, f"cannot read: {exc.strerror or exc}")
            return
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds")
        root = self.root.resolve()
        info = FileInfo(path=path, modified=modified, options=self.options, root=root if root.is_dir() else path.parent)
        # only time spent inside the reader counts, not what the caller does between documents
        budget = TimeBudget(self.options.file_seconds, f"parsing {path.name}",
                            hint="skipped; raise --file-seconds to allow more")
        items = reader(info, data)
        del data
        try:
            while True:
                with budget.running():
                    item = next(items, None)
                if item is None:
                    return
                yield item
        except TimeBudgetExceeded as exc:
            yield Skipped(source, str(exc))
        except BudgetInterrupt:  # the timer fired as the budget ended: still over budget
            yield Skipped(source, str(budget.exceeded()))
        except FormatError as exc:
            yield Skipped(source, str(exc))
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the run
            yield Skipped(source, f"cannot parse {path.suffix} file: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            items.close()


class _Refused(Exception):
    """A file that is not read, for a reason that is not an OS error."""


def _read_regular_file(path: Path, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` if it is a regular, non-empty file within ``limit`` bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # no FIFO hang
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        stat = os.fstat(handle.fileno())
        if not S_ISREG(stat.st_mode):
            raise _Refused("not a regular file (a device, pipe or socket)")
        if stat.st_size == 0:
            raise _Refused("empty file (0 bytes)")
        if stat.st_size > limit:
            raise _Refused(f"{stat.st_size / 1e6:.1f} MB is over the {limit / 1e6:.1f} MB file size limit")
        data = handle.read(limit + 1)  # the file may have grown since fstat
    if len(data) > limit:
        raise _Refused(f"over the {limit / 1e6:.1f} MB file size limit")
    return data, stat


def _why(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "a symlink loop"
    return getattr(exc, "strerror", None) or str(exc)


def _match(rel: str, name: str, pattern: str) -> bool:
    # "**/" is accepted for familiarity; fnmatch's "*" already crosses "/"
    pattern = pattern.replace("**/", "*")
    return fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern)
