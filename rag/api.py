"""``RAG``: the one object a library user needs. Every other front end (CLI, UI) calls this.

    from rag import RAG
    rag = RAG("my-index")                 # opens it, or creates it on first ingest
    rag.ingest(["docs/"])                 # incremental: unchanged files write nothing
    hits = rag.search("what is X?", k=5, filter={"file_type": "markdown"})
    answer = rag.ask("what is X?")        # retrieval + the bundled model, with citations
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import connectors
from connectors import ConnectorOptions
from indexes import refuse_without_manifest
from indexes.factory import create_index, open_index
from indexes.manifest import MANIFEST_NAME, read_manifest
from rag.chunking import Chunker, ChunkingSettings
from rag.config import Settings, load_settings
from rag.core.errors import RagloomError
from rag.core.options import AskOptions
from rag.core.protocols import Connector, Embedder, Index
from rag.core.sampling import SamplingParams
from rag.core.types import Chunk, Document, DocumentRecord, Filter, ScoredChunk
from rag.explain import AnswerExplainer
from rag.index_embedder import embedder_for_index
from rag.ingest import Ingestor, IngestReport, SyncMode
from rag.live_tools import ToolRegistry
from rag.prompts.focus import SourceFocus
from rag.retrieval import RetrievalMode, RetrievalSettings, Retriever, documents_only

if TYPE_CHECKING:
    from connectors import ApiTool
    from rag.core.answer import Answer
    from rag.core.protocols import Generator
    from rag.core.types import Message
    from rag.feedback import FeedbackStore
    from rag.pipeline import Answerer

Source = str | os.PathLike[str] | Document | Connector


class RAG:
    """An index folder plus the models that read and write it.

    Construction is cheap: it reads the manifest (if the index exists) but loads no model;
    models load on first use or in ``warm_up()``.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, settings: Settings | None = None,
                 embedder: Embedder | str | None = None, generator: Generator | None = None) -> None:
        self.settings = settings or load_settings()
        self.path = Path(path if path is not None else self.settings.index)
        refuse_without_manifest(self.path)  # data without a manifest: never start a new index over it
        manifest = read_manifest(self.path) if (self.path / MANIFEST_NAME).exists() else None
        # a local embedder's folder is recorded in a new index
        embedder, self._embedder_folder = embedder_for_index(self.path, manifest, self.settings, embedder)
        self.embedder: Embedder = embedder
        self._index: Index | None = None
        self._generator = generator
        self._answerer: Answerer | None = None
        self._tools = ToolRegistry()
        if manifest is not None:
            self._index = open_index(self.path, embedder=self.embedder.name, **self.settings.index_options())

    @classmethod
    def open(cls, path: str | os.PathLike[str], **kwargs: Any) -> RAG:
        """Open an existing index (``RAG(path)`` also creates one on first ingest)."""
        refuse_without_manifest(Path(path))
        if not (Path(path) / MANIFEST_NAME).exists():
            raise RagloomError(f"no index at {path}; create one with `ragloom ingest PATH --index {path}`")
        return cls(path, **kwargs)

    # -- lifecycle -----------------------------------------------------------------------------
    def warm_up(self) -> None:
        self.embedder.warm_up()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def __enter__(self) -> RAG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def exists(self) -> bool:
        return self._index is not None

    @property
    def index(self) -> Index:
        if self._index is None:
            raise RagloomError(f"no index at {self.path} yet; ingest some documents first")
        return self._index

    def _writable_index(self) -> Index:
        """The index with its writer lock held (created if new); release with ``end_write``."""
        if self._index is None and (self.path / MANIFEST_NAME).exists():  # created meanwhile by another process
            self._index = open_index(self.path, embedder=self.embedder.name, **self.settings.index_options())
        if self._index is None:
            chunking = ChunkingSettings(chunk_tokens=self.settings.chunk_tokens,
                                        overlap_tokens=self.settings.overlap_tokens)
            self._index = create_index(self.settings.index_kind, self.path, embedder=self.embedder.name,
                                       dimension=self.embedder.dimension, chunking=chunking.as_dict(),
                                       **self.settings.index_options())
            if self._embedder_folder:  # saved with the first ingest: reopening needs no --embedder
                self._index.manifest["embedder"]["path"] = self._embedder_folder
        elif self._index.manifest["embedder"]["dimension"] != self.embedder.dimension:
            raise RagloomError(f"index {self.path} holds {self._index.manifest['embedder']['dimension']}-dim "
                               f"vectors but embedder {self.embedder.name} makes {self.embedder.dimension}")
        else:
            self._index.begin_write()  # lock first, then the latest generation: no lost updates
        return self._index

    # -- writing -------------------------------------------------------------------------------
    def ingest(self, sources: Source | Iterable[Source], *, sync: SyncMode | str = SyncMode.ADD,
               chunk: bool = True, options: ConnectorOptions | None = None, progress: bool = False,
               ray: str | None = None, read_on_workers: bool = False) -> IngestReport:
        """Add or update documents from paths, ``Document``s or connectors; see ``SyncMode``.

        ``ray``: chunk and embed on a Ray cluster ("auto" = the one on this machine, "host:port" = a
        head node, "local" = a throwaway one here); ``read_on_workers``: the Ray workers also read local
        files (their paths must exist on every node); see ``rag.distributed``.
        """
        if isinstance(sources, str | os.PathLike | Document | Connector):
            sources = [sources]
        if options is None:
            options = ConnectorOptions(ocr_images=self.settings.ocr_images)
        mode = SyncMode.parse(sync)
        index = self._writable_index()
        try:
            stored = index.manifest.get("chunking") or {}
            settings = ChunkingSettings(enabled=chunk,
                                        chunk_tokens=stored.get("chunk_tokens", self.settings.chunk_tokens),
                                        overlap_tokens=stored.get("overlap_tokens", self.settings.overlap_tokens))
            chunker = Chunker(settings, self.embedder.count_tokens, self.embedder.max_tokens)
            if read_on_workers and not ray:
                raise RagloomError("read_on_workers (--ray-read) needs a Ray cluster (--ray)")
            stage = None
            if ray:
                from rag.distributed import RayChunkEmbedStage

                stage = RayChunkEmbedStage(ray, self.embedder.name, settings, self.settings.embed_batch_size)
            ingestor = Ingestor(index, self.embedder, chunker, embed_batch_size=self.settings.embed_batch_size,
                                stage=stage)
            items = (stage.read_sources(sources, options) if stage is not None and read_on_workers
                     else connectors.load_sources(sources, options))
            try:
                return ingestor.run(items, sync=mode, progress=progress)
            finally:
                if stage is not None:
                    stage.close()
        finally:
            index.end_write()  # readers and other writers may go on

    def delete(self, source_id: str) -> int:
        """Remove one document and its chunks; returns how many chunks went. Other ids never change."""
        index = self.index
        index.begin_write()
        try:
            if index.document(source_id) is None and Path(source_id).exists():
                source_id = str(Path(source_id).resolve())  # files are keyed by their resolved path
            if index.document(source_id) is None:
                raise RagloomError(f"no document {source_id!r} in {self.path}")
            removed = index.delete(source_id)
            index.save()
            return removed
        finally:
            index.end_write()

    # -- reading -------------------------------------------------------------------------------
    @property
    def retriever(self) -> Retriever:
        settings = RetrievalSettings(
            mode=self.settings.retrieval_mode, fusion=self.settings.fusion, alpha=self.settings.fusion_alpha,
            rrf_k=self.settings.rrf_k, normalization=self.settings.fusion_norm, candidates=self.settings.candidates,
            mmr_lambda=self.settings.mmr_lambda)
        return Retriever(self.index, settings)

    def search(self, query: str, k: int | None = None, *, filter: Filter | None = None,
               min_score: float | None = None, mode: RetrievalMode | str | None = None, mmr: bool = False,
               documents: bool = False) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``query`` among those matching ``filter``.

        ``mode``: dense (cosine), keyword (BM25) or hybrid (fused; the default). ``min_score`` drops
        results whose cosine similarity is lower. ``mmr`` diversifies the results; ``documents``
        returns one result per document (its best chunk).
        """
        if not query or not query.strip():
            raise RagloomError("the query is empty")
        return self.search_many([query], k, filter=filter, min_score=min_score, mode=mode, mmr=mmr,
                                documents=documents)[0]

    def search_many(self, queries: Sequence[str], k: int | None = None, *, filter: Filter | None = None,
                    min_score: float | None = None, mode: RetrievalMode | str | None = None, mmr: bool = False,
                    documents: bool = False, batch_size: int = 128) -> list[list[ScoredChunk]]:
        """``search`` for many queries, embedding them in batches (used by evaluation)."""
        k = self.settings.k if k is None else k
        if k < 1:
            raise RagloomError(f"k must be at least 1 (got {k})")
        retriever = self.retriever
        mode = RetrievalMode.parse(mode or retriever.settings.mode)
        want = k * 10 if documents else k  # documents: room for several chunks per document
        # Embedded in every mode: keyword results carry their cosine too, so min_score means one thing.
        if len(queries) == 1:
            vectors = self.embedder.embed_query(queries[0])[None, :]
        else:
            vectors = self.embedder.embed_documents(list(queries), batch_size=batch_size)
        with self.index.reading():  # one generation for the whole retrieval, even while another process writes
            results = [retriever.search(q, vectors[i], want, filter, mode, mmr) for i, q in enumerate(queries)]
        if documents:
            results = [documents_only(hits, k) for hits in results]
        floor = self.settings.min_score if min_score is None else min_score
        if floor is not None:
            results = [[h for h in hits if h.cosine is not None and h.cosine >= floor] for hits in results]
        return results

    def documents(self) -> list[DocumentRecord]:
        return self.index.documents() if self.exists else []

    def chunk_ids(self, filter: Filter | None = None) -> list[int]:
        """Ids of the stored chunks matching ``filter`` (every chunk without one)."""
        return self.index.chunk_ids(filter).tolist() if self.exists else []

    def chunks(self, ids: Sequence[int]) -> list[Chunk]:
        """The stored chunks with these ids, in order (unknown ids are left out)."""
        return self.index.get(ids) if self.exists and len(ids) else []

    def vectors_of(self, ids: Sequence[int]) -> np.ndarray:
        """The stored unit vectors of these chunks, one row each (for plotting or custom ranking)."""
        if not self.exists or not len(ids):
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return self.index.vectors_of(ids)

    def info(self) -> dict[str, Any]:
        if not self.exists:
            return {"path": str(self.path), "documents": 0, "chunks": 0, "embedder": self.embedder.name,
                    "dimension": None, "bytes": 0}
        manifest = self.index.manifest
        return {
            "path": str(self.path),
            "documents": len(self.index.documents()),
            "chunks": self.index.count(),
            "embedder": manifest["embedder"]["name"],
            "dimension": manifest["embedder"]["dimension"],
            "bytes": self.index.size_bytes(),
            "index_kind": self.index.kind,
            "chunking": manifest.get("chunking", {}),
        }

    # -- answering -----------------------------------------------------------------------------
    @property
    def generator(self) -> Generator:
        """The language model (from settings unless one was given); it loads on first use."""
        if self._generator is None:
            from rag.generation.from_settings import generator_from_settings

            self._generator = generator_from_settings(self.settings)
        return self._generator

    def with_generator(self, generator: Generator) -> RAG:
        """A view of this index (same open index, embedder and tools) that answers with ``generator``.

        For front ends where each user picks a model: one index stays open (one writer per folder)
        while answers come from different generators. Write through the original, not the view.
        """
        view = copy.copy(self)
        view._generator = generator
        view._answerer = None
        return view

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            from rag.grounding import GroundingChecker
            from rag.pipeline import Answerer
            from rag.source_selection import SourceBudget

            budget = SourceBudget(self.settings.answer_max_sources, self.settings.answer_source_tokens)
            self._answerer = Answerer(lambda query, k, filter: self.search(query, k=k, filter=filter),
                                      self.generator, k=self.settings.answer_k, focus=self.source_focus(),
                                      budget=budget, count_tokens=self.embedder.count_tokens,
                                      grounding=GroundingChecker(self.embedder), neighbours=self.chunks,
                                      followups=self.settings.followup_query)
        return self._answerer

    def source_focus(self, max_tokens: int | None = None) -> SourceFocus | None:
        """What shortens QA sources to their relevant sentences (``None`` when ``focus_tokens`` is 0)."""
        tokens = self.settings.focus_tokens if max_tokens is None else max_tokens
        return SourceFocus(self.embedder, tokens) if tokens > 0 else None

    def add_tool(self, tool: ApiTool | str | os.PathLike[str], *, allow_private: bool = False) -> ApiTool:
        """Register a live HTTP JSON tool (an ``ApiTool`` or a spec file) to consult at question time."""
        return self._tools.add(tool, allow_private=allow_private)

    @property
    def tools(self) -> dict[str, ApiTool]:
        """Registered live tools by name."""
        return self._tools.by_name()

    def ask_options(self, options: AskOptions | None = None, *, task: str | None = None, style: str | None = None,
                    sampling: SamplingParams | None = None, k: int | None = None, filter: Filter | None = None,
                    examples: Sequence[Any] | None = None, target_language: str | None = None,
                    min_score: float | None = None, extra_context: Sequence[Document] | None = None) -> AskOptions:
        """One ``AskOptions``: ``options`` (or the settings' defaults) with the given fields changed."""
        base = options if options is not None else AskOptions(style=self.settings.answer_style)
        return base.with_(task=task, style=style, sampling=sampling, k=k, filter=filter, examples=examples,
                          target_language=target_language, min_score=min_score, extra_context=extra_context)

    def ask(self, question: str, options: AskOptions | None = None, *, tools: Sequence[str | ApiTool] = (),
            task: str | None = None, style: str | None = None, sampling: SamplingParams | None = None,
            k: int | None = None, filter: Filter | None = None, examples: Sequence[Any] | None = None,
            target_language: str | None = None, min_score: float | None = None,
            extra_context: Sequence[Document] | None = None) -> Answer:
        """Answer from the index (and live ``tools``); the keywords refine ``options`` (see ``AskOptions``)."""
        from rag.pipeline import final_answer

        opts = self.ask_options(options, task=task, style=style, sampling=sampling, k=k, filter=filter,
                                examples=examples, target_language=target_language, min_score=min_score,
                                extra_context=extra_context)
        return final_answer(self._stream(question, None, tools, opts))

    def stream(self, question: str, options: AskOptions | None = None, *, tools: Sequence[str | ApiTool] = (),
               task: str | None = None, style: str | None = None, sampling: SamplingParams | None = None,
               k: int | None = None, filter: Filter | None = None, examples: Sequence[Any] | None = None,
               target_language: str | None = None, min_score: float | None = None,
               extra_context: Sequence[Document] | None = None) -> Iterator[str | Answer]:
        """Yield answer text pieces as they are generated, then the final ``Answer``."""
        opts = self.ask_options(options, task=task, style=style, sampling=sampling, k=k, filter=filter,
                                examples=examples, target_language=target_language, min_score=min_score,
                                extra_context=extra_context)
        return self._stream(question, None, tools, opts)

    def chat(self, messages: Sequence[Message], options: AskOptions | None = None, *,
             tools: Sequence[str | ApiTool] = (), task: str | None = None, style: str | None = None,
             sampling: SamplingParams | None = None, k: int | None = None, filter: Filter | None = None,
             examples: Sequence[Any] | None = None, target_language: str | None = None,
             min_score: float | None = None, extra_context: Sequence[Document] | None = None) -> Answer:
        """Answer the last user message; a follow-up becomes a standalone search query using the history."""
        from rag.pipeline import final_answer

        opts = self.ask_options(options, task=task, style=style, sampling=sampling, k=k, filter=filter,
                                examples=examples, target_language=target_language, min_score=min_score,
                                extra_context=extra_context)
        return final_answer(self._stream(messages[-1]["content"] if messages else "", messages, tools, opts))

    def stream_chat(self, messages: Sequence[Message], options: AskOptions | None = None, *,
                    tools: Sequence[str | ApiTool] = (), task: str | None = None, style: str | None = None,
                    sampling: SamplingParams | None = None, k: int | None = None, filter: Filter | None = None,
                    examples: Sequence[Any] | None = None, target_language: str | None = None,
                    min_score: float | None = None,
                    extra_context: Sequence[Document] | None = None) -> Iterator[str | Answer]:
        """``chat`` that yields text pieces, then the final ``Answer``."""
        opts = self.ask_options(options, task=task, style=style, sampling=sampling, k=k, filter=filter,
                                examples=examples, target_language=target_language, min_score=min_score,
                                extra_context=extra_context)
        return self._stream(messages[-1]["content"] if messages else "", messages, tools, opts)

    def _stream(self, question: str, messages: Sequence[Message] | None, tools: Sequence[str | ApiTool],
                options: AskOptions) -> Iterator[str | Answer]:
        extra, notes = self._tools.context(question, tools) if tools else ([], [])
        if extra:
            options = replace(options, extra_context=(*options.extra_context, *extra))
        if messages is None:
            pieces = self.answerer.stream(question, options)
        else:
            pieces = self.answerer.stream_chat(messages, options)
        for piece in pieces:
            if notes and not isinstance(piece, str):
                piece = replace(piece, notes=(*piece.notes, *notes))
            if not isinstance(piece, str):
                piece = replace(piece, explainer=AnswerExplainer.from_settings(self.settings, self.embedder))
            yield piece

    # -- feedback ------------------------------------------------------------------------------
    @property
    def feedback_store(self) -> FeedbackStore:
        """Users' feedback on answers, beside the index (``feedback.sqlite``; re-ingesting keeps it)."""
        from rag.feedback import FeedbackStore

        return FeedbackStore(self.path)

    def feedback(self, answer_or_id: Answer | str, *, rating: str | None = None, correction: str | None = None,
                 relevant: Iterable[int] = (), irrelevant: Iterable[int] = (), unmark: Iterable[int] = ()) -> str:
        """Record feedback on an answer (or update it, by the id this returns): ``rating`` up / down / none,
        a ``correction`` (the right answer; "" removes it), source numbers ``[n]`` marked ``relevant`` or
        ``irrelevant`` (``unmark`` clears a mark). Unset arguments keep what was recorded before."""
        from rag.feedback import record_feedback

        return record_feedback(self.feedback_store, answer_or_id, rating=rating, correction=correction,
                               relevant=relevant, irrelevant=irrelevant, unmark=unmark)

    def as_langchain_runnable(self, options: AskOptions | None = None) -> Any:
        """The whole pipeline as a LangChain ``Runnable`` (question in, answer dict out)."""
        from rag.langchain_runnable import as_langchain_runnable

        return as_langchain_runnable(self.answerer, options=self.ask_options(options))

    def as_langchain_retriever(self, k: int = 5, filter: Filter | None = None,
                               min_score: float | None = None) -> Any:
        """This index as a LangChain ``BaseRetriever``."""
        from rag.langchain_retriever import RagloomRetriever

        return RagloomRetriever(rag=self, k=k, filter=dict(filter) if filter else None, min_score=min_score)

