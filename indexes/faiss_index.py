"""The default index: FAISS vectors + a SQLite chunk store + a JSON manifest, in one folder.

Folder layout::

    manifest.json          what built the index (checked on open), counts
    chunks.sqlite          chunk texts/metadata, document records, the name of the live vector file,
                           its size, SHA-256 and vector count, a digest of the chunk ids, a manifest copy
    vectors-NNNNNN.faiss   FAISS native file (IndexIDMap2), one generation per save
    .lock                  the writer's flock (and its pid)

A save writes a *new* vector file beside the old one, then commits SQLite (which records the new
file's name and checksum), then deletes the old file. A process killed anywhere in between leaves
SQLite pointing at a complete vector file that matches it. Nothing here is pickled.

Writers take the folder's lock *before* they change anything and then load the latest committed
generation, so two writers can't build on different generations. Readers run each search inside
one SQLite read transaction and reload the vectors whenever the committed generation changed, so
a long-lived reader sees the old or the new generation, never vectors of one and chunks of the
other. Opening checks the cheap invariants (vector file size and checksum, vector count = chunk
count); ``ragloom check`` checks everything.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from indexes.atomic import fsync_dir, write_atomic, write_json_atomic
from indexes.chunk_store import ChunkStore, corrupt
from indexes.faiss_kinds import FaissVectors, new_vectors, read_vectors
from indexes.folder import CHECKSUM_ON_OPEN_BYTES, STORE_NAME, file_sha256, refuse_without_manifest
from indexes.locking import WriterLock
from indexes.manifest import MANIFEST_NAME, check_embedder, new_manifest, read_manifest
from rag.core.errors import ConfigError, IndexCorruptError, RagloomError
from rag.core.protocols import IndexCapability
from rag.core.types import Chunk, DocumentRecord, Filter, NewChunk, ScoredChunk, SearchMode, SearchQuery


class FaissIndex:
    """A persistent index folder. Build with ``create`` or ``open``; changes are durable after ``save``.

    Implements ``rag.core.protocols.Index`` for the kinds flat, hnsw and ivf (``indexes.faiss_kinds``);
    callers get one through ``indexes.factory``. Keyword search is BM25 over the chunk store's FTS5.
    """

    capabilities = frozenset({IndexCapability.KEYWORD, IndexCapability.STREAMED_UPSERT})

    def __init__(self, folder: Path, manifest: dict[str, Any], store: ChunkStore, vectors: FaissVectors | None,
                 lock: WriterLock | None = None) -> None:
        self.folder = folder
        self.manifest = manifest
        self._store = store
        self._vectors = vectors  # None until the first read loads the committed generation
        self._generation: str | None = None  # the committed generation ``_vectors`` belongs to
        self._lock = lock or WriterLock(folder)
        self._mutex = threading.RLock()  # one thread at a time reads or changes this object
        self._depth = 0  # nesting of ``reading()``
        self._tuning: dict[str, int] = {}

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(
        cls, folder: str | os.PathLike[str], embedder: str, dimension: int, kind: str = "flat",
        chunking: dict[str, Any] | None = None,
    ) -> FaissIndex:
        """A new, empty index, saved once; the caller holds its writer lock until ``end_write``/``close``."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise RagloomError(f"{folder} exists and is not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RagloomError(f"cannot create index folder {folder}: {exc.strerror}") from None
        lock = WriterLock(folder)
        lock.acquire()
        store: ChunkStore | None = None
        try:
            if (folder / MANIFEST_NAME).exists():
                raise RagloomError(f"an index already exists at {folder}")
            refuse_without_manifest(folder)  # a first save killed before its manifest left nothing to keep
            store = ChunkStore(folder / STORE_NAME)
            index = cls(folder, new_manifest(embedder, dimension, kind, chunking or {}), store,
                        new_vectors(kind, dimension), lock=lock)
            index._remove_orphans()
            store.set_setting("created", "1")
            index.save()
        except BaseException:
            if store is not None:
                store.close()
            lock.release()
            raise
        return index

    @classmethod
    def open(
        cls, folder: str | os.PathLike[str], embedder: str | None = None, dimension: int | None = None
    ) -> FaissIndex:
        """Open for reading (writes take the lock first); the current generation is loaded and checked."""
        folder = Path(folder)
        if not folder.is_dir():
            raise RagloomError(f"no index at {folder}")
        manifest = read_manifest(folder)
        check_embedder(manifest, folder, embedder, dimension)
        store_path = folder / STORE_NAME
        if not store_path.is_file():
            raise corrupt(folder, f"its chunk store {STORE_NAME} is missing")
        if store_path.stat().st_size == 0:
            raise corrupt(folder, f"its chunk store {STORE_NAME} is empty (0 bytes)")
        index = cls(folder, manifest, ChunkStore(store_path), None)
        try:
            with index.reading():
                pass  # loads and checks the committed generation
        except BaseException:
            index.close()
            raise
        return index

    def _load_current(self) -> None:
        """Load the committed generation's vectors, checking what the save recorded about them."""
        store, folder = self._store, self.folder
        name = store.get_setting("vectors_file")
        if name is None:
            raise corrupt(folder, "its chunk store names no vector file (the index was never saved completely)")
        path = folder / name
        if not path.is_file():
            raise corrupt(folder, f"its vector file {name} is missing")
        size = path.stat().st_size
        recorded_size, recorded_sha = store.get_setting("vectors_bytes"), store.get_setting("vectors_sha256")
        if recorded_size is not None and int(recorded_size) != size:
            raise corrupt(folder, f"its vector file {name} has {size:,} bytes, the last save wrote "
                                  f"{int(recorded_size):,}")
        if recorded_sha is not None and size <= CHECKSUM_ON_OPEN_BYTES and file_sha256(path) != recorded_sha:
            raise corrupt(folder, f"its vector file {name} does not match the checksum of the last save")
        dimension, kind = self.manifest["embedder"]["dimension"], self.manifest["vector_index"]["kind"]
        try:
            vectors = read_vectors(path, dimension, kind, store.tombstones())
        except IndexCorruptError as exc:  # our own words pass; FAISS's parse errors are summarised
            said = str(exc) if "manifest says" in str(exc) else f"its vector file {name} cannot be read"
            raise corrupt(folder, said) from None
        chunks = store.count_chunks()
        if vectors.ntotal != chunks:
            raise corrupt(folder, f"it holds {chunks:,} chunks but {vectors.ntotal:,} vectors")
        for setting, value in self._tuning.items():
            setattr(vectors, setting, value)
        self._vectors = vectors
        self._generation = store.get_setting("generation")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Everything read inside comes from one committed generation (or this writer's own state).

        Wrap a whole retrieval (several index calls) in it; each read method also uses it on its own.
        """
        with self._mutex:
            if self._lock.held or self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._store.begin_read()
            self._depth = 1
            try:
                if self._vectors is None or self._store.get_setting("generation") != self._generation:
                    self._load_current()
                yield
            finally:
                self._depth = 0
                self._store.end_read()

    @property
    def _live(self) -> FaissVectors:
        assert self._vectors is not None  # loaded by reading() / begin_write()
        return self._vectors

    @property
    def kind(self) -> str:
        return str(self.manifest["vector_index"]["kind"])

    def tune(self, ef_search: int | None = None, nprobe: int | None = None) -> None:
        """Search effort of the approximate kinds (ignored by flat): recall against speed."""
        for name, value in (("ef_search", ef_search), ("nprobe", nprobe)):
            if value is not None:
                if value < 1:
                    raise ConfigError(f"{name} must be at least 1, got {value}")
                self._tuning[name] = int(value)
                if self._vectors is not None:
                    setattr(self._vectors, name, int(value))

    # -- writing -------------------------------------------------------------------------------
    @property
    def writing(self) -> bool:
        """Whether this object holds the folder's writer lock."""
        return self._lock.held

    def begin_write(self) -> None:
        """Take the writer lock, then load the latest committed generation (another writer may have
        saved since this index was opened). Writes call it themselves; held until ``end_write``."""
        with self._mutex:
            if self._lock.held:
                return
            self._lock.acquire()
            try:
                self._store.end_read()
                if self._vectors is None or self._store.get_setting("generation") != self._generation:
                    self._load_current()
                self._remove_orphans()
                self._finish_manifest()
            except BaseException:
                self._lock.release()
                raise

    def end_write(self) -> None:
        """Release the writer lock; changes not saved by then are dropped (never half-written)."""
        with self._mutex:
            if not self._lock.held:
                return
            if self._store.dirty:
                self._store.rollback()
                self._vectors, self._generation = None, None  # the in-memory vectors held the dropped changes
            self._lock.release()

    def _finish_manifest(self) -> None:
        """A writer killed between its commit and its manifest left stale counts: write them now."""
        counts = {"documents": self._store.count_documents(), "chunks": self._store.count_chunks()}
        if self.manifest.get("counts") != counts:
            self.manifest["counts"] = counts
            write_json_atomic(self.folder / MANIFEST_NAME, self.manifest)

    def _remove_orphans(self) -> None:
        # Vector files of saves that died before their commit, and half-written temp files.
        live = self._store.get_setting("vectors_file")
        for path in [*self.folder.glob("vectors-*.faiss"), *self.folder.glob(".*.tmp-*")]:
            if path.name != live:
                path.unlink(missing_ok=True)

    def upsert(self, items: Sequence[tuple[DocumentRecord, Sequence[NewChunk]]], vectors: np.ndarray) -> None:
        self.begin_write()
        with self._mutex:
            total = sum(len(chunks) for _, chunks in items)
            # Check before writing anything, so a bad call cannot leave the store half-changed.
            if len(vectors) != total or (total and vectors.shape[1] != self._live.dimension):
                raise ValueError(
                    f"{total} chunks of {self._live.dimension} dims but vectors of shape {vectors.shape}")
            all_ids = []
            for record, chunks in items:
                self.delete(record.source_id)
                self._store.put_document(record)
                all_ids.append(self._store.add_chunks(record.source_id, chunks))
            if total:
                self._live.add(np.concatenate(all_ids), vectors)

    def upsert_streamed(self, record: DocumentRecord,
                        batches: Iterable[tuple[Sequence[NewChunk], np.ndarray]]) -> int:
        """Replace one document whose chunks (with their vectors) arrive in batches; returns its chunk count.

        A huge document is written this way so its chunks are never all in memory. The new chunks are
        added under fresh ids beside the old version, which goes only after the last batch, together
        with the record (its ``chunk_count`` set to what arrived). If ``batches`` raises, the new
        chunks written so far are removed again and the exception propagates: the index is as before
        the call, so a save afterwards never commits half a document. Chunk ids and texts end as
        ``upsert`` would leave them.
        """
        self.begin_write()
        with self._mutex:
            first_new = self._store.next_chunk_id()
        count = 0
        try:
            for chunks, vectors in batches:
                with self._mutex:
                    if len(vectors) != len(chunks) or (len(chunks) and vectors.shape[1] != self._live.dimension):
                        raise ValueError(f"{len(chunks)} chunks of {self._live.dimension} dims but vectors of "
                                         f"shape {vectors.shape}")
                    if chunks:
                        self._live.add(self._store.add_chunks(record.source_id, chunks, first_seq=count), vectors)
                        count += len(chunks)
        except BaseException:
            with self._mutex:
                self._live.remove(self._store.delete_chunk_range(record.source_id, from_id=first_new))
            raise
        with self._mutex:
            self._live.remove(self._store.delete_chunk_range(record.source_id, below_id=first_new))
            self._store.put_document(dataclasses.replace(record, chunk_count=count))
        return count

    def delete(self, document_id: str) -> int:
        self.begin_write()
        with self._mutex:
            removed = self._store.delete_document(document_id)
            self._live.remove(removed)
            return len(removed)

    def save(self) -> None:
        with self._mutex:
            if not self._store.dirty:
                return
            store = self._store
            generation = int(store.get_setting("generation") or 0) + 1
            old = store.get_setting("vectors_file")
            name = f"vectors-{generation:06d}.faiss"
            written: dict[str, Any] = {}

            def write(tmp: Path) -> None:
                try:
                    self._live.write(tmp)
                except RuntimeError:  # FAISS's own text says little; say what failed
                    raise RagloomError(f"cannot write the vector file in {self.folder} "
                                       "(disk full, file size limit or folder not writable?)") from None
                written["bytes"], written["sha256"] = tmp.stat().st_size, file_sha256(tmp)

            try:
                write_atomic(self.folder / name, write)
            except OSError as exc:
                raise RagloomError(f"cannot save index {self.folder}: {exc.strerror}") from None
            if self._live.kind == "hnsw":
                store.set_tombstones(self._live.tombstones)
            self.manifest["counts"] = {"documents": store.count_documents(), "chunks": store.count_chunks()}
            for key, value in (("vectors_file", name), ("generation", str(generation)),
                               ("vectors_bytes", str(written["bytes"])), ("vectors_sha256", written["sha256"]),
                               ("vectors_count", str(self._live.ntotal)), ("ids_sha256", store.ids_digest()),
                               ("manifest", json.dumps(self.manifest, sort_keys=True))):
                store.set_setting(key, value)
            store.commit()  # the moment the new state becomes the index
            self._generation = str(generation)
            if old and old != name:
                (self.folder / old).unlink(missing_ok=True)
                fsync_dir(self.folder)
            try:
                write_json_atomic(self.folder / MANIFEST_NAME, self.manifest)
            except OSError as exc:  # the commit stands; the manifest is rewritten by the next save
                raise RagloomError(f"saved, but cannot rewrite {MANIFEST_NAME} in {self.folder}: {exc.strerror}") \
                    from None

    def close(self) -> None:
        with self._mutex:
            try:
                self._store.close()  # unsaved changes are rolled back, never half-written
            finally:
                self._lock.release()

    # -- reading -------------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[ScoredChunk]:
        with self.reading():
            if query.mode is SearchMode.KEYWORD:
                return self._store.keyword_hits(query)
            vector = np.asarray(query.vector, dtype=np.float32).reshape(-1)
            if query.candidates is not None:
                return self._score_candidates(vector, query)
            allowed = self._store.chunk_ids(query.filter) if query.filter else None
            if self._live.ntotal == 0 or (allowed is not None and len(allowed) == 0):
                return []
            scores, ids = self._vector_call(self._live.search, vector[None, :], query.k, allowed)
            chunks = self._store.get_chunks(int(i) for i in ids[0] if i >= 0)
        hits = [(float(s), chunks[int(i)]) for s, i in zip(scores[0], ids[0], strict=True) if int(i) in chunks]
        return [ScoredChunk(chunk=c, score=s, rank=r, cosine=s) for r, (s, c) in enumerate(hits, start=1)]

    def _vector_call(self, call: Any, *args: Any) -> Any:
        """Run a FAISS call; its failures on a loaded index mean damage, said in our words."""
        try:
            return call(*args)
        except RuntimeError:
            raise corrupt(self.folder, "its vectors do not match its chunks") from None

    def _score_candidates(self, vector: np.ndarray, query: SearchQuery) -> list[ScoredChunk]:
        """Exact cosine of the given candidates (those still stored and matching the filter)."""
        wanted = query.candidates or ()
        if query.filter:
            allowed = set(self._store.chunk_ids(query.filter).tolist())
            wanted = tuple(i for i in wanted if i in allowed)
        chunks = self._store.get_chunks(wanted)
        ids = [i for i in dict.fromkeys(wanted) if i in chunks]
        sims = self._vector_call(self._live.reconstruct, ids) @ vector
        order = sorted(range(len(ids)), key=lambda n: (-sims[n], ids[n]))[: query.k]
        return [ScoredChunk(chunk=chunks[ids[n]], score=float(sims[n]), rank=r, cosine=float(sims[n]))
                for r, n in enumerate(order, start=1)]


    def get(self, ids: Sequence[int]) -> list[Chunk]:
        with self.reading():
            found = self._store.get_chunks(ids)
        return [found[int(i)] for i in ids if int(i) in found]

    def count(self) -> int:
        with self.reading():
            return self._store.count_chunks()

    def documents(self) -> list[DocumentRecord]:
        with self.reading():
            return self._store.documents()

    def document(self, source_id: str) -> DocumentRecord | None:
        with self.reading():
            return self._store.get_document(source_id)

    def document_hashes(self) -> dict[str, str]:
        with self.reading():
            return self._store.document_hashes()

    def document_groups(self) -> dict[str, str]:
        with self.reading():
            return self._store.document_groups()

    def chunk_ids(self, filter: Filter | None = None) -> np.ndarray:
        with self.reading():
            return self._store.chunk_ids(filter)

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        with self.reading():
            return self._vector_call(self._live.reconstruct, ids)

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())
