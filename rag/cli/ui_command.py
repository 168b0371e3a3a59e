"""``ragloom ui [--index DIR] [--port N]``: the Streamlit chat, served on 127.0.0.1 only.

Runs the venv's own streamlit as a child process and prints the URL. Without ``--index`` the app
indexes the bundled sample documents into ``$RAGLOOM_CACHE/sample-index`` (incremental: later starts
write nothing).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from rag.core.errors import RagloomError

HOST = "127.0.0.1"  # never another interface: the chat reads local files and holds local models
DEFAULT_PORT = 8501
INDEX_ENV = "RAGLOOM_UI_INDEX"  # how the app learns the index (read by ui/index_panel.py)


def app_path() -> Path:
    """``ui/app.py`` beside the ``rag`` package (editable and wheel installs alike)."""
    spec = importlib.util.find_spec("ui")  # locate the front end without importing it (no front end imports another)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "app.py"
        if candidate.is_file():
            return candidate
    raise RagloomError("the chat app (ui/app.py) is not installed; reinstall ragloom with the [ui] extra")


def streamlit_command(app: Path, port: int) -> list[str]:
    """The venv's own streamlit (beside this Python), headless, local-only, no telemetry, no file watching."""
    exe = Path(sys.executable).with_name("streamlit")
    launcher = [str(exe)] if exe.is_file() else [sys.executable, "-m", "streamlit"]
    return [*launcher, "run", str(app),
            "--server.address", HOST, "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--server.runOnSave", "false", "--server.maxUploadSize", "50",
            "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
            "--theme.base", "light",
            # the app re-owns control values each run so hidden controls keep them (ui/controls.py)
            "--global.disableWidgetStateDuplicationWarning", "true"]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ui", help="open the chat in a browser (Streamlit, on 127.0.0.1)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: the bundled sample documents)")
    parser.add_argument("--port", type=int, default=None, metavar="N",
                        help=f"port on 127.0.0.1 (default {DEFAULT_PORT}, or a free one if that is taken)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if importlib_missing("streamlit"):
        raise RagloomError("the chat needs streamlit; install it with: pip install 'ragloom[ui]'")
    port = args.port
    if port is None:
        port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    elif not 1 <= port <= 65535:
        raise RagloomError(f"--port must be in 1..65535 (got {port})")
    elif not port_is_free(port):
        raise RagloomError(f"port {port} on {HOST} is in use; pick another with --port")
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.index:
        env[INDEX_ENV] = str(Path(args.index).expanduser().resolve())
    command = streamlit_command(app_path().with_name("server.py"), port)  # the chat plus its cited-PDF route
    print(f"ragloom chat: http://{HOST}:{port}  (Ctrl+C stops it)", flush=True)
    child = subprocess.Popen(command, env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)  # streamlit shuts down cleanly on SIGINT
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        return 0


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None and shutil.which(name) is None
