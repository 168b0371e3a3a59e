"""One writer per index folder: an exclusive ``flock`` on ``DIR/.lock`` that names its holder.

The kernel drops an ``flock`` when its process dies, however it dies, so a SIGKILLed writer can
never leave the index locked. The file also holds the writer's pid: a busy index names the process
that holds it, and a writer that finds the pid of a dead process knows it is taking over from a
crash (which is safe: SQLite rolls the dead writer's open transaction back on the next access,
and the new writer removes the vector files that no commit ever named).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

from rag.core.errors import RagloomError

LOCK_NAME = ".lock"


class IndexBusyError(RagloomError):
    """Another live process is writing the index."""


class WriterLock:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self._fd: int | None = None
        self.took_over_from: int | None = None  # pid of a writer that died holding the index

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RagloomError(f"cannot write to index {self.folder}: {_reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise IndexBusyError(f"index {self.folder} is being written by {who}; try again when it has finished") \
                from None
        previous = _read_pid(fd)
        self.took_over_from = previous if previous and previous != os.getpid() and not _alive(previous) else None
        with contextlib.suppress(OSError):  # the pid is only for messages; the flock is the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)  # no pid: nobody holds it
        os.close(self._fd)  # closing drops the flock
        self._fd = None


def holder_pid(folder: Path) -> int | None:
    """The pid written by the last writer of ``folder`` (``None`` if none or not readable)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _read_pid(fd)
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "the folder is read-only"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return exc.strerror or str(exc)
