"""Which embedder an index folder is opened with, and which local model folder a new index records.

An existing index knows its embedder (the manifest records the bundled model's name or a local
folder's path); a new index uses the configured one. Kept out of ``rag.api`` so the facade only wires.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rag.config import DEFAULT_EMBEDDER, Settings
from rag.core.errors import RagloomError
from rag.core.protocols import Embedder
from rag.embeddings import create_embedder


def embedder_for_index(path: Path, manifest: dict[str, Any] | None, settings: Settings,
                       given: Embedder | str | None) -> tuple[Embedder, str | None]:
    """The embedder for the index at ``path`` and, when it is a local folder, that folder's full path
    (recorded in a new index's manifest so reopening needs no ``--embedder``)."""
    if not (isinstance(given, str) or given is None):
        return given, None
    name = given or (recorded_embedder(path, manifest, settings) if manifest else settings.embedder)
    folder = None
    if name != DEFAULT_EMBEDDER and Path(name).expanduser().is_dir():
        folder = str(Path(name).expanduser().resolve())
    return create_embedder(name), folder


def recorded_embedder(path: Path, manifest: dict[str, Any], settings: Settings) -> str:
    """The embedder to open an existing index with.

    A configured embedder other than the default (``--embedder``, the ``embedder`` setting) is used
    as given, so an index built with another one is refused with the mismatch error. Otherwise the
    index's own: the bundled model by name, a local folder by the path recorded when it was built.
    """
    if settings.embedder != DEFAULT_EMBEDDER:
        return settings.embedder
    recorded = manifest["embedder"]
    if recorded["name"] == DEFAULT_EMBEDDER:
        return DEFAULT_EMBEDDER
    folder = recorded.get("path")
    if isinstance(folder, str) and Path(folder).is_dir():
        return folder
    if Path(recorded["name"]).is_dir():  # an index from before paths were recorded: the folder's name, here
        return str(recorded["name"])
    raise RagloomError(f"index {path} was built with the local embedder {recorded['name']!r}"
                       + (f" from {folder}, which is gone" if folder else "")
                       + "; pass --embedder DIR (or set `embedder`) to that model's folder")
