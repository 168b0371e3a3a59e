"""The contracts between ragloom's parts: what an index, an embedder, a generator and a connector must do.

Callers depend on these protocols only; each backend (FAISS kinds, the ONNX or torch embedder,
llama.cpp / transformers / OpenAI-compatible generators, file / web / API connectors) is picked
by a factory by name. Construction is cheap everywhere: models and files load on first use or in
``warm_up()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rag.core.sampling import SamplingParams
from rag.core.types import (
    Chunk,
    Document,
    DocumentRecord,
    Filter,
    Generation,
    Message,
    NewChunk,
    ScoredChunk,
    SearchQuery,
    Skipped,
)


class IndexCapability(StrEnum):
    """What an index may declare in ``Index.capabilities`` beyond the dense search every index has."""

    KEYWORD = "keyword"  # SearchMode.KEYWORD: BM25 over the chunk texts, filtered before ranking
    # ``upsert_streamed(record, batches)``: one document whose chunks and vectors arrive in batches, replaced
    # atomically (the old version stays until the last batch; a failing batch leaves the index as before)
    STREAMED_UPSERT = "streamed_upsert"


@runtime_checkable
class Index(Protocol):
    """A persistent store of chunks and their vectors: the one contract every index backend keeps.

    - Chunk ids are stable int64s given by the index: they never shift or get reused after a delete.
    - ``upsert`` replaces a document (its old chunks go, the new ones get fresh ids); ``delete`` removes one.
    - ``search`` takes one ``SearchQuery``; filters select chunks before ranking, and dense scores are
      cosine similarities. Keyword search is a declared capability: callers check
      ``IndexCapability.KEYWORD in index.capabilities``; an index without it raises
      ``UnsupportedCapabilityError`` when asked, never an empty result.
    - Changes are durable after ``save`` (atomically); ``close`` drops unsaved changes.
    - ``manifest`` records what built the index (embedder name and dimension, kind, chunking) and is
      checked on open (``indexes.factory.open_index``): another embedder raises ``IndexMismatchError``.

    Backends are created and opened by kind name through ``indexes.factory``, never constructed by callers.
    """

    manifest: dict[str, Any]

    @property
    def kind(self) -> str:
        """The backend's name in the factory ("flat", "hnsw", "ivf", ...)."""
        ...

    @property
    def capabilities(self) -> frozenset[str]:
        """``IndexCapability`` values this index supports."""
        ...

    # -- writing
    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        """Store documents (replacing any earlier version) with their chunks; ``vectors`` has one row per chunk."""
        ...

    def delete(self, document_id: str) -> int:
        """Remove a document and its chunks; returns the number of chunks removed. Other ids never shift."""
        ...

    def save(self) -> None:
        """Make every change durable, atomically."""
        ...

    def close(self) -> None:
        """Release files and locks; changes not saved are dropped."""
        ...

    # -- concurrency: one writer per index, readers that never see a half-written state
    def begin_write(self) -> None:
        """Take the index's writer lock (another live writer: a ``RagloomError`` naming it), then load the
        latest saved state, so no update of an earlier writer is lost. Writes call it themselves."""
        ...

    def end_write(self) -> None:
        """Release the writer lock; changes not saved by then are dropped."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A context in which every read sees one saved state (old or new, never a mix), while
        another process may be writing; wrap a whole retrieval in it. Re-entrant."""
        ...

    # -- searching
    def search(self, query: SearchQuery) -> list[ScoredChunk]:
        """The top ``query.k`` chunks, best first, ranks from 1 (see ``SearchQuery``)."""
        ...

    # -- reading chunks
    def get(self, ids: Sequence[int]) -> list[Chunk]:
        """The chunks with these ids, in the given order; unknown ids are left out."""
        ...

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        """Ids (int64) of every chunk matching ``filter`` (all chunks without one)."""
        ...

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        """The stored unit vectors of these chunk ids, one row each (for MMR and the embedding view)."""
        ...

    def count(self) -> int:
        """Number of chunks."""
        ...

    # -- reading documents (what incremental sync needs)
    def documents(self) -> list[DocumentRecord]: ...

    def document(self, source_id: str) -> DocumentRecord | None: ...

    def document_hashes(self) -> dict[str, str]:
        """Document id -> content hash, to skip unchanged documents."""
        ...

    def document_groups(self) -> dict[str, str]:
        """Document id -> the source it was read from (a file's parts share one), for sync cleanup."""
        ...

    def size_bytes(self) -> int:
        """Bytes the index takes on disk (0 when it does not know)."""
        ...


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
