"""ragloom: offline-first retrieval-augmented generation.

    from rag import RAG

The public names load lazily, so importing a small module (``rag.core``)
never pulls in the models, FAISS or the index backends.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "RAG": "rag.api",
    "AskOptions": "rag.core.options",
    "IngestReport": "rag.ingest",
    "SyncMode": "rag.ingest",
    "Chunk": "rag.core.types",
    "Document": "rag.core.types",
    "ScoredChunk": "rag.core.types",
    "Skipped": "rag.core.types",
    # What front ends (the UI, the service) need besides RAG: they import from ``rag`` only.
    "Message": "rag.core.types",
    "Filter": "rag.core.types",
    "Answer": "rag.core.answer",
    "Citation": "rag.core.answer",
    "strip_citations": "rag.core.answer",
    "page_location": "rag.core.locations",
    "PageLocation": "rag.core.locations",
    "SamplingParams": "rag.core.sampling",
    "Generator": "rag.core.protocols",
    "Embedder": "rag.core.protocols",
    "Index": "rag.core.protocols",
    "RagloomError": "rag.core.errors",
    "ConfigError": "rag.core.errors",
    "ConnectorError": "rag.core.errors",
    "FilterError": "rag.core.errors",
    "IndexCorruptError": "rag.core.errors",
    "IndexMismatchError": "rag.core.errors",
    "BackendMissingError": "rag.core.errors",
    "UnsupportedCapabilityError": "rag.core.errors",
    "Settings": "rag.config",
    "load_settings": "rag.config",
    "cache_dir": "rag.config",
    "DEFAULT_EMBEDDER": "rag.config",
    "TASKS": "rag.prompts.tasks",
    "Example": "rag.prompts.examples",
    "bundled_examples": "rag.prompts.examples",
    "ANSWER_STYLES": "rag.core.options",
    "source_title": "rag.prompts.framing",
    "DEFAULT_MODEL": "rag.generation",
    "BUNDLED_MODELS": "rag.generation.models",
    "create_generator": "rag.generation",
    "generator_from_settings": "rag.generation.from_settings",
    "supported_suffixes": "connectors.formats",
    "ConnectorOptions": "connectors",
    "load_sources": "connectors",
    "parse_cli_filters": "indexes.filters",
    "Explanation": "rag.explain",
}
__all__ = [
    "RAG", "AskOptions", "IngestReport", "SyncMode", "Chunk", "Document", "ScoredChunk", "Skipped", "Message",
    "Filter", "Answer", "Citation", "strip_citations", "SamplingParams", "Generator", "Embedder", "Index",
    "RagloomError", "ConfigError", "ConnectorError", "FilterError", "IndexCorruptError", "IndexMismatchError",
    "BackendMissingError", "UnsupportedCapabilityError", "Settings", "load_settings", "cache_dir",
    "DEFAULT_EMBEDDER", "TASKS", "Example", "bundled_examples", "ANSWER_STYLES", "source_title", "DEFAULT_MODEL",
    "BUNDLED_MODELS", "create_generator", "generator_from_settings", "supported_suffixes",
    "ConnectorOptions", "load_sources", "parse_cli_filters", "Explanation",
    "page_location", "PageLocation",
]

if TYPE_CHECKING:
    from connectors import ConnectorOptions, load_sources
    from connectors.formats import supported_suffixes
    from indexes.filters import parse_cli_filters
    from rag.api import RAG
    from rag.config import DEFAULT_EMBEDDER, Settings, cache_dir, load_settings
    from rag.core.answer import Answer, Citation, strip_citations
    from rag.core.errors import (
        BackendMissingError,
        ConfigError,
        ConnectorError,
        FilterError,
        IndexCorruptError,
        IndexMismatchError,
        RagloomError,
        UnsupportedCapabilityError,
    )
    from rag.core.locations import PageLocation, page_location
    from rag.core.options import ANSWER_STYLES, AskOptions
    from rag.core.protocols import Embedder, Generator, Index
    from rag.core.sampling import SamplingParams
    from rag.core.types import Chunk, Document, Filter, Message, ScoredChunk, Skipped
    from rag.explain import Explanation
    from rag.generation import DEFAULT_MODEL, create_generator
    from rag.generation.from_settings import generator_from_settings
    from rag.generation.models import BUNDLED_MODELS
    from rag.ingest import IngestReport, SyncMode
    from rag.prompts.examples import Example, bundled_examples
    from rag.prompts.framing import source_title
    from rag.prompts.tasks import TASKS


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, _, attribute = _EXPORTS[name].partition(":")  # "module:attribute" when exported under an alias
        return getattr(import_module(module), attribute or name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
