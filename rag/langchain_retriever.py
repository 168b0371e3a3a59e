"""A ragloom index as a LangChain ``BaseRetriever``, so LangChain chains can use it directly."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class RagloomRetriever(BaseRetriever):
    """Returns LangChain ``Document``s whose metadata carry the cosine ``score``, ``rank`` and chunk id."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    rag: Any
    k: int = 5
    filter: dict[str, Any] | None = None
    min_score: float | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        hits = self.rag.search(query, k=self.k, filter=self.filter, min_score=self.min_score)
        return [
            LCDocument(
                page_content=hit.chunk.text,
                metadata={**hit.chunk.metadata, "score": hit.score, "rank": hit.rank, "chunk_id": hit.chunk.id,
                          "document_id": hit.chunk.document_id},
            )
            for hit in hits
        ]
