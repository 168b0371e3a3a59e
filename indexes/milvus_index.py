"""The ``milvus`` index kind: vectors in a Milvus collection, chunk texts and documents in SQLite.

What lives where, and why:

- **Milvus** (one collection per index): the chunk id (primary key), its document id, its metadata
  (JSON) and its vector, with an inner-product index (HNSW by default). Filters are compiled to a
  Milvus boolean expression (``indexes.milvus_filters``) and applied *inside* the vector search,
  so ``k`` results come back whenever ``k`` chunks match. This is the part that must scale past
  one machine: a Milvus cluster shards it and searches the shards in parallel.
- **The index folder** keeps ``manifest.json`` (checked on open, as for every kind) and the
  SQLite chunk store ``chunks.sqlite``: chunk texts, document records and content hashes. Sync
  needs them (``document_hashes``/``document_groups`` are read once per ingest run, and ids are
  handed out by the store, so they are stable and never reused), answers need the texts, and
  keeping them out of Milvus keeps its segments small. Keyword search is the chunk store's
  FTS5 BM25, exactly as for the FAISS kinds: the same ranking in every backend, with
  collection-wide statistics (Milvus Lite's BM25 function computes IDF per segment) and no cap
  on the matches hybrid fusion reads (Milvus caps a search at 16,384 hits).
- With no ``milvus_uri`` the Milvus data is embedded Milvus Lite in ``<index>/milvus.db``, so
  the folder is the whole index; with ``http://host:port`` it is a server or cluster, and the
  folder holds the manifest (with the URI and collection name, never a token) and the store.

Consistency between the two, without a shared transaction: chunk ids come from SQLite's
AUTOINCREMENT; new vectors are written to Milvus at once (``upsert`` by id), deletions are
deferred to ``save``. ``save`` flushes Milvus, then commits SQLite with the ids still to delete
recorded in the same commit, then deletes them from Milvus and clears the record. A writer that
opens the index after a crash deletes vectors above the last committed id (written, never
committed) and replays recorded deletes, so Milvus again holds exactly the committed chunks.
Until then a search drops ids the store does not know and over-fetches by the pending deletes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import MilvusClient, MilvusException

from indexes.atomic import write_json_atomic
from indexes.chunk_store import ChunkStore
from indexes.factory import tuned
from indexes.locking import WriterLock
from indexes.manifest import MANIFEST_NAME, check_embedder, new_manifest, read_manifest
from indexes.milvus_client import (
    MAX_SOURCE_ID,
    check_index_type,
    connect,
    create_collection,
    disconnect,
    resolve_uri,
    search_params,
    stored_uri,
)
from indexes.milvus_filters import compile_milvus_filter
from rag.core.errors import ConfigError, IndexCorruptError, RagloomError
from rag.core.protocols import IndexCapability
from rag.core.types import Chunk, DocumentRecord, Filter, NewChunk, ScoredChunk, SearchMode, SearchQuery

KIND = "milvus"
STORE_NAME = "chunks.sqlite"
MAX_HITS = 16_384  # Milvus's limit on one search's top k (and on one query's result window)
WRITE_BATCH = 2_000  # rows per upsert call: well under gRPC's message size at 1,024 dims
READ_BATCH = 1_000  # ids per get call


class MilvusIndex:
    """An index whose vectors live in Milvus (Lite embedded, or a server by URI); see the module docstring."""

    kind = KIND
    capabilities = frozenset({IndexCapability.KEYWORD})

    def __init__(self, folder: Path, manifest: dict[str, Any], store: ChunkStore, client: MilvusClient,
                 uri: str) -> None:
        self.folder = folder
        self.manifest = manifest
        self._store = store
        self._client = client
        self._uri = uri
        self._collection = manifest["milvus"]["collection"]
        self._index_type = manifest["milvus"]["index_type"]
        self.ef_search = 128
        self.nprobe = 32
        self._pending_deletes: set[int] = set()
        self._lock = WriterLock(folder)
        self._reading = False  # inside reading(): one chunk-store snapshot for the whole retrieval

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, embedder: str, dimension: int, chunking: dict[str, Any] | None = None,
               milvus_uri: str | None = None, milvus_index: str = "HNSW", milvus_shards: int = 1) -> MilvusIndex:
        if (folder / MANIFEST_NAME).exists():
            raise RagloomError(f"an index already exists at {folder}")
        if folder.exists() and not folder.is_dir():
            raise RagloomError(f"{folder} exists and is not a folder")
        index_type = check_index_type(milvus_index)
        if milvus_shards < 1:
            raise ConfigError(f"milvus_shards must be at least 1, got {milvus_shards}")
        folder.mkdir(parents=True, exist_ok=True)
        uri = resolve_uri(folder, milvus_uri)
        name = "ragloom_" + re.sub(r"\W", "_", folder.name, flags=re.ASCII)[:40] + "_" + uuid.uuid4().hex[:12]
        manifest = new_manifest(embedder, dimension, KIND, chunking or {})
        manifest["milvus"] = {"uri": stored_uri(folder, uri), "collection": name, "index_type": index_type,
                              "shards": milvus_shards}
        client = connect(uri)
        try:
            create_collection(client, name, dimension, index_type, milvus_shards)
        except MilvusException as exc:
            disconnect(client, uri)
            raise RagloomError(f"cannot create Milvus collection {name}: {exc.message}") from exc
        index = cls(folder, manifest, ChunkStore(folder / STORE_NAME), client, uri)
        index._acquire_lock()
        index._store.set_setting("created", "1")
        index.save()
        return index

    @classmethod
    def open(cls, folder: Path, embedder: str | None = None, dimension: int | None = None,
             milvus_uri: str | None = None) -> MilvusIndex:
        if not folder.is_dir():
            raise RagloomError(f"no index at {folder}")
        manifest = read_manifest(folder)
        check_embedder(manifest, folder, embedder, dimension)
        if manifest["vector_index"]["kind"] != KIND or "milvus" not in manifest:
            raise IndexCorruptError(f"index {folder} is not a milvus index")
        # A URI given now wins (a server that moved); otherwise the one the index was created with.
        uri = resolve_uri(folder, milvus_uri or manifest["milvus"]["uri"])
        client = connect(uri)
        name = manifest["milvus"]["collection"]
        try:
            if not client.has_collection(name):
                raise IndexCorruptError(f"index {folder}: Milvus at {stored_uri(folder, uri)} has no collection "
                                        f"{name}; point milvus_uri at the server the index was built on")
            client.load_collection(name)
        except BaseException:
            disconnect(client, uri)
            raise
        return cls(folder, manifest, ChunkStore(folder / STORE_NAME), client, uri)

    def tune(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Search effort of the HNSW (``ef``) and IVF_FLAT (``nprobe``) index types: recall against speed."""
        for name, value in (("ef_search", ef_search), ("nprobe", nprobe)):
            if value is not None:
                if value < 1:
                    raise ConfigError(f"{name} must be at least 1, got {value}")
                setattr(self, name, int(value))

    # -- writing -------------------------------------------------------------------------------
    def _acquire_lock(self) -> None:
        """One writer per index folder, held from the first change until close; repairs a crashed writer's leftovers."""
        if self._lock.held:
            return
        self._lock.acquire()
        try:
            self._store.end_read()
            self._milvus(self._client.delete, self._collection, filter=f"id > {self._store.last_chunk_id()}")
            leftover = self._store.tombstones()
            if leftover:
                self._forget(leftover)
        except BaseException:
            self._lock.release()
            raise

    def begin_write(self) -> None:
        """Take the writer lock (the chunk store and Milvus always hold the latest committed state)."""
        self._acquire_lock()

    def end_write(self) -> None:
        """Release the writer lock; unsaved changes are dropped (their vectors go at the next writer's start)."""
        if not self._lock.held:
            return
        if self._store.dirty:
            self._store.rollback()
            self._pending_deletes.clear()
        self._lock.release()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Chunk texts and records from one committed state: the store reads in one transaction, and a
        vector whose chunk that state does not hold is never returned."""
        if self._lock.held or self._reading:
            yield
            return
        self._reading = True
        self._store.begin_read()
        try:
            yield
        finally:
            self._reading = False
            self._store.end_read()

    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        self._acquire_lock()
        total = sum(len(chunks) for _, chunks in items)
        dimension = self.manifest["embedder"]["dimension"]
        # Check before writing anything, so a bad call cannot leave either side half-changed.
        if len(vectors) != total or (total and vectors.shape[1] != dimension):
            raise ValueError(f"{total} chunks of {dimension} dims but vectors of shape {vectors.shape}")
        for record, _ in items:
            if len(record.source_id.encode("utf-8")) > MAX_SOURCE_ID:
                raise RagloomError(f"document id longer than {MAX_SOURCE_ID} bytes: {record.source_id[:80]}...")
        rows: list[dict[str, Any]] = []
        for record, chunks in items:
            self.delete(record.source_id)
            self._store.put_document(record)
            ids = self._store.add_chunks(record.source_id, chunks)
            rows.extend({"id": int(i), "document_id": record.source_id, "metadata": chunk.metadata}
                        for i, chunk in zip(ids, chunks, strict=True))
        vectors = np.asarray(vectors, dtype=np.float32)
        for row, vector in zip(rows, vectors, strict=True):
            row["vector"] = vector
        try:
            for start in range(0, len(rows), WRITE_BATCH):
                self._client.upsert(self._collection, rows[start:start + WRITE_BATCH])
        except MilvusException as exc:
            # The store cannot keep chunks whose vectors Milvus may lack: back to the last save.
            self._store.rollback()
            self._pending_deletes.clear()
            raise RagloomError(f"writing to Milvus failed ({exc.message}); changes since the last save were "
                               "dropped, rerun the ingest") from exc

    def delete(self, document_id: str) -> int:
        self._acquire_lock()
        removed = self._store.delete_document(document_id)
        self._pending_deletes.update(removed)  # leave Milvus at save, after the store has committed
        return len(removed)

    def save(self) -> None:
        if not self._store.dirty:
            return
        self._milvus(self._client.flush, self._collection)  # new vectors durable before the store names them
        forget = sorted(self._pending_deletes)
        self._store.set_tombstones(forget)  # recorded in the same commit, replayed by a writer after a crash
        self._store.commit()  # the moment the new state becomes the index
        self._pending_deletes.clear()
        if forget:
            self._forget(forget)
        self.manifest["counts"] = {"documents": self._store.count_documents(), "chunks": self._store.count_chunks()}
        write_json_atomic(self.folder / MANIFEST_NAME, self.manifest)

    def _forget(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), READ_BATCH):
            self._milvus(self._client.delete, self._collection, ids=[int(i) for i in ids[start:start + READ_BATCH]])
        self._milvus(self._client.flush, self._collection)
        self._store.set_tombstones([])
        self._store.commit()

    def close(self) -> None:
        self._store.close()  # unsaved changes are rolled back; their vectors are removed by the next writer
        if self._client is not None:
            disconnect(self._client, self._uri)
            self._client = None
        self._lock.release()

    # -- searching -----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[ScoredChunk]:
        if query.mode is SearchMode.KEYWORD:
            return self._store.keyword_hits(query)
        vector = np.asarray(query.vector, dtype=np.float32).reshape(-1)
        expression = compile_milvus_filter(query.filter)  # a bad filter fails before any search
        if query.candidates is not None:
            return self._score_candidates(vector, query.candidates, expression, query.k)
        limit = min(query.k + len(self._pending_deletes), MAX_HITS)
        result = self._milvus(self._client.search, self._collection, data=[vector], anns_field="vector",
                              limit=limit, filter=expression, output_fields=["id"],
                              search_params=search_params(self._index_type, self.ef_search, self.nprobe, limit))
        pairs = [(int(hit["id"]), float(hit["distance"])) for hit in result[0]]
        chunks = self._store.get_chunks(i for i, _ in pairs)  # drops ids deleted since the last save
        found = [(chunks[i], s) for i, s in pairs if i in chunks][: query.k]
        return [ScoredChunk(chunk=c, score=s, rank=r, cosine=s) for r, (c, s) in enumerate(found, start=1)]

    def _score_candidates(self, vector: np.ndarray, candidates: Sequence[int], expression: str,
                          k: int) -> list[ScoredChunk]:
        """Exact cosine of the given candidates that are stored and match the filter."""
        wanted = list(dict.fromkeys(int(i) for i in candidates))
        chunks = self._store.get_chunks(wanted)
        wanted = [i for i in wanted if i in chunks]
        stored: dict[int, np.ndarray] = {}
        for start in range(0, len(wanted), READ_BATCH):
            part = wanted[start:start + READ_BATCH]
            where = f"id in [{', '.join(map(str, part))}]" + (f" and ({expression})" if expression else "")
            for row in self._milvus(self._client.query, self._collection, filter=where,
                                    output_fields=["id", "vector"], limit=len(part)):
                stored[int(row["id"])] = np.asarray(row["vector"], dtype=np.float32)
        ids = [i for i in wanted if i in stored]
        sims = [float(stored[i] @ vector) for i in ids]
        order = sorted(range(len(ids)), key=lambda n: (-sims[n], ids[n]))[:k]
        return [ScoredChunk(chunk=chunks[ids[n]], score=sims[n], rank=r, cosine=sims[n])
                for r, n in enumerate(order, start=1)]


    def _milvus(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except MilvusException as exc:
            raise RagloomError(f"Milvus at {stored_uri(self.folder, self._uri)} failed: {exc.message}") from exc

    # -- reading -------------------------------------------------------------------------------
    def get(self, ids: Sequence[int]) -> list[Chunk]:
        found = self._store.get_chunks(ids)
        return [found[int(i)] for i in ids if int(i) in found]

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        return self._store.chunk_ids(filter)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        wanted = [int(i) for i in ids]
        stored: dict[int, list[float]] = {}
        unique = list(dict.fromkeys(wanted))
        for start in range(0, len(unique), READ_BATCH):
            rows = self._milvus(self._client.get, self._collection, ids=unique[start:start + READ_BATCH],
                                output_fields=["vector"])
            stored.update((int(row["id"]), row["vector"]) for row in rows)
        missing = [i for i in wanted if i not in stored]
        if missing:
            raise RagloomError(f"no vectors for chunk ids {missing[:5]} in {self.folder}")
        dimension = self.manifest["embedder"]["dimension"]
        return np.asarray([stored[i] for i in wanted], dtype=np.float32).reshape(len(wanted), dimension)

    def count(self) -> int:
        return self._store.count_chunks()

    def documents(self) -> list[DocumentRecord]:
        return self._store.documents()

    def document(self, source_id: str) -> DocumentRecord | None:
        return self._store.get_document(source_id)

    def document_hashes(self) -> dict[str, str]:
        return self._store.document_hashes()

    def document_groups(self) -> dict[str, str]:
        return self._store.document_groups()

    def size_bytes(self) -> int:
        """Bytes of the index folder, the embedded Milvus Lite data included (a server's own disk is not)."""
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


class MilvusBackend:
    """The factory's entry for ``milvus`` (``indexes.factory``): options ``milvus_uri``, ``milvus_index``,
    ``milvus_shards`` (of a new index) and ``ef_search``/``nprobe``."""

    def create(self, folder: Path, *, kind: str, embedder: str, dimension: int, chunking: dict[str, Any],
               milvus_uri: str | None = None, milvus_index: str | None = None, milvus_shards: int | None = None,
               ef_search: int | None = None, nprobe: int | None = None, **_: Any) -> MilvusIndex:
        index = MilvusIndex.create(folder, embedder, dimension, chunking, milvus_uri=milvus_uri,
                                   milvus_index=milvus_index or "HNSW", milvus_shards=milvus_shards or 1)
        index.tune(ef_search=ef_search, nprobe=nprobe)
        return index

    def open(self, folder: Path, *, embedder: str | None, dimension: int | None, milvus_uri: str | None = None,
             ef_search: int | None = None, nprobe: int | None = None, **_: Any) -> MilvusIndex:
        index = MilvusIndex.open(folder, embedder=embedder, dimension=dimension, milvus_uri=milvus_uri)
        return tuned(index, ef_search=ef_search, nprobe=nprobe)


BACKEND = MilvusBackend()
