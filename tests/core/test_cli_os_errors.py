"""The file system says no: read-only folders, a full disk, a path through a file, a closed pipe.

Each is one ``ragloom: error:`` line (exit 2), never a traceback, and the index stays sound.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import RAG, Document

# Sets the file-size limit, then becomes the CLI. Not ``preexec_fn``: that forks the test process, and a
# library an earlier test loaded (gRPC, under Ray and Milvus Lite) then writes to the child's stderr.
_LIMITED = "import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_FSIZE, (n, n)); " \
           "os.execv(sys.executable, [sys.executable, '-m', 'rag.cli.main', *sys.argv[2:]])"


def ragloom(*args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rag.cli.main", *args] if limit_bytes is None else \
        [sys.executable, "-c", _LIMITED, str(limit_bytes), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr[-2000:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ragloom: error: "), result.stderr[-2000:]
    return lines[0]


@pytest.fixture()
def built(tmp_path: Path, embedder) -> Path:
    folder = tmp_path / "index"
    with RAG(folder, embedder=embedder) as rag:
        rag.ingest([Document(f"d{i}", f"Paragraph {i} about rivers, deltas and floods. " * 8) for i in range(40)])
    return folder


@contextlib.contextmanager
def read_only_copy(folder: Path, where: Path) -> Iterator[Path]:
    """A copy of ``folder`` that can't be written: permissions, or a read-only mount for root."""
    if os.geteuid() != 0:
        copy = where / "ro"
        shutil.copytree(folder, copy)
        for path in [copy, *copy.iterdir()]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield copy
        finally:
            for path in [copy, *copy.iterdir()]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    mount = where / "ro-mount"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("root without permission to mount a read-only file system")
    try:
        shutil.copytree(folder, mount / "index")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "index"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_read_only_index_can_be_searched_but_not_written(built: Path, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("A new note about rivers.")
    with read_only_copy(built, tmp_path) as frozen:
        search = ragloom("search", "floods", "--index", str(frozen), "--json")
        assert search.returncode == 0, search.stderr
        checked = ragloom("check", "--index", str(frozen))
        assert checked.returncode == 0 and "is sound" in checked.stdout, checked.stdout + checked.stderr
        line = one_line_error(ragloom("ingest", str(note), "--index", str(frozen)))
        assert "read-only" in line
        one_line_error(ragloom("ingest", str(note), "--index", str(frozen / "new")))


def test_a_full_disk_is_one_line_and_loses_nothing(built: Path, tmp_path: Path, embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(24):
        (corpus / f"f{i}.txt").write_text(f"File {i} is about harbours, ships and cargo number {i}. " * 30)
    size = sum(p.stat().st_size for p in built.iterdir())
    # Writes past this size fail (EFBIG), as on a full disk: the next vector file can't be written.
    line = one_line_error(ragloom("ingest", str(corpus), "--index", str(built), limit_bytes=size // 2))
    assert "disk" in line or "size limit" in line or "cannot" in line
    assert ragloom("check", "--index", str(built)).returncode in (0, 1)
    with RAG(built, embedder=embedder) as rag:  # the last committed state, intact
        assert len(rag.documents()) == 40 and rag.index.count() == 40
    assert ragloom("check", "--index", str(built), "--repair").returncode == 0  # at most orphans to clear


# gRPC's log lines ("E1201 15:54:00.322265 27339 ev_epoll1_linux.cc:373] ..."): written by its fork handlers in a
# child of this test process when an earlier test loaded pymilvus here, before the child runs our code.
_GRPC_LOG = re.compile(r"^[EWI]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]")


def _our_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if not _GRPC_LOG.match(line)]


def test_a_path_through_a_file_is_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    note = tmp_path / "note.txt"
    note.write_text("A note.")
    for args in (["ingest", str(note), "--index", str(afile / "index")],
                 ["search", "x", "--index", str(afile / "index")],
                 ["check", "--index", str(afile / "index")],
                 ["ingest", str(afile / "missing.txt"), "--index", str(tmp_path / "i")]):
        result = ragloom(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert _our_lines(result.stderr) == [_our_lines(result.stderr)[0]], result.stderr
        assert _our_lines(result.stderr)[0].startswith("ragloom: error: "), result.stderr


def test_a_closed_pipe_ends_quietly(built: Path) -> None:
    child = subprocess.Popen([sys.executable, "-m", "rag.cli.main", "search", "rivers", "--index", str(built),
                              "-k", "40", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()  # `| head -1`
    child.stdout.close()
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=300) in (0, 141)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
