"""Which index the chat uses: the sample index, a folder given on the command line, or one opened or created here.

Also shows the index's statistics (documents, chunks, embedder, size on disk).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from rag import RAG
from ui.errors import readable
from ui.resources import open_index, prepared_sample_index, warm_embedder
from ui.sample import sample_index_dir
from ui.uploads import UPLOADS_FOLDER

INDEX_KEY = "ragloom_index"  # session: the current index folder (an embedding app or a test may preset it)
ENV_INDEX = "RAGLOOM_UI_INDEX"  # set by `ragloom ui --index DIR`
_KNOWN_KEY = "known_indexes"


def current_index_path() -> str:
    """The session's index folder: preset in the session, else ``$RAGLOOM_UI_INDEX``, else the sample index."""
    if not st.session_state.get(INDEX_KEY):
        given = os.environ.get(ENV_INDEX) or os.environ.get("RAGLOOM_INDEX")
        st.session_state[INDEX_KEY] = str(Path(given).expanduser().resolve()) if given else str(sample_index_dir())
    return str(st.session_state[INDEX_KEY])


def is_sample(path: str) -> bool:
    return Path(path) == sample_index_dir()


def open_current() -> RAG | None:
    """The current index, syncing the bundled corpus first when it is the sample index; ``None`` on failure."""
    path = current_index_path()
    try:
        rag = open_index(path)
        if is_sample(path):
            with st.spinner("Indexing the bundled sample documents (first start only)…"):
                prepared_sample_index(path)
        if rag.exists:
            warm_embedder(rag, path)  # the first question then finds the embedder loaded
        return rag
    except Exception as exc:
        st.error(readable(exc, f"open the index {path}"))
        return None


def render(rag: RAG | None) -> None:
    """The index chooser, the open/create box and the statistics."""
    path = current_index_path()
    known = _known(path)
    if st.session_state.get("idx_choice") != path:
        st.session_state["idx_choice"] = path  # set before the widget exists: the chooser follows the session
    st.selectbox("Index folder", known, key="idx_choice", on_change=_switch,
                 format_func=lambda p: f"sample documents ({p})" if is_sample(p) else p)
    with st.popover("Open or create another index", width="stretch"):
        st.text_input("Folder", key="idx_new_path", placeholder="~/my-index")
        st.button("Open or create", key="idx_open", on_click=_open_or_create)
    if message := st.session_state.pop("idx_error", None):
        st.error(message)
    if rag is None:
        return
    try:
        info = rag.info()
    except Exception as exc:
        st.error(readable(exc, "read the index statistics"))
        return
    left, right = st.columns(2)
    left.metric("Documents", info["documents"])
    right.metric("Chunks", info["chunks"])
    left.metric("Size", _size(info["bytes"]))
    right.metric("Dimensions", info["dimension"] or "–")
    kind = f" · index: {info['index_kind']}" if info.get("index_kind") else ""
    st.caption(f"Embedder: `{info['embedder']}`{kind}")
    if not info["chunks"]:
        st.info("This index is empty: upload files or add URLs below, then ask.")


def _known(path: str) -> list[str]:
    known: list[str] = st.session_state.setdefault(_KNOWN_KEY, [])
    for candidate in (path, os.environ.get(ENV_INDEX), str(sample_index_dir())):
        if candidate:
            resolved = str(Path(candidate).expanduser().resolve()) if not is_sample(candidate) else candidate
            if resolved not in known:
                known.append(resolved)
    return known


def _switch() -> None:
    st.session_state[INDEX_KEY] = st.session_state["idx_choice"]


def _open_or_create() -> None:
    # A button callback: it runs before the script, so it may move the chooser to the new folder.
    text = str(st.session_state.get("idx_new_path") or "").strip()
    if not text:
        st.session_state["idx_error"] = "Type a folder to open or create."
        return
    folder = Path(text).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        st.session_state["idx_error"] = f"{folder} is a file, not a folder."
        return
    # Only an empty folder becomes a new index: an index's files never mix with someone's own files.
    stranger = folder.is_dir() and any(p.name != UPLOADS_FOLDER for p in folder.iterdir())
    if stranger and not open_index(str(folder)).exists:
        st.session_state["idx_error"] = f"{folder} is not a ragloom index and not empty; choose an empty folder."
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        st.session_state["idx_error"] = readable(exc, f"create {folder}")
        return
    st.session_state[INDEX_KEY] = str(folder)
    known = st.session_state.setdefault(_KNOWN_KEY, [])
    if str(folder) not in known:
        known.append(str(folder))


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"
