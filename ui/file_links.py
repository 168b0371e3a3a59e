"""Links that open a cited PDF at its page, without turning the chat into a file server.

Why a route of our own: a Streamlit download button can only save the file (no ``#page=N``), and
Streamlit's static folder would mean copying documents next to the app. ``ragloom ui`` therefore
starts ``ui/server.py``, an ``st.App`` that adds one route, ``/ragloom/source/<token>/<name>``.

What it can serve (confinement): a URL holds a random token, never a path. A token exists only
after the chat showed a PDF source of the open index: the chunk came from the index, its document id
is the file's path (or a part of it, ``<path>#page=N``), the file is a regular ``.pdf`` file with a
``%PDF`` header, and the path is taken after resolving symlinks. At request time the file is checked
again (still the same resolved path, still a PDF), so swapping it for a symlink later serves nothing.
Tokens live in this process only; they die with the server.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from urllib.parse import quote

from rag import PageLocation, ScoredChunk

ROUTE_PREFIX = "/ragloom/source"
ROUTE = ROUTE_PREFIX + "/{token}/{name}"

_tokens: dict[str, Path] = {}  # token -> resolved file
_by_path: dict[Path, str] = {}
_lock = threading.Lock()
_mounted = threading.Event()  # set by ui/server.py when the route exists in this process


def mark_route_mounted() -> None:
    _mounted.set()


def route_mounted() -> bool:
    return _mounted.is_set()


def servable_pdf(source: ScoredChunk, location: PageLocation) -> Path | None:
    """The cited PDF's resolved path when the chat may serve and render it, else ``None``."""
    given = Path(location.source)
    document_id = source.chunk.document_id
    if not given.is_absolute() or not (document_id == location.source or document_id.startswith(location.source + "#")):
        return None  # not a file the index read itself (a caller's Document, a URL, a LangChain loader)
    try:
        resolved = given.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return resolved if _is_pdf_file(resolved) else None


def link_for(path: Path, page: int) -> str:
    """``/ragloom/source/<token>/<name>#page=N`` for a path ``servable_pdf`` returned."""
    with _lock:
        token = _by_path.get(path)
        if token is None:
            token = secrets.token_urlsafe(18)
            _by_path[path], _tokens[token] = token, path
    return f"{ROUTE_PREFIX}/{token}/{quote(path.name)}#page={page}"


def file_for(token: str, name: str) -> Path | None:
    """The file behind a token, re-checked now; ``None`` for an unknown token, a wrong name or a changed file."""
    with _lock:
        path = _tokens.get(token)
    if path is None or name != path.name:
        return None
    try:
        if path.resolve(strict=True) != path:
            return None
    except (OSError, RuntimeError):
        return None
    return path if _is_pdf_file(path) else None


def _is_pdf_file(path: Path) -> bool:
    if path.suffix.lower() != ".pdf" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            return handle.read(1024).lstrip()[:5] == b"%PDF-"
    except OSError:
        return False
