"""Index backends behind one protocol (``rag.core.protocols.Index``), created and opened by kind name.

``create_index(kind, folder, ...)`` / ``open_index(folder)`` (``indexes.factory``) are the way in;
the FAISS kinds live one per module in ``indexes.faiss_kinds``.
"""

from __future__ import annotations

from indexes.factory import create_index, index_kinds, open_index, register_index_kind
from indexes.faiss_index import FaissIndex
from indexes.filters import compile_filter, parse_cli_filters
from indexes.folder import refuse_without_manifest
from indexes.manifest import MANIFEST_NAME
from rag.core.protocols import Index, IndexCapability
from rag.core.types import DocumentRecord, Filter, NewChunk, SearchMode, SearchQuery

__all__ = ["MANIFEST_NAME", "DocumentRecord", "FaissIndex", "Filter", "Index", "IndexCapability", "NewChunk",
           "SearchMode", "SearchQuery", "compile_filter", "create_index", "index_kinds", "open_index",
           "parse_cli_filters", "refuse_without_manifest", "register_index_kind"]
