"""Any LangChain document loader (``langchain_core.document_loaders.BaseLoader``) as a ``Connector``.

LangChain documents carry free-form metadata; ours must be JSON-compatible scalars with a ``source``
and a stable ``source_id``. The id is ``<metadata source>#<n>`` where n counts documents from that
source in load order (a PDF loader's pages, a CSV loader's rows), or ``langchain:<content hash>``
when the loader gives no source, so reruns produce the same ids for the same input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from connectors.dotted import as_scalar
from rag.core.errors import ConnectorError
from rag.core.types import Document, Skipped


class LangChainConnector:
    """Wraps ``loader`` (anything with ``lazy_load()`` yielding LangChain ``Document``s)."""

    def __init__(self, loader: Any, *, name: str | None = None) -> None:
        if not callable(getattr(loader, "lazy_load", None)):
            raise TypeError(f"{type(loader).__name__} is not a LangChain document loader (no lazy_load)")
        self.loader = loader
        self.name = name or type(loader).__name__

    def load(self) -> Iterator[Document | Skipped]:
        counts: dict[str, int] = {}
        try:
            for lc_document in self.loader.lazy_load():
                text = getattr(lc_document, "page_content", "") or ""
                raw_meta = dict(getattr(lc_document, "metadata", {}) or {})
                source = str(raw_meta.get("source") or "")
                if source:
                    index = counts.get(source, 0)
                    counts[source] = index + 1
                    source_id = f"{source}#{index}" if index or _many(raw_meta) else source
                else:
                    source_id = "langchain:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
                if not text.strip():
                    yield Skipped(source_id, "loader returned a document without text")
                    continue
                metadata = {str(k): as_scalar(v) for k, v in raw_meta.items()}
                metadata["source"] = source or f"langchain:{self.name}"
                metadata.setdefault("file_type", "langchain")
                metadata["loader"] = self.name
                if isinstance(raw_meta.get("page"), int) and source.lower().endswith(".pdf"):
                    # LangChain's PDF loaders count pages from 0; ours are 1-based like the page labels
                    metadata["page"] = raw_meta["page"] + 1
                yield Document(source_id=source_id, text=text, metadata=metadata)
        except Exception as exc:  # noqa: BLE001 - a third-party loader may raise anything
            # a loader that dies part way is a failed source, not a short one: say so loudly so a
            # full sync does not delete what the loader never got to
            raise ConnectorError(f"LangChain loader {self.name} failed: {type(exc).__name__}: {exc}") from exc


def _many(metadata: dict[str, Any]) -> bool:
    # loaders that split one source into parts mark them; keep "#0" so the first part's id is stable
    return any(key in metadata for key in ("page", "row", "seq_num", "start_index"))


def from_langchain(loader: Any, *, name: str | None = None) -> LangChainConnector:
    """A ``Connector`` over a LangChain ``BaseLoader``."""
    return LangChainConnector(loader, name=name)


def is_langchain_loader(value: Any) -> bool:
    """True for LangChain loaders, found without importing LangChain (it is slow to import)."""
    return any(cls.__module__.startswith("langchain") and cls.__name__ == "BaseLoader" for cls in type(value).__mro__)
