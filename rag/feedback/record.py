"""One piece of user feedback on one answer, as a plain value.

A record is keyed by the answer's id: rating an answer again, or adding a correction later,
changes the one record (``with_feedback``) instead of adding another. It keeps what an
evaluation set needs after the index has changed: the question as asked, the conversation
before it, the retrieval query, the answer text, and for every source the chunk id *and* the
SHA-256 of the chunk text, so a re-ingest that renumbered or rewrote chunks can be detected and
the same text found again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from rag.core.answer import EXTRA_CONTEXT_KEY
from rag.core.errors import ConfigError
from rag.core.secrets import redact, redact_value

RATINGS = ("up", "down", "none")
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")  # user:password@ in a URL (a server base_url, say)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class FeedbackSource:
    """Source ``number`` of the answer (its ``[n]``) and the user's mark: relevant, not relevant or none."""

    number: int
    chunk_id: int
    document_id: str
    text_sha256: str
    title: str = ""
    from_index: bool = True  # False for live-tool or caller context: no chunk to find again
    relevant: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "chunk_id": self.chunk_id, "document_id": self.document_id,
                "text_sha256": self.text_sha256, "title": self.title, "from_index": self.from_index,
                "relevant": self.relevant}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> FeedbackSource:
        relevant = raw.get("relevant")
        return cls(int(raw["number"]), int(raw["chunk_id"]), str(raw["document_id"]), str(raw["text_sha256"]),
                   str(raw.get("title") or ""), bool(raw.get("from_index", True)),
                   None if relevant is None else bool(relevant))


@dataclass(frozen=True)
class FeedbackRecord:
    id: str  # the answer's id
    question: str
    answer: str
    query: str = ""  # the retrieval query (a follow-up's standalone rewrite)
    history: tuple[dict[str, str], ...] = ()
    sources: tuple[FeedbackSource, ...] = ()
    cited: tuple[int, ...] = ()  # source numbers the answer cites
    refused: bool = False
    rating: str = "none"
    correction: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""

    @classmethod
    def from_answer(cls, answer: Any) -> FeedbackRecord:
        """A fresh record (no rating yet) from an ``Answer`` or its ``to_dict()`` form (``ragloom ask --json``)."""
        data = answer if isinstance(answer, Mapping) else answer.to_dict()
        try:
            sources = tuple(_source(raw) for raw in data.get("sources") or ())
            question = str(data.get("question") or data.get("query") or "")
            record = cls(
                id=str(data["id"]), question=question, answer=str(data["text"]),
                query=str(data.get("query") or question),
                history=tuple({"role": str(m["role"]), "content": str(m["content"])}
                              for m in data.get("history") or ()),
                sources=sources, cited=tuple(sorted({int(c["number"]) for c in data.get("citations") or ()})),
                refused=bool(data.get("refused")), settings=dict(data.get("settings") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"not an answer ragloom can take feedback on (missing or bad {exc})") from None
        if not record.id or not record.question.strip():
            raise ConfigError("an answer needs its id and question for feedback (answers made by ragloom have both)")
        return record

    def with_feedback(self, *, rating: str | None = None, correction: str | None = None,
                      relevant: Iterable[int] = (), irrelevant: Iterable[int] = (),
                      unmark: Iterable[int] = ()) -> FeedbackRecord:
        """This record with the given changes; ``None`` / empty leaves a field as it is.

        ``correction=""`` removes a correction; ``relevant`` / ``irrelevant`` / ``unmark`` take source
        numbers (the ``[n]`` of the answer, 1-based).
        """
        if rating is not None and rating not in RATINGS:
            raise ConfigError(f"rating must be one of {', '.join(RATINGS)} (got {rating!r})")
        good, bad, clear = (_numbers(v, len(self.sources), name) for v, name in
                            ((relevant, "relevant"), (irrelevant, "irrelevant"), (unmark, "unmark")))
        if both := (good & bad) | (good & clear) | (bad & clear):
            raise ConfigError(f"source {min(both)} is given two different marks")
        sources = tuple(replace(s, relevant=True if s.number in good else False if s.number in bad
                                else None if s.number in clear else s.relevant) for s in self.sources)
        fixed = self.correction if correction is None else (correction.strip() or None)
        return replace(self, rating=self.rating if rating is None else rating, correction=fixed, sources=sources)

    def scrubbed(self) -> FeedbackRecord:
        """The record with every registered secret masked and URL credentials removed (what gets stored)."""
        def clean(text: str) -> str:
            return _URL_CREDENTIALS.sub("***@", redact(text))

        return replace(
            self, question=clean(self.question), answer=clean(self.answer), query=clean(self.query),
            correction=None if self.correction is None else clean(self.correction),
            history=tuple({"role": m["role"], "content": clean(m["content"])} for m in self.history),
            settings=_clean_value(redact_value(self.settings), clean))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "query": self.query, "history": list(self.history),
                "answer": self.answer, "cited": list(self.cited), "refused": self.refused, "rating": self.rating,
                "correction": self.correction, "sources": [s.as_dict() for s in self.sources],
                "settings": self.settings, "created_at": self.created_at, "updated_at": self.updated_at}


def _source(raw: Mapping[str, Any]) -> FeedbackSource:
    metadata = raw.get("metadata") or {}
    title = str(metadata.get("title") or metadata.get("source") or raw["document_id"])
    from_index = int(raw["chunk_id"]) >= 0 and not metadata.get(EXTRA_CONTEXT_KEY)
    return FeedbackSource(int(raw["number"]), int(raw["chunk_id"]), str(raw["document_id"]),
                          text_sha256(str(raw["text"])), title[:200], from_index)


def _numbers(values: Iterable[int], count: int, name: str) -> set[int]:
    numbers = set()
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= count:
            where = f"1..{count}" if count else "none: the answer has no sources"
            raise ConfigError(f"{name}: {value!r} is not a source number of this answer ({where})")
        numbers.add(value)
    return numbers


def _clean_value(value: Any, clean: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {k: _clean_value(v, clean) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_value(v, clean) for v in value]
    return value
