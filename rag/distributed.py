"""Distributed ingest on Ray: chunking and embedding run on every CPU of a Ray cluster.

    rag.ingest(["docs/"], ray="auto")            # the cluster started on this machine (`ray start --head`)
    rag.ingest(["docs/"], ray="10.0.0.5:6379")   # a cluster's head node
    ragloom ingest docs/ --ray auto

``RayChunkEmbedStage`` is the ``ChunkEmbedStage`` that ``rag.ingest.Ingestor`` hands batches of
changed documents to. It starts one actor per CPU of the cluster; each loads the embedder once
(by name: the same model, files from the node's own cache) and builds the same chunker as this
process. Batches go round-robin to the actors, several in flight, and the ``Ingestor`` writes
their results in read order, so the index is the one a local ingest would build (same ids too).

Reading: by default connectors run on this process, so the workers need no shared file system
and no access to the sources (URLs, APIs, credentials); document text travels through Ray's
object store. With ``read_on_workers`` (``--ray-read``) the workers also read and parse local
files (``read_sources``): the folder walk stays here, the files are read where the actors run, so
the paths must be the same on every node (one machine, or a shared file system). Documents come
back in walk order either way, so the ingest is the same.

What stays on this process, and why:

- The folder walk, URLs and APIs (one fetcher keeps rate limits and credentials in one place).
- Hashing and sync decisions: unchanged documents never leave this process.
- Writing: one writer per index (the FAISS files and the SQLite chunk store are single-writer;
  for Milvus the store hands out chunk ids). Embedding is what scales out; writes are cheap.

Ray moves Python objects between processes with its own serialisation; nothing here is written
to disk that way. ragloom (with the ``scale`` extra) must be installed on every node.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import connectors
from connectors import ConnectorOptions, FileConnector
from rag.chunking import Chunker, ChunkingSettings
from rag.core.errors import BackendMissingError, ConfigError, RagloomError
from rag.core.types import Document, NewChunk, Skipped
from rag.ingest import StageResult

BATCH_CHARS = 200_000  # text per task: ~250 chunks of 200 tokens, seconds of work, cheap to ship
TASKS_PER_ACTOR = 2  # in flight per actor, so no actor waits for the driver between batches
FILES_PER_TASK = 16  # files read per task when the workers read


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BackendMissingError("distributed ingest needs the package 'ray', which is not installed; install it "
                                  "with pip install 'ragloom[scale]'") from exc
    return ray


class ChunkEmbedWorker:
    """One per CPU of the cluster (a Ray actor): the embedder and chunker, loaded once."""

    def __init__(self, embedder: str, chunking: ChunkingSettings, batch_size: int) -> None:
        from rag.embeddings import create_embedder

        try:  # the actor holds one CPU: more threads would fight the other actors (ONNX takes this option)
            self.embedder = create_embedder(embedder, threads=1)
        except TypeError:
            self.embedder = create_embedder(embedder)
        self.chunker = Chunker(chunking, self.embedder.count_tokens, self.embedder.max_tokens)
        self.batch_size = batch_size

    def read_files(self, root: str, options: ConnectorOptions,
                   files: Sequence[tuple[str, bool]]) -> list[Document | Skipped]:
        """The documents of these files (from ``FileConnector.files``), read and parsed here."""
        connector = FileConnector(root, options)
        return [item for path, explicit in files for item in connector.read(Path(path), explicit)]

    def chunk_and_embed(self, documents: Sequence[Document]) -> StageResult:
        chunked: list[list[NewChunk] | str] = []
        for document in documents:
            try:
                chunked.append(self.chunker.chunk(document))
            except Exception as exc:  # noqa: BLE001 - one bad document must not stop the run
                chunked.append(str(exc))
        texts = [c.text for chunks in chunked if not isinstance(chunks, str) for c in chunks]
        vectors = (self.embedder.embed_documents(texts, batch_size=self.batch_size) if texts
                   else np.zeros((0, self.embedder.dimension), dtype=np.float32))
        results: StageResult = []
        at = 0
        for chunks in chunked:
            if isinstance(chunks, str):
                results.append((chunks, None))
            else:
                results.append((chunks, vectors[at:at + len(chunks)]))
                at += len(chunks)
        return results


class RayChunkEmbedStage:
    """A ``rag.ingest.ChunkEmbedStage`` on a Ray cluster; ``close()`` ends its actors (and Ray, if it started it)."""

    def __init__(self, address: str, embedder: str, chunking: ChunkingSettings, batch_size: int = 64,
                 batch_chars: int = BATCH_CHARS) -> None:
        ray = _ray()
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            if address not in ("auto", "local") and ":" not in address:
                raise ConfigError(f"--ray needs 'auto', 'local' or a head node address host:port, got {address!r}")
            try:
                # "local" starts a throwaway single-node Ray here, reachable from this machine only;
                # "auto" joins the cluster started on this machine.
                where = {"address": address} if address != "local" else {"_node_ip_address": "127.0.0.1"}
                ray.init(**where, include_dashboard=False, log_to_driver=False, configure_logging=False)
            except ConnectionError as exc:
                raise RagloomError(f"cannot reach a Ray cluster at {address!r}: {exc}") from exc
            self._started = True
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        worker = ray.remote(num_cpus=1)(ChunkEmbedWorker)
        self._actors = [worker.remote(embedder, chunking, batch_size) for _ in range(cpus)]
        self._next = itertools.cycle(self._actors)
        self.window = TASKS_PER_ACTOR * len(self._actors)
        self.batch_chars = batch_chars

    @property
    def workers(self) -> int:
        return len(self._actors)

    def submit(self, documents: list[Document]) -> Any:
        return next(self._next).chunk_and_embed.remote(documents)

    def result(self, handle: Any) -> Any:
        try:
            return self._ray.get(handle)
        except self._ray.exceptions.RayError as exc:
            raise RagloomError(f"a Ray worker failed: {exc}") from exc

    def read_sources(self, sources: Iterable[Any], options: ConnectorOptions | None = None
                     ) -> Iterator[Document | Skipped]:
        """``connectors.load_sources``, in the same order, with local files read and parsed by the workers."""
        options = options or ConnectorOptions()
        for source in sources:
            connector = None if isinstance(source, Document) else connectors.connector_for(source, options)
            if isinstance(connector, FileConnector):
                yield from self._read_files(connector)
            elif connector is not None:
                yield from connector.load()
            else:
                yield source
        yield from connectors.load_sources([], options)  # the API specs, as load_sources ends

    def _read_files(self, connector: FileConnector) -> Iterator[Document | Skipped]:
        ordered: deque[Skipped | Any] = deque()  # walk order: a Skipped, or a read task's handle
        batch: list[tuple[str, bool]] = []

        def submit() -> None:
            if batch:
                ordered.append(next(self._next).read_files.remote(str(connector.root), connector.options, list(batch)))
                batch.clear()

        def oldest() -> list[Document | Skipped]:
            entry = ordered.popleft()
            return [entry] if isinstance(entry, Skipped) else self.result(entry)

        for entry in connector.files():
            if isinstance(entry, Skipped):
                submit()
                ordered.append(entry)
            else:
                batch.append((str(entry[0]), entry[1]))
                if len(batch) >= FILES_PER_TASK:
                    submit()
            while len(ordered) > self.window:
                yield from oldest()
        submit()
        while ordered:
            yield from oldest()

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._started:
            self._ray.shutdown()


def local_cluster_env() -> dict[str, str]:
    """Environment for starting Ray nodes on this machine only: addresses pinned to 127.0.0.1, no telemetry."""
    return {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
