"""The contracts between ragloom's parts: what an index, an embedder, a generator and a connector must do.

Callers depend on these protocols only; each backend (FAISS kinds, the ONNX or torch embedder,
llama.cpp / transformers / OpenAI-compatible generators, file / web / API connectors) is picked
by a factory by name. Construction is cheap everywhere: models and files load on first use or in
``warm_up()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.core.sampling import SamplingParams
from rag.core.types import Chunk, Document, DocumentRecord, Filter, Generation, Message, NewChunk, ScoredChunk, Skipped


class Index(Protocol):
    manifest: dict[str, Any]

    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        """Store documents (replacing any earlier version) with their chunks; ``vectors`` has one row per chunk."""
        ...

    def delete(self, document_id: str) -> int:
        """Remove a document and its chunks; returns the number of chunks removed. Other ids never shift."""
        ...

    def search(self, queries: np.ndarray, k: int, filter: Filter | None = None) -> list[list[ScoredChunk]]:
        """Top ``k`` chunks per query row (unit vectors), filtered before ranking; score = cosine similarity."""
        ...

    def get(self, ids: Sequence[int]) -> list[Chunk]: ...

    def count(self) -> int: ...

    def documents(self) -> list[DocumentRecord]: ...

    def document(self, source_id: str) -> DocumentRecord | None: ...

    def save(self) -> None:
        """Make every change durable, atomically."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Embedder(Protocol):
    """Text -> L2-normalised float32 vectors, so inner product is cosine similarity."""

    name: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def warm_up(self) -> None: ...

    def embed_documents(self, texts: Sequence[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class Generator(Protocol):
    """What ragloom needs from a language model backend.

    Prompts are chat messages; each backend renders them in its model's own chat format, so
    few-shot examples and history arrive the way the model was trained to read them.
    """

    name: str

    @property
    def context_window(self) -> int:
        """Tokens the model can attend to: prompt plus answer must fit."""
        ...

    def warm_up(self) -> None:
        """Load the model now (idempotent); otherwise it loads on first use."""
        ...

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt these messages render to, with the model's own tokenizer and chat template."""
        ...

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        """Generate a whole answer."""
        ...

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        """Yield text pieces as they are decoded, then exactly one final ``Generation``."""
        ...


@runtime_checkable
class Connector(Protocol):
    """A source of documents.

    ``load`` never raises for one bad item: it yields ``Skipped`` with a reason and goes on. A source
    that fails as a whole (a bad API spec, an API that keeps failing part way) raises ``ConnectorError``
    so a caller never mistakes a partial read for a complete one.
    """

    def load(self) -> Iterator[Document | Skipped]: ...
