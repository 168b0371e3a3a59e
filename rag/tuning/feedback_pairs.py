"""Training pairs straight from the feedback stored in an index folder (``ragloom tune embedder --feedback``).

The records are read exactly as ``ragloom eval export --feedback`` reads them
(``rag.evaluation.feedback_set.feedback_items``: same choices, chunk ids brought up to date with
the index by their text), so what a tune learns from is what the exported set would score:

- positives: the sources marked relevant, and the sources a thumbs-up answer cited (a source
  marked not relevant never is one);
- marked negatives: the sources marked not relevant, trained on alongside the mined hard negatives;
- a correction: the chunks that contain the corrected answer (matched as ``eval qa`` matches it),
  looked for first among the answer's own sources (the retriever found them, the model missed
  the fact), else among the index's best hits for the question plus the correction; at most
  ``MAX_CORRECTION_CHUNKS``. A correction no chunk contains gives no pair: there is nothing to
  pull closer to the question.

The retrieval query of a record (a follow-up's standalone rewrite) is the training query: it is
what the embedder sees when the question is asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.core.errors import RagloomError
from rag.core.types import Chunk
from rag.evaluation.answer_metrics import fact_found
from rag.evaluation.feedback_set import ChunkRef, ChunkResolver, FeedbackItem, feedback_items, resolve_chunks
from rag.feedback import FeedbackRecord
from rag.tuning.pairs import Judgment, TrainingData, pairs_from_judgments

if TYPE_CHECKING:
    from rag.api import RAG

MAX_CORRECTION_CHUNKS = 2
CORRECTION_SEARCH_DEPTH = 20  # hits of "question + correction" searched for a chunk holding the correction


@dataclass
class FeedbackPairsReport:
    records: int = 0
    questions: int = 0  # records that gave at least one positive
    corrections: int = 0  # corrections found in a chunk (each gave a positive)
    corrections_missing: int = 0  # corrections no chunk holds
    gone: int = 0  # marked chunks no longer in the index

    def summary(self) -> str:
        parts = [f"{self.questions} of {self.records} feedback records give a relevant chunk"]
        if self.corrections or self.corrections_missing:
            parts.append(f"{self.corrections} corrections found in a chunk, {self.corrections_missing} not")
        if self.gone:
            parts.append(f"{self.gone} marked chunks no longer in the index")
        return ", ".join(parts)


def pairs_from_feedback(rag: RAG) -> tuple[TrainingData, FeedbackPairsReport]:
    """Training data from the feedback in ``rag``'s index folder (see the module docstring)."""
    records = rag.feedback_store.list()
    if not records:
        raise RagloomError(f"no feedback in {rag.path} yet: rate answers in `ragloom ui --index {rag.path}` "
                           "or with `ragloom feedback record`")
    resolver = ChunkResolver(rag.chunks, rag.chunk_ids)
    exported = feedback_items(records, resolver)
    by_item = {f"fb-{record.id}": record for record in records}
    report = FeedbackPairsReport(records=len(records), gone=exported.gone)
    judgments: list[Judgment] = []
    for item in exported.items:
        relevant = _texts(rag, item.relevant)
        not_relevant = _texts(rag, item.not_relevant)
        if item.answer:
            found = correction_chunks(rag, by_item[item.id], item, resolver)
            report.corrections += bool(found)
            report.corrections_missing += not found
            relevant += [c.text for c in found if c.text not in relevant and c.text not in not_relevant]
        if relevant:
            report.questions += 1
            judgments.append((item.query, relevant, not_relevant))
    data = pairs_from_judgments(judgments, f"the feedback in {rag.path} ({report.summary()})")
    return data, report


def correction_chunks(rag: RAG, record: FeedbackRecord, item: FeedbackItem, resolver: ChunkResolver) -> list[Chunk]:
    """Up to ``MAX_CORRECTION_CHUNKS`` current chunks containing ``item.answer``, best first (none: ``[]``)."""
    correction = item.answer or ""
    excluded = {ref.chunk_id for ref in item.not_relevant}
    own = [ChunkRef(s.chunk_id, s.document_id, s.text_sha256) for s in record.sources
           if s.from_index and s.relevant is not False]
    refs, _, _ = resolve_chunks(own, resolver)
    found = [c for c in rag.chunks([r.chunk_id for r in refs])
             if c.id not in excluded and fact_found(c.text, [correction])]
    if not found:
        hits = rag.search(f"{item.query} {correction}", k=CORRECTION_SEARCH_DEPTH, min_score=-1.0)
        found = [h.chunk for h in hits if h.chunk.id not in excluded and fact_found(h.chunk.text, [correction])]
    unique: dict[str, Chunk] = {}
    for chunk in found:
        unique.setdefault(chunk.text, chunk)
    return list(unique.values())[:MAX_CORRECTION_CHUNKS]


def _texts(rag: RAG, refs: Sequence[ChunkRef]) -> list[str]:
    return [c.text for c in rag.chunks([r.chunk_id for r in refs])]
