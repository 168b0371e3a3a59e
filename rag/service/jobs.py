"""Runs ingest jobs, one at a time per collection, on a background thread.

Each item (an uploaded file, a URL, an API spec) is read and parsed without any lock, then written
and saved under the collection's write lock, so searches keep running between items and never see
half of one. Uploaded files get stable source ids (``upload:<key>/<name>``), so uploading a file
again updates it. A scoped key's documents are stamped with its scope's equality values and must
match its scope; an item that would overwrite or prune a document outside the key's scope is refused.
Jobs still queued or running when the service stops are resumed when it starts again.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from rag import ConnectorOptions, Document, IngestReport, RagloomError, Skipped, load_sources
from rag.service.collections import Collection
from rag.service.job_store import COUNT_FIELDS, Job, JobItem, JobStore
from rag.service.prepared_embeddings import PreparingEmbedder
from rag.service.scope import Scope

log = logging.getLogger("ragloom.service")

UPLOADS = "uploads"


class JobRunner:
    def __init__(self, collection: Collection, store: JobStore, state_folder: Path,
                 connector_options: ConnectorOptions | None = None) -> None:
        self.collection = collection
        self.store = store
        self.uploads = state_folder / UPLOADS
        self.connector_options = connector_options or ConnectorOptions()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._cancelled: set[str] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._chunking_settings: dict[str, Any] | None = None
        self.scratch = state_folder / "scratch"

    def start(self) -> None:
        for job_id in self.store.active_ids():  # interrupted by a stop or a crash: resume
            self.store.set_status(job_id, "queued")
            self._queue.put(job_id)
        self._thread = threading.Thread(target=self._loop, name=f"ragloom-jobs-{self.collection.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current item, then stop; an unfinished job stays queued and resumes at the next start."""
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def upload_folder(self, job_id: str) -> Path:
        return self.uploads / job_id

    def submit(self, job: Job) -> None:
        self._queue.put(job.id)

    def cancel(self, job_id: str) -> None:
        job = self.store.get(job_id)
        if job is None or job.status not in ("queued", "running"):
            return
        self._cancelled.add(job_id)
        if job.status == "queued":
            self.store.set_status(job_id, "cancelled", "cancelled before it started")

    # -- the worker ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stop.is_set():
                return
            job = self.store.get(job_id)
            if job is None or job.status not in ("queued", "running"):
                continue
            try:
                self._run(job)
            except Exception as exc:  # a bug must not kill the worker: the job fails, the next one runs
                log.exception("ingest job %s failed", job_id)
                self.store.set_status(job_id, "failed", f"internal error: {type(exc).__name__}")
                self._cleanup(job_id)

    def _run(self, job: Job) -> None:
        self.store.set_status(job.id, "running")
        scope = Scope(filter=job.scope, key_id=job.key_id)
        counts = {name: int(job.counts.get(name, 0)) for name in COUNT_FIELDS}
        for item in job.items:
            if item.status == "done":
                continue
            if job.id in self._cancelled:
                self.store.set_status(job.id, "cancelled", "cancelled by the caller")
                self._cleanup(job.id)
                return
            errors, report = self._run_item(job, item, scope)
            for name in COUNT_FIELDS:
                counts[name] += getattr(report, name)
            self.store.finish_item(job.id, item.seq, errors, counts)
            if self._stop.is_set():
                return  # stays "running" on disk: resumed at the next start
        self.store.set_status(job.id, "done")
        self._cleanup(job.id)

    def _run_item(self, job: Job, item: JobItem, scope: Scope) -> tuple[list[dict[str, str]], IngestReport]:
        options = replace(self.connector_options, **_safe_options(job.options))
        sources: list[str] = [item.value]
        if item.kind == "api":
            options, sources = replace(options, api_specs=(item.value,)), []
        errors: list[dict[str, str]] = []
        documents: list[Document] = []
        try:
            for loaded in load_sources(sources, options):
                if isinstance(loaded, Skipped):
                    errors.append({"source": self._shown(loaded.source, item, job), "reason": loaded.reason})
                    continue
                document = self._stamped(loaded, item, job, scope)
                if not scope.sees(document.metadata, document.source_id):
                    errors.append({"source": document.source_id, "reason": "outside this key's metadata scope"})
                    continue
                documents.append(document)
        except RagloomError as exc:
            return [*errors, {"source": item.display, "reason": str(exc)}], IngestReport()
        if not documents:
            return errors, IngestReport()
        rag = self.collection.rag
        try:
            if isinstance(rag.embedder, PreparingEmbedder):  # chunk and embed now, outside the lock
                rag.embedder.prepare(documents, rag.settings, self._chunking(), self.scratch)
            with self.collection.lock.write():
                refused = self._foreign(documents, scope)
                if refused:
                    return [*errors, {"source": item.display, "reason": refused}], IngestReport(failed=len(documents))
                report = rag.ingest(documents)
        finally:
            if isinstance(rag.embedder, PreparingEmbedder):
                rag.embedder.forget()
        errors += [{"source": self._shown(e.get("source", ""), item, job), "reason": e.get("reason", "")}
                   for e in report.errors]
        return errors, report

    def _chunking(self) -> dict[str, Any]:
        """The index's chunking (fixed when it was created), or the settings' for an index not made yet."""
        if self._chunking_settings is None:
            with self.collection.lock.read():
                info = self.collection.rag.info()
            if "chunking" not in info:
                return {}
            self._chunking_settings = dict(info["chunking"])
        return self._chunking_settings

    def _stamped(self, document: Document, item: JobItem, job: Job, scope: Scope) -> Document:
        """Stable ids for uploads, and the scope's equality values in the metadata."""
        metadata = dict(document.metadata)
        source_id = document.source_id
        if item.kind == "file":
            local = str(Path(item.value).resolve())
            public = f"upload:{job.key_id or 'local'}/{item.display}"
            source_id = source_id.replace(local, public)
            metadata = {k: v.replace(local, public) if isinstance(v, str) else v for k, v in metadata.items()}
        for key, condition in scope.filter.items():
            if not isinstance(condition, dict):
                metadata[key] = condition
            elif set(condition) == {"$eq"}:
                metadata[key] = condition["$eq"]
        return Document(source_id, document.text, metadata)

    def _foreign(self, documents: list[Document], scope: Scope) -> str | None:
        """Why these documents may not be written: they would replace or prune documents outside the scope."""
        if not scope.filter:
            return None
        ids = {d.source_id for d in documents}
        groups = {str(d.metadata.get("source", d.source_id)) for d in documents}
        for record in self.collection.rag.documents():
            group = str(record.metadata.get("source", record.source_id))
            if (record.source_id in ids or group in groups) and not scope.sees(record.metadata, record.source_id):
                return "a document with this source already exists outside this key's scope"
        return None

    def _shown(self, source: str, item: JobItem, job: Job) -> str:
        if item.kind == "file":
            return source.replace(str(Path(item.value).resolve()), item.display).replace(item.value, item.display)
        return source

    def _cleanup(self, job_id: str) -> None:
        shutil.rmtree(self.upload_folder(job_id), ignore_errors=True)


def _safe_options(options: dict[str, Any]) -> dict[str, Any]:
    """The connector options a caller may set per job (never private-network access or file limits)."""
    allowed = {"crawl_depth": int, "max_pages": int}
    return {name: kind(options[name]) for name, kind in allowed.items() if name in options}
