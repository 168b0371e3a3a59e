"""The indexes a service serves, each as a named collection with its own read-write lock.

Every collection's ``RAG`` answers with one shared generator (one model in memory, one decode at a
time), and its searches take the collection's read lock, so an ingest batch or a delete (which take
the write lock) is never seen half-applied.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag import RAG, RagloomError, Settings
from rag.service.prepared_embeddings import PreparingEmbedder
from rag.service.rwlock import ReadWriteLock

MODEL_PREFIX = "ragloom/"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SharedGenerator:
    """The one generator every collection answers with, built from the settings on first use.

    Building it lazily lets a service without a generation backend installed still search and embed.
    """

    def __init__(self, owner: RAG) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._real: Any = None

    @property
    def real(self) -> Any:
        with self._lock:
            if self._real is None:
                self._real = self._owner.generator
            return self._real

    @property
    def name(self) -> str:
        return self.real.name

    @property
    def context_window(self) -> int:
        return self.real.context_window

    def warm_up(self) -> None:
        self.real.warm_up()

    def count_tokens(self, messages: Any) -> int:
        return self.real.count_tokens(messages)

    def generate(self, messages: Any, sampling: Any) -> Any:
        return self.real.generate(messages, sampling)

    def stream(self, messages: Any, sampling: Any) -> Any:
        return self.real.stream(messages, sampling)


class ServedRAG(RAG):
    """A ``RAG`` whose searches hold the collection's read lock (the answering pipeline searches too)."""

    lock: ReadWriteLock

    def search(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock.read():
            return super().search(*args, **kwargs)


@dataclass
class Collection:
    name: str
    path: Path
    rag: ServedRAG
    lock: ReadWriteLock = field(default_factory=ReadWriteLock)

    @property
    def model_id(self) -> str:
        return MODEL_PREFIX + self.name


def parse_index_spec(spec: str) -> tuple[str, Path]:
    """``DIR`` (named after the folder) or ``NAME=DIR``."""
    name, sep, folder = spec.partition("=")
    if not sep:
        name, folder = Path(spec).resolve().name, spec
    if not _NAME.match(name):
        raise RagloomError(f"collection name {name!r} must be letters, digits, '.', '_' or '-' (up to 64)")
    return name, Path(folder)


def open_collections(specs: Sequence[str], settings: Settings) -> dict[str, Collection]:
    """One collection per ``--index`` spec; all share the first one's (lazily loaded) generator."""
    collections: dict[str, Collection] = {}
    generator: SharedGenerator | None = None
    for spec in specs:
        name, folder = parse_index_spec(spec)
        if name in collections:
            raise RagloomError(f"two indexes are both named {name!r}; name them with NAME=DIR")
        if folder.exists() and not folder.is_dir():
            raise RagloomError(f"{folder} is not a folder")
        lock = ReadWriteLock()
        rag = ServedRAG(os.fspath(folder), settings=settings, generator=generator)  # type: ignore[arg-type]
        rag.lock = lock
        rag.embedder = PreparingEmbedder(rag.embedder)  # type: ignore[assignment]
        if generator is None:  # the first collection builds it (from the settings) for all of them
            generator = SharedGenerator(rag)
        collections[name] = Collection(name, folder.resolve(), rag, lock)
    return collections
