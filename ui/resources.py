"""Objects shared by every session of this server: open indexes, their write locks, generators, warm-ups.

Streamlit re-runs the script on every click; ``st.cache_resource`` keeps one instance per key for
the whole process, so an index folder is opened once (it allows one writer) and a model loads once.
Models load in background threads so the first page render never waits for the language model.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from rag import RAG, Generator, IngestReport, Settings, generator_from_settings, load_settings
from ui.errors import readable
from ui.sample import sync_sample_index


@dataclass(frozen=True)
class GeneratorSpec:
    """Which language model to build; hashable, so it keys the generator cache."""

    backend: str
    model: str | None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"  # the variable's name; the key itself is read by the backend
    threads: int | None = None
    context_window: int | None = None

    def label(self) -> str:
        where = f" at {self.base_url}" if self.base_url else ""
        return f"{self.backend}: {self.model or 'default'}{where}"


@st.cache_resource(show_spinner=False)
def open_index(path: str) -> RAG:
    """The one ``RAG`` for an index folder in this process (cheap: no model loads here)."""
    return RAG(path, settings=load_settings())


@st.cache_resource(show_spinner=False)
def write_lock(path: str) -> threading.Lock:
    """Serialises ingest and delete on one index across sessions."""
    return threading.Lock()


@st.cache_resource(show_spinner=False)
def prepared_sample_index(path: str) -> IngestReport:
    """Sync the bundled corpus into the sample index once per server process."""
    rag = open_index(path)
    with write_lock(path):
        return sync_sample_index(rag)


@st.cache_resource(show_spinner=False, max_entries=2)
def generator_for(spec: GeneratorSpec) -> Generator:
    """Build (not load) the generator; at most two stay cached, since each holds a model in memory."""
    return generator_from_settings(Settings(
        backend=spec.backend, model=spec.model, base_url=spec.base_url, api_key_env=spec.api_key_env,
        threads=spec.threads or None, context_window=spec.context_window or None))


class Warmup:
    """A model loading in a background thread; ``error`` holds a readable message if it failed."""

    def __init__(self, target: object, what: str, then: Callable[[], None] | None = None) -> None:
        self.what = what
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(target, then), name=f"warm-up {what}", daemon=True)
        self._thread.start()

    def _run(self, target: object, then: Callable[[], None] | None) -> None:
        try:
            target.warm_up()  # type: ignore[attr-defined]
        except Exception as exc:  # reported on the page when the user asks, not raised in a thread
            self.error = readable(exc, f"load {self.what}")
            return
        if then is not None:
            with contextlib.suppress(Exception):  # an optimisation: the first answer reports real errors itself
                then()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loaded (or failed); ``True`` when finished."""
        self._thread.join(timeout)
        return self.done

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


@st.cache_resource(show_spinner=False, max_entries=4)
def warm_generator(_generator: Generator, key: str, _prime: Callable[[], None] | None = None) -> Warmup:
    """Start loading a generator in the background, once per ``key``, then run ``_prime`` (reading the
    fixed start of the answer prompt into llama.cpp's cache, so the first question waits only for its
    own sources: 15 s -> ~3 s on 2 cores). Answers wait for the whole warm-up: one model, one thread."""
    return Warmup(_generator, f"the language model ({key})", _prime)


@st.cache_resource(show_spinner=False)
def warm_embedder(_rag: RAG, path: str) -> Warmup:
    """Start loading the index's embedder in the background, once per index."""
    return Warmup(_rag, "the embedder")
