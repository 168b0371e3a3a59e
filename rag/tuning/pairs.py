"""Training pairs for fine-tuning the embedder, from three sources.

- ``--pairs FILE``: JSON Lines, ``{"query": …, "positive": …, "negative"?: …}`` per line.
- ``--beir DIR --split train``: a BEIR folder; every judged (query, document) with grade > 0 is a pair,
  and the corpus is where hard negatives are mined.
- ``--eval-set FILE --index DIR``: an evaluation set exported from feedback (``ragloom eval export``):
  ``{"question"|"query": …, "relevant": [{"chunk_id": …, "text_sha256"?: …}], "not_relevant"?: [...]}``;
  the chunk texts come from the index. A chunk marked not relevant is one of that query's marked
  negatives, trained on alongside the mined ones (``TrainingData.negatives``).
- ``--feedback --index DIR``: the feedback store itself (``rag.tuning.feedback_pairs``), read the way
  ``ragloom eval export --feedback`` reads it.

A pair's ``group`` is its query's identity: validation holds out whole queries, and a batch never
holds two pairs of one query (their positives would count as each other's negatives).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.core.errors import ConfigError
from rag.core.types import Chunk


@dataclass(frozen=True)
class TrainingPair:
    query: str
    positive: str
    negative: str | None = None  # an explicit negative (given or marked); otherwise one is mined
    group: str = ""  # the query's identity (defaults to its text)

    @property
    def key(self) -> str:
        return self.group or self.query


@dataclass
class TrainingData:
    pairs: list[TrainingPair]
    corpus: list[str] | None = None  # texts to mine negatives from (None: the pairs' own passages or an index)
    source: str = ""
    positive_ids: dict[str, set[str]] = field(default_factory=dict)  # query key -> its positive document ids
    negatives: dict[str, list[str]] = field(default_factory=dict)  # query key -> passages a user marked not relevant


# (query, relevant passages, passages marked not relevant) for one judged question
Judgment = tuple[str, Sequence[str], Sequence[str]]


def pairs_from_judgments(judgments: Iterable[Judgment], source: str) -> TrainingData:
    """One pair per (query, relevant passage), each once; marked passages become the query's marked negatives
    (never one of its own positives)."""
    pairs: dict[tuple[str, str], TrainingPair] = {}
    negatives: dict[str, list[str]] = {}
    positives: dict[str, set[str]] = {}
    for query, relevant, not_relevant in judgments:
        for text in relevant:
            pairs.setdefault((query, text), TrainingPair(query, text))
            positives.setdefault(query, set()).add(text)
        for text in not_relevant:
            if text not in negatives.setdefault(query, []):
                negatives[query].append(text)
    marked = {q: [t for t in texts if t not in positives.get(q, ())] for q, texts in negatives.items()}
    return TrainingData(list(pairs.values()), None, source, negatives={q: t for q, t in marked.items() if t})


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise ConfigError(f"no file at {path}")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ConfigError(f"{path} line {number} is not JSON") from None
            if not isinstance(record, dict):
                raise ConfigError(f"{path} line {number} is not a JSON object")
            yield number, record


def _text(record: dict[str, Any], key: str, path: Path, number: int, required: bool = True) -> str | None:
    value = record.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path} line {number}: {key!r} must be a non-empty string")
    return value.strip()


def read_pairs(path: str | Path) -> TrainingData:
    """``{"query", "positive", "negative"?}`` per line; the passages themselves are the mining corpus."""
    path = Path(path)
    pairs = []
    for number, record in _lines(path):
        query = _text(record, "query", path, number)
        positive = _text(record, "positive", path, number)
        negative = _text(record, "negative", path, number, required=False)
        assert query is not None and positive is not None
        pairs.append(TrainingPair(query, positive, negative))
    return TrainingData(pairs, None, f"pairs {path}")


def pairs_from_beir(folder: str | Path, split: str = "train") -> TrainingData:
    """Judged pairs of one split; the whole corpus is the mining corpus."""
    from rag.evaluation.beir import load_beir

    dataset = load_beir(folder, split)
    pairs, positive_ids = [], {}
    for q, judged in dataset.qrels.items():
        for d, grade in judged.items():
            if grade > 0 and d in dataset.corpus:
                pairs.append(TrainingPair(dataset.queries[q], dataset.corpus[d].text, None, q))
                positive_ids.setdefault(q, set()).add(d)
    return TrainingData(pairs, [doc.text for doc in dataset.corpus.values()], f"beir {folder} ({split})",
                        positive_ids)


def pairs_from_eval_set(path: str | Path, get_chunks: Callable[[Sequence[int]], list[Chunk]]) -> TrainingData:
    """Pairs from an exported evaluation set; chunk texts are looked up with ``get_chunks`` (the index).

    A reference whose chunk is gone, or whose text changed since (its ``text_sha256`` no longer
    matches), is left out: training on a passage the user never judged would teach the wrong thing.
    """
    path = Path(path)
    items: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = []
    for number, record in _lines(path):
        query = record.get("query") or record.get("question")
        if not isinstance(query, str) or not query.strip():
            raise ConfigError(f"{path} line {number}: needs a 'question' or 'query' string")
        relevant, not_relevant = record.get("relevant", []), record.get("not_relevant", [])
        if not isinstance(relevant, list) or not isinstance(not_relevant, list):
            raise ConfigError(f"{path} line {number}: 'relevant' and 'not_relevant' must be lists")
        items.append((query.strip(), relevant, not_relevant))
    wanted = [ref["chunk_id"] for _, rel, bad in items for ref in [*rel, *bad]
              if isinstance(ref, dict) and isinstance(ref.get("chunk_id"), int)]
    chunks = {chunk.id: chunk for chunk in get_chunks(wanted)} if wanted else {}

    def texts(refs: list[Any]) -> list[str]:
        found = []
        for ref in refs:
            chunk = chunks.get(ref.get("chunk_id")) if isinstance(ref, dict) else None
            digest = ref.get("text_sha256") if isinstance(ref, dict) else None
            if chunk is not None and (not digest or hashlib.sha256(chunk.text.encode()).hexdigest() == digest):
                found.append(chunk.text)
        return found

    return pairs_from_judgments(((query, texts(relevant), texts(not_relevant)) for query, relevant, not_relevant
                                 in items), f"evaluation set {path}")
