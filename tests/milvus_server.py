"""A Milvus Lite server (``milvus-lite server``) for tests: a child process on 127.0.0.1, a free port, stopped after.

One server per test session, started on first use; ``stop()`` ends it (the contract suite's
session fixture calls it). Each index makes its own collection, so tests sharing it stay apart.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time

_server: tuple[subprocess.Popen[bytes], str, str] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            pass
        from pymilvus import MilvusClient

        client = MilvusClient(uri=f"http://127.0.0.1:{port}", timeout=5)
        try:
            client.list_collections()
        finally:
            client.close()
        return True
    except Exception:  # not up yet: refused, or the client could not connect
        return False


def server_uri() -> str:
    """``http://127.0.0.1:PORT`` of the session's server, starting it if needed."""
    global _server
    if _server is not None:
        return _server[1]
    work = tempfile.mkdtemp(prefix="ragloom-milvus-")
    port = _free_port()
    with open(f"{work}/server.log", "wb") as log:  # a file, not a pipe nobody reads
        process = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", f"{work}/data",
                                    "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(f"{work}/server.log", encoding="utf-8", errors="replace") as log:
                raise RuntimeError(f"milvus-lite server exited: {log.read()[-2000:]}")
        if _answers(port):  # the port opens before the gRPC service is ready: wait for a real call to work
            break
        time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("milvus-lite server did not start within 60 s")
    _server = (process, f"http://127.0.0.1:{port}", work)
    return _server[1]


def stop() -> None:
    global _server
    if _server is None:
        return
    process, _, work = _server
    _server = None
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(work, ignore_errors=True)
