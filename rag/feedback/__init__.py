"""User feedback on answers (ratings, corrections, source marks), kept in the index folder.

``record_feedback`` is what ``RAG.feedback`` runs; ``rag.evaluation.feedback_set`` turns the
records into an evaluation set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rag.core.errors import RagloomError
from rag.feedback.record import RATINGS, FeedbackRecord, FeedbackSource, text_sha256
from rag.feedback.store import FEEDBACK_FILE, FeedbackStore


def record_feedback(store: FeedbackStore, answer_or_id: Any, *, rating: str | None = None,
                    correction: str | None = None, relevant: Iterable[int] = (), irrelevant: Iterable[int] = (),
                    unmark: Iterable[int] = ()) -> str:
    """Create or update the record of one answer (an ``Answer``, its dict, or a stored id); returns the id."""
    if isinstance(answer_or_id, str):
        fresh = None
        feedback_id = store.resolve(answer_or_id).id
    else:
        fresh = FeedbackRecord.from_answer(answer_or_id)
        feedback_id = fresh.id

    def change(current: FeedbackRecord | None) -> FeedbackRecord:
        base = current or fresh
        if base is None:  # deleted meanwhile
            raise RagloomError(f"no feedback {feedback_id!r} any more")
        return base.with_feedback(rating=rating, correction=correction, relevant=relevant, irrelevant=irrelevant,
                                  unmark=unmark)

    return store.update(feedback_id, change).id


__all__ = ["FEEDBACK_FILE", "RATINGS", "FeedbackRecord", "FeedbackSource", "FeedbackStore", "record_feedback",
           "text_sha256"]
