"""Embed an ingest item before taking the write lock, so searches wait only for the write itself.

``PreparingEmbedder`` wraps a collection's embedder: ``prepare`` runs the item through the library's own
ingest into a throwaway index (same embedder, same chunking), which chunks and embeds it outside any
lock and leaves every chunk vector and token count in a cache; the real ingest, under the write lock,
then finds them there. Anything not in the cache (ingest chunked differently, a query, an
``/v1/embeddings`` call) is simply computed, so the cache can only make writes faster, never different.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag import RAG, Document, Settings


class PreparingEmbedder:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._vectors: dict[str, np.ndarray] = {}
        self._tokens: dict[str, int] = {}
        self._recording = False  # only prepare() stores: other calls must not grow the cache

    def __getattr__(self, name: str) -> Any:  # name, dimension, max_tokens, warm_up, thread_safe, ...
        return getattr(self.inner, name)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        cached = self._tokens.get(text)
        if cached is None:
            cached = self.inner.count_tokens(text)
            if self._recording:
                self._tokens[text] = cached
        return cached

    def embed_documents(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return self.inner.embed_documents(texts, batch_size=batch_size, progress=progress)
        cache = dict(self._vectors)  # a snapshot: forget() may run meanwhile (another request embedding)
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            fresh = self.inner.embed_documents(missing, batch_size=batch_size, progress=progress)
            cache.update(zip(missing, fresh, strict=True))
            if self._recording:
                self._vectors.update(zip(missing, fresh, strict=True))
        return np.ascontiguousarray(np.stack([cache[t] for t in texts]), dtype=np.float32)

    def prepare(self, documents: list[Document], settings: Settings, chunking: dict[str, Any], scratch: Path) -> None:
        """Chunk and embed ``documents`` as the real ingest will, filling the cache (no lock held)."""
        scratch.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=scratch))
        try:
            self._recording = True
            sized = settings.with_(index_kind="flat", chunk_tokens=chunking.get("chunk_tokens"),
                                   overlap_tokens=chunking.get("overlap_tokens"))
            with RAG(folder / "index", settings=sized, embedder=self) as scratch_rag:  # type: ignore[arg-type]
                scratch_rag.ingest(documents)
        finally:
            self._recording = False
            shutil.rmtree(folder, ignore_errors=True)

    def forget(self) -> None:
        """Drop the prepared item once it is written (the cache holds one item at a time)."""
        self._vectors.clear()
        self._tokens.clear()
