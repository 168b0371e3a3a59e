"""Incremental ingestion: documents -> chunks -> vectors -> index, writing only what changed.

Each document is keyed by its ``source_id`` and a content hash (text, metadata except the
modification time, chunking settings). Unchanged documents write nothing; changed ones have
their chunks replaced; with ``SyncMode.FULL`` documents not seen in this run are deleted.
Chunks are embedded in batches across documents, and the index is saved at checkpoints, so a
run that dies keeps every document written before the last checkpoint and a rerun picks up
the rest.

A document of more chunks than one batch (a huge file) is *streamed*: its chunks are cut, embedded
and written a batch at a time (``upsert_streamed``, an index's ``streamed_upsert`` capability), so
memory stays flat however big it is, and it is still replaced atomically: no checkpoint falls
inside it, its old version goes only with its last batch, and a failure half way removes what it
had written. An index without that capability gets the document in one ``upsert``, embedded batch
by batch all the same. (A ``ChunkEmbedStage`` still chunks and embeds each document whole.)

Embedding is the slow step, so it runs on a worker thread (ONNX Runtime and torch release the
GIL) while this thread reads, hashes and chunks the next documents and writes the previous batch
to the index. At most one batch is in flight, and batches are written in the order they were
read, so the index sees exactly the writes a sequential run would make.

With a ``ChunkEmbedStage`` (``rag.distributed`` runs one on a Ray cluster) chunking and embedding
move off this process: changed documents are sent in batches to the stage, several batches in
flight, and written back in the order they were read. Hashing, sync, deletes, checkpoints, the
progress bar and the report stay here, so both paths keep the same semantics.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from itertools import chain, islice
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from rag.chunking import Chunker
from rag.core.errors import ConfigError
from rag.core.layout import OCR_LOW_CONFIDENCE, without_layout
from rag.core.protocols import Embedder, Index, IndexCapability
from rag.core.types import Document, DocumentRecord, NewChunk, Skipped

VOLATILE_METADATA = ("modified",)  # a touched but unchanged file is not a change

Batch = list[tuple[DocumentRecord, list[NewChunk], bool]]
Pending = list[tuple[Document, str, bool]]  # document, content hash, whether an older version is indexed
# Per document: its chunks and their vectors, or the reason chunking failed and None.
StageResult = list[tuple[list[NewChunk], np.ndarray] | tuple[str, None]]


class _ChunkingFailed(Exception):
    """Chunking a streamed document failed part way (the document is reported failed, the run goes on)."""


class ChunkEmbedStage(Protocol):
    """Chunks and embeds batches of documents elsewhere (e.g. on a Ray cluster).

    ``submit`` starts one batch and returns a handle; ``result`` waits for it and gives, per
    document in order, either ``(chunks, vectors)`` or ``(reason, None)`` when chunking failed.
    Chunking and embedding must be the ones this process would do (same chunker settings and
    embedder), so a distributed ingest writes what a local one would.
    """

    window: int  # batches in flight
    batch_chars: int  # characters of text per batch

    def submit(self, documents: list[Document]) -> Any: ...

    def result(self, handle: Any) -> StageResult: ...


class SyncMode(StrEnum):
    """What an ingest run may change.

    ADD: new documents are added and changed ones replaced. Documents of a source read in this
         run that the source no longer yields (a page cut from a PDF, a section removed from a
         Markdown file) are deleted; documents of other sources are left alone.
    FULL: as ADD, and every indexed document not seen in this run is deleted, so the index
          mirrors exactly the sources of this run.
    In both modes, documents of a source that could not be read this time are kept.
    """

    ADD = "add"
    FULL = "full"

    @classmethod
    def parse(cls, value: str | SyncMode) -> SyncMode:
        try:
            return cls(value)
        except ValueError:
            raise ConfigError(f"unknown sync mode {value!r}; choose add or full") from None


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0  # chunks written in this run
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)  # {source, reason} for skipped and failed
    low_confidence: list[dict[str, Any]] = field(default_factory=list)  # {source, confidence}: OCR'd pages to check

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, {self.deleted} deleted, "
                f"{self.skipped} skipped, {self.failed} failed ({self.chunks} chunks, {self.seconds:.1f} s)")


def content_hash(document: Document, chunking: dict[str, Any]) -> str:
    metadata = {k: v for k, v in document.metadata.items() if k not in VOLATILE_METADATA}
    payload = json.dumps([document.text, metadata, chunking], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class Ingestor:
    def __init__(
        self, index: Index, embedder: Embedder, chunker: Chunker, batch_chunks: int = 1024,
        checkpoint_seconds: float = 30.0, embed_batch_size: int = 64, overlap: bool = True,
        stage: ChunkEmbedStage | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.chunker = chunker
        self.batch_chunks = batch_chunks
        self.checkpoint_seconds = checkpoint_seconds
        self.embed_batch_size = embed_batch_size
        self.overlap = overlap  # embed on a worker thread while the next batch is read and chunked
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: tuple[Batch, Future[np.ndarray]] | None = None
        self.stage = stage  # chunk + embed elsewhere (None: here, as described above)
        self._staged: Pending = []
        self._staged_chars = 0
        self._stage_flight: deque[tuple[Pending, Any]] = deque()

    def run(self, items: Iterable[Document | Skipped], sync: SyncMode = SyncMode.ADD,
            progress: bool = False) -> IngestReport:
        report = IngestReport()
        started = time.perf_counter()
        known = self.index.document_hashes()
        groups = self.index.document_groups()  # id -> source (file) it came from
        touched: set[str] = set()  # sources read in this run
        unreadable: set[str] = set()  # sources skipped in this run: their old documents stay
        chunking = self.chunker.settings.as_dict()
        seen: set[str] = set()
        pending: Batch = []
        pending_chunks = 0
        last_save = time.monotonic()
        bar = tqdm(desc="ingest", unit=" doc", disable=not progress, dynamic_ncols=True)
        # Only an embedder that says so is used from a worker thread while this thread counts tokens
        # with it (a Hugging Face tokenizer shared across threads can fail with "Already borrowed").
        if self.overlap and getattr(self.embedder, "thread_safe", False):
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ragloom-embed")
        try:
            for item in items:
                bar.update(1)
                if isinstance(item, Skipped):
                    unreadable.add(item.source)
                    report.skipped += 1
                    report.errors.append({"source": item.source, "reason": item.reason})
                    continue
                if item.source_id in seen:
                    report.unchanged += 1  # the same source twice in one run: first one wins
                    continue
                seen.add(item.source_id)
                confidence = item.metadata.get("ocr_confidence")
                if isinstance(confidence, int | float) and confidence < OCR_LOW_CONFIDENCE:
                    report.low_confidence.append({"source": item.source_id, "confidence": confidence})
                report.low_confidence += _low_confidence_images(item)
                touched.add(str(item.metadata.get("source", item.source_id)))
                digest = content_hash(item, chunking)
                if known.get(item.source_id) == digest:
                    report.unchanged += 1
                    continue
                if self.stage is not None:
                    written = report.chunks
                    self._stage_add((item, digest, item.source_id in known), report)
                    if report.chunks != written:
                        rate = report.chunks / max(time.perf_counter() - started, 1e-9)
                        bar.set_postfix_str(f"{report.chunks} chunks, {rate:.0f} chunks/s")
                    if time.monotonic() - last_save > self.checkpoint_seconds:
                        self.index.save()
                        last_save = time.monotonic()
                    continue
                try:
                    cut = self.chunker.iter_chunks(item)
                    chunks = list(islice(cut, self.batch_chunks + 1))  # one batch, and one more if there are more
                except Exception as exc:  # one bad document must not stop the run
                    report.failed += 1
                    report.errors.append({"source": item.source_id, "reason": f"chunking failed: {exc}"})
                    continue
                # the span-to-box map is per chunk now (rag.core.layout); the record keeps the rest
                record = DocumentRecord(item.source_id, digest, without_layout(item.metadata), len(chunks), _now())
                if len(chunks) > self.batch_chunks:  # a huge document: written batch by batch, on its own
                    self._submit(pending, report)
                    self._drain(report)
                    pending, pending_chunks = [], 0

                    def show(done: int) -> None:  # a huge document takes minutes: the bar moves per batch
                        rate = (report.chunks + done) / max(time.perf_counter() - started, 1e-9)
                        bar.set_postfix_str(f"{report.chunks + done} chunks, {rate:.0f} chunks/s")

                    self._stream(record, chunks, cut, item.source_id in known, report, show)
                    if time.monotonic() - last_save > self.checkpoint_seconds:
                        self.index.save()
                        last_save = time.monotonic()
                    continue
                pending.append((record, chunks, item.source_id in known))
                pending_chunks += len(chunks)
                if pending_chunks >= self.batch_chunks:
                    self._submit(pending, report)
                    pending, pending_chunks = [], 0
                    rate = report.chunks / max(time.perf_counter() - started, 1e-9)
                    bar.set_postfix_str(f"{report.chunks} chunks, {rate:.0f} chunks/s")
                    if time.monotonic() - last_save > self.checkpoint_seconds:
                        self.index.save()
                        last_save = time.monotonic()
            self._submit(pending, report)
            self._drain(report)
            self._stage_drain(report)
            pending = []
            for source_id in sorted(set(known) - seen):
                group = groups.get(source_id, source_id)
                if group in unreadable or source_id in unreadable:
                    continue
                if sync is SyncMode.FULL or group in touched:
                    self.index.delete(source_id)
                    report.deleted += 1
        finally:
            if self._executor is not None:
                # An interrupted run drops its unwritten batch (a rerun redoes it), as before.
                self._in_flight = None
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
            self._staged, self._staged_chars = [], 0
            self._stage_flight.clear()  # an interrupted run drops unwritten batches (a rerun redoes them)
            bar.close()
            # Whatever was fully written is kept, even when the run is interrupted.
            self.index.save()
            report.seconds = time.perf_counter() - started
        return report

    # -- one huge document, a batch at a time ----------------------------------------------------
    def _stream(self, record: DocumentRecord, head: list[NewChunk], rest: Iterator[NewChunk], existed: bool,
                report: IngestReport, progress: Callable[[int], None]) -> None:
        """Write one document of more than a batch of chunks, never holding more than two batches."""
        batches = self._embedded_batches(head, rest, progress)
        try:
            if IndexCapability.STREAMED_UPSERT in self.index.capabilities:
                count = self.index.upsert_streamed(record, batches)  # type: ignore[attr-defined]
            else:  # this index takes a document in one call: embedded in batches, written at once
                parts = list(batches)
                chunks = [chunk for part, _ in parts for chunk in part]
                vectors = np.concatenate([rows for _, rows in parts])
                count = len(chunks)
                self.index.upsert([(replace(record, chunk_count=count), chunks)], vectors)
        except _ChunkingFailed as exc:
            report.failed += 1
            report.errors.append({"source": record.source_id, "reason": f"chunking failed: {exc}"})
            return
        report.updated += existed
        report.added += not existed
        report.chunks += count

    def _embedded_batches(self, head: list[NewChunk], rest: Iterator[NewChunk], progress: Callable[[int], None]) \
            -> Iterator[tuple[list[NewChunk], np.ndarray]]:
        """``(chunks, vectors)`` a batch at a time; with a worker thread the next batch is cut while one embeds."""
        chunks = chain(head, _chunking_errors(rest))
        batch = list(islice(chunks, self.batch_chunks))
        done = 0
        while batch:
            texts = [chunk.text for chunk in batch]
            if self._executor is None:
                vectors = self.embedder.embed_documents(texts, batch_size=self.embed_batch_size)
                following = list(islice(chunks, self.batch_chunks))
            else:
                future = self._executor.submit(self.embedder.embed_documents, texts, self.embed_batch_size)
                try:
                    following = list(islice(chunks, self.batch_chunks))
                finally:
                    vectors = future.result()
            done += len(batch)
            progress(done)
            yield batch, vectors
            batch = following

    def _embed(self, pending: Batch) -> np.ndarray:
        texts = [c.text for _, chunks, _ in pending for c in chunks]
        return self.embedder.embed_documents(texts, batch_size=self.embed_batch_size)

    def _submit(self, pending: Batch, report: IngestReport) -> None:
        """Start embedding ``pending``; write the batch before it first (its embedding is done by then)."""
        if not pending:
            return
        if self._executor is None:
            self._write(pending, self._embed(pending), report)
            return
        future = self._executor.submit(self._embed, pending)
        self._drain(report)
        self._in_flight = (pending, future)

    def _drain(self, report: IngestReport) -> None:
        if self._in_flight is not None:
            pending, future = self._in_flight
            self._in_flight = None
            self._write(pending, future.result(), report)

    # -- chunk + embed on a stage (see ChunkEmbedStage) -------------------------------------------
    def _stage_add(self, entry: tuple[Document, str, bool], report: IngestReport) -> None:
        assert self.stage is not None
        self._staged.append(entry)
        self._staged_chars += len(entry[0].text)
        if self._staged_chars >= self.stage.batch_chars:
            self._stage_submit(report)

    def _stage_submit(self, report: IngestReport) -> None:
        assert self.stage is not None
        if self._staged:
            batch, self._staged, self._staged_chars = self._staged, [], 0
            self._stage_flight.append((batch, self.stage.submit([document for document, _, _ in batch])))
        while len(self._stage_flight) > self.stage.window:
            self._stage_collect(report)

    def _stage_drain(self, report: IngestReport) -> None:
        if self.stage is None:
            return
        self._stage_submit(report)
        while self._stage_flight:
            self._stage_collect(report)

    def _stage_collect(self, report: IngestReport) -> None:
        """Write the oldest batch in flight: batches are written in the order they were read."""
        assert self.stage is not None
        batch, handle = self._stage_flight.popleft()
        written: Batch = []
        vectors: list[np.ndarray] = []
        for (document, digest, existed), (chunks, rows) in zip(batch, self.stage.result(handle), strict=True):
            if rows is None:
                report.failed += 1
                report.errors.append({"source": document.source_id, "reason": f"chunking failed: {chunks}"})
                continue
            record = DocumentRecord(document.source_id, digest, without_layout(document.metadata), len(chunks), _now())
            written.append((record, list(chunks), existed))
            vectors.append(rows)
        if written:
            self._write(written, np.concatenate(vectors).astype(np.float32, copy=False), report)

    def _write(self, pending: Batch, vectors: np.ndarray, report: IngestReport) -> None:
        self.index.upsert([(record, chunks) for record, chunks, _ in pending], vectors)
        for _, _, existed in pending:
            if existed:
                report.updated += 1
            else:
                report.added += 1
        report.chunks += len(vectors)


def _chunking_errors(chunks: Iterator[NewChunk]) -> Iterator[NewChunk]:
    try:
        yield from chunks
    except Exception as exc:  # told apart from the index's and the embedder's failures, which stop the run
        raise _ChunkingFailed(str(exc)) from exc


def _low_confidence_images(document: Document) -> list[dict[str, Any]]:
    """The OCR'd pictures of a DOCX/HTML document (``ocr_images`` metadata) read with low confidence."""
    images = document.metadata.get("ocr_images")
    if not isinstance(images, list):
        return []
    return [{"source": f"{document.source_id}#image={image.get('image')}", "confidence": image["confidence"]}
            for image in images if isinstance(image, dict) and isinstance(image.get("confidence"), int | float)
            and image["confidence"] < OCR_LOW_CONFIDENCE]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
