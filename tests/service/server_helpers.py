"""Start ragloom's service for a test on 127.0.0.1 at a free port (in this process, or as ``ragloom serve``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def served(service: Any) -> Iterator[str]:
    """Run ``service`` (a ``rag.service.context.Service``) under uvicorn in a thread; yields the base URL."""
    import uvicorn

    from rag.service.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=0, log_level="warning",
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not (server.started and server.servers):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(30)


def wait_ready(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} never became ready")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """``ragloom serve`` as a child process (for restarts and SIGKILL)."""

    def __init__(self, indexes: Sequence[str], log: Path, extra: Sequence[str] = (),
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log = log
        self.base = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "rag.cli.main", "serve", "--port", str(self.port)]
        for index in indexes:
            args += ["--index", index]
        environment = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **(env or {})}
        with log.open("a") as sink:
            self.proc = subprocess.Popen([*args, *extra], cwd=REPO, env=environment, stdout=sink, stderr=sink)
        try:
            wait_ready(self.base)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"ragloom serve failed: {log.read_text()[-2000:]}") from None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
