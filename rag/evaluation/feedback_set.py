"""Evaluation sets made from user feedback (``ragloom eval export --feedback``), and reading them back.

One JSON object per line, a superset of the docs-chat format (``rag.evaluation.docs_chat``)::

    {"set": "ragloom-feedback/1", "id": "fb-3f2a…", "kind": "corrected", "question": "…",
     "history": [...], "query": "…", "answer": "30 days", "facts": [["30 days"]],
     "relevant": [{"chunk_id": 12, "document_id": "docs/a.md", "text_sha256": "…"}],
     "not_relevant": [...]}

What becomes what (the choices, and why):

- ``relevant`` (retrieval judgments): sources the user marked relevant, plus the sources a
  thumbs-up answer cited; a source marked not relevant is never relevant. The sources a
  thumbs-down answer cited are *not* assumed relevant: the answer was wrong.
- gold answer (``answer`` and ``facts``): the user's correction only. A thumbs-up answer's own text
  is not made gold: scoring the model against its own earlier wording rewards repeating itself,
  and a thumbs-up says "good enough", not "the reference answer". ``eval qa`` checks that a reply
  contains the correction (normalised; so a short correction, the fact itself, works best) and
  reports token F1 against it.
- a thumbs-up on an answer that declined ("not in the documents") becomes an off-topic item
  (``facts: []``): the user confirmed the documents do not answer it, so it must be declined.
- everything else (no rating, a thumbs-down without correction, a thumbs-up on an answer) is a
  retrieval-only item (``kind`` ``retrieval``) when it has relevant chunks, and left out otherwise.

Chunk ids shift when a changed document is re-ingested; every chunk reference carries the SHA-256
of its text, and ``resolve_chunks`` finds the chunk holding that text in the current index (or
reports it gone).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.core.errors import ConfigError
from rag.core.types import Chunk, Message
from rag.evaluation.answer_metrics import declined
from rag.evaluation.docs_chat import EvalItem
from rag.evaluation.jsonl import read_items
from rag.feedback import FeedbackRecord, text_sha256

SET_FORMAT = "ragloom-feedback/1"


@dataclass(frozen=True)
class ChunkRef:
    chunk_id: int
    document_id: str
    text_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"chunk_id": self.chunk_id, "document_id": self.document_id, "text_sha256": self.text_sha256}


@dataclass(frozen=True)
class FeedbackItem:
    id: str
    kind: str  # corrected | offtopic | retrieval
    question: str
    query: str
    history: tuple[Message, ...] = ()
    answer: str | None = None  # the gold answer (a correction)
    offtopic: bool = False
    relevant: tuple[ChunkRef, ...] = ()
    not_relevant: tuple[ChunkRef, ...] = ()

    @property
    def for_qa(self) -> bool:
        return self.answer is not None or self.offtopic

    def eval_item(self) -> EvalItem:
        """The item as ``eval qa`` scores it: the correction is the one gold fact (none: must decline)."""
        facts = ((self.answer,),) if self.answer else ()
        return EvalItem(self.question, facts, (), self.history, self.kind, self.id)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"set": SET_FORMAT, "id": self.id, "kind": self.kind, "question": self.question,
                               "history": [dict(m) for m in self.history], "query": self.query}
        if self.for_qa:
            out["facts"] = [[self.answer]] if self.answer else []
        if self.answer:
            out["answer"] = self.answer
        out["relevant"] = [r.as_dict() for r in self.relevant]
        out["not_relevant"] = [r.as_dict() for r in self.not_relevant]
        return out


@dataclass
class ExportReport:
    items: list[FeedbackItem] = field(default_factory=list)
    records: int = 0
    skipped: int = 0  # records that give neither a gold answer nor a relevant chunk
    remapped: int = 0  # chunk references whose id changed since the feedback (found by their text)
    gone: int = 0  # chunk references whose text is no longer in the index (left out)

    def summary(self) -> str:
        kinds = {k: sum(i.kind == k for i in self.items) for k in ("corrected", "offtopic", "retrieval")}
        parts = [f"{len(self.items)} items from {self.records} feedback records "
                 f"({kinds['corrected']} with a corrected answer, {kinds['offtopic']} to be declined, "
                 f"{kinds['retrieval']} retrieval-only)"]
        if self.skipped:
            parts.append(f"{self.skipped} records left out (no correction and no relevant source)")
        if self.remapped:
            parts.append(f"{self.remapped} chunk ids updated to the current index")
        if self.gone:
            parts.append(f"{self.gone} marked chunks no longer in the index, left out")
        return "; ".join(parts)


def item_from_record(record: FeedbackRecord) -> FeedbackItem | None:
    """The evaluation item a feedback record gives, or ``None`` when it gives nothing to evaluate."""
    marked_bad = {s.number for s in record.sources if s.relevant is False}
    good = {s.number for s in record.sources if s.relevant}
    if record.rating == "up":
        good |= set(record.cited) - marked_bad
    usable = {s.number: s for s in record.sources if s.from_index}
    relevant = tuple(_ref(usable[n]) for n in sorted(good) if n in usable)
    not_relevant = tuple(_ref(usable[n]) for n in sorted(marked_bad) if n in usable)
    history = tuple(Message(role=m["role"], content=m["content"]) for m in record.history)
    common = {"id": f"fb-{record.id}", "question": record.question, "query": record.query or record.question,
              "history": history, "relevant": relevant, "not_relevant": not_relevant}
    if record.correction:
        return FeedbackItem(kind="corrected", answer=record.correction, **common)
    if record.rating == "up" and declined(record.answer, record.refused):
        return FeedbackItem(kind="offtopic", offtopic=True, **common)
    if relevant:
        return FeedbackItem(kind="retrieval", **common)
    return None


def _ref(source: Any) -> ChunkRef:
    return ChunkRef(source.chunk_id, source.document_id, source.text_sha256)


ChunkLookup = Callable[[Sequence[int]], list[Chunk]]


class ChunkResolver:
    """Finds the current chunk of a reference: same id and same text, else any chunk with that text."""

    def __init__(self, get_chunks: ChunkLookup, all_ids: Callable[[], Sequence[int]]) -> None:
        self._get = get_chunks
        self._all_ids = all_ids
        self._by_hash: dict[str, int] | None = None

    def resolve(self, ref: ChunkRef) -> int | None:
        found = self._get([ref.chunk_id])
        if found and text_sha256(found[0].text) == ref.text_sha256:
            return ref.chunk_id
        if self._by_hash is None:  # built once, only when some chunk moved
            ids = list(self._all_ids())
            self._by_hash = {}
            for start in range(0, len(ids), 2048):
                for chunk in self._get(ids[start:start + 2048]):
                    self._by_hash.setdefault(text_sha256(chunk.text), chunk.id)
        return self._by_hash.get(ref.text_sha256)


def resolve_chunks(refs: Iterable[ChunkRef], resolver: ChunkResolver) -> tuple[list[ChunkRef], int, int]:
    """References pointing at the current chunk ids; (refs, how many moved, how many are gone)."""
    out, moved, gone = [], 0, 0
    for ref in refs:
        current = resolver.resolve(ref)
        if current is None:
            gone += 1
        else:
            moved += current != ref.chunk_id
            out.append(ChunkRef(current, ref.document_id, ref.text_sha256))
    return out, moved, gone


def feedback_items(records: Sequence[FeedbackRecord], resolver: ChunkResolver | None = None) -> ExportReport:
    """The items the records give (``report.items``), with chunk ids brought up to date with the current index
    when a ``resolver`` is given. What ``export_feedback`` writes and ``ragloom tune embedder --feedback`` trains on.
    """
    report = ExportReport(records=len(records))
    for record in records:
        item = item_from_record(record)
        if item is not None and resolver is not None:
            relevant, moved, gone = resolve_chunks(item.relevant, resolver)
            not_relevant, moved2, gone2 = resolve_chunks(item.not_relevant, resolver)
            report.remapped += moved + moved2
            report.gone += gone + gone2
            item = FeedbackItem(item.id, item.kind, item.question, item.query, item.history, item.answer,
                                item.offtopic, tuple(relevant), tuple(not_relevant))
            if not item.for_qa and not item.relevant:
                item = None
        if item is None:
            report.skipped += 1
        else:
            report.items.append(item)
    return report


def export_feedback(records: Sequence[FeedbackRecord], out: str | Path,
                    resolver: ChunkResolver | None = None) -> ExportReport:
    """Write the evaluation set to ``out`` (atomically: a complete file or the old one; nothing when no record
    gives an item); with a ``resolver`` chunk ids are brought up to date with the current index."""
    report = feedback_items(records, resolver)
    if report.items:  # nothing to evaluate: no file (an empty set would only fail later)
        _write_atomically(Path(out), "".join(json.dumps(i.as_dict(), ensure_ascii=False) + "\n"
                                             for i in report.items))
    return report


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def is_feedback_set(path: str | Path) -> bool:
    """Whether ``path`` is a JSONL file written by ``ragloom eval export --feedback``."""
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    return json.loads(line).get("set") == SET_FORMAT
    except (OSError, ValueError, AttributeError):
        return False
    return False


def read_feedback_set(path: str | Path, limit: int | None = None) -> list[FeedbackItem]:
    if not Path(path).is_file():
        raise ConfigError(f"{path}: no such evaluation set")
    return read_items(path, _item, "a feedback evaluation item", limit)


def _item(raw: dict[str, Any]) -> FeedbackItem:
    if raw.get("set") != SET_FORMAT:
        raise ValueError(f"'set' must be {SET_FORMAT!r}")
    question = raw["question"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    facts = raw.get("facts")
    answer = raw.get("answer")
    if answer is not None and (not isinstance(answer, str) or not answer.strip()):
        raise ValueError("'answer' must be a non-empty string")
    history = tuple(Message(role=m["role"], content=m["content"]) for m in raw.get("history") or ()
                    if m["role"] in ("user", "assistant"))
    return FeedbackItem(
        id=str(raw.get("id", "")), kind=str(raw.get("kind", "")), question=question.strip(),
        query=str(raw.get("query") or question).strip(), history=history, answer=answer,
        offtopic=facts == [] and answer is None,
        relevant=tuple(_chunk_ref(r) for r in raw.get("relevant") or ()),
        not_relevant=tuple(_chunk_ref(r) for r in raw.get("not_relevant") or ()))


def _chunk_ref(raw: dict[str, Any]) -> ChunkRef:
    return ChunkRef(int(raw["chunk_id"]), str(raw.get("document_id", "")), str(raw["text_sha256"]))
