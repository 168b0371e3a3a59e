"""Start ``ragloom ui`` on a free 127.0.0.1 port for browser tests and timing, and stop it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rag.cli.ui_command import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHAT_INPUT = "textarea[data-testid='stChatInputTextArea']"


def browser_or_skip(*modules: str) -> None:
    """Skip unless headless Chromium, playwright and the given modules (e.g. ``llama_cpp``) are here."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no browser: {CHROMIUM} is missing (run: bash setup/install_browser.sh)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    for module in modules:
        pytest.importorskip(module, reason=f"{module} is not installed")


@contextmanager
def ragloom_ui(index: Path | None, env: dict[str, str], log: Path) -> Iterator[str]:
    """``ragloom ui [--index]`` in its own process group; yields the URL once the server answers health checks."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("ragloom")), "ui", "--port", str(port)]
    if index is not None:
        command += ["--index", str(index)]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server, timeout=60)
            yield url
        finally:
            _stop(server)


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ragloom ui exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"ragloom ui did not answer at {url} within {timeout} s")


def _stop(server: subprocess.Popen) -> None:
    # SIGINT to the group we started: ragloom forwards it and streamlit shuts down cleanly.
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def launch_chromium(playwright: object) -> object:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,  # type: ignore[attr-defined]
                                      args=CHROMIUM_ARGS)
