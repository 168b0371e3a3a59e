"""Hard negatives: passages the *current* model ranks near a query that are not its positives.

In-batch negatives alone are mostly easy (random other passages); a mined negative is one the
model confuses today, which is what fine-tuning has to fix. The first ``skip`` non-positive hits
are passed over: in judged sets with sparse labels (SciFact judges ~1 document per query) the very
top unjudged hits are often relevant too, and training them away would hurt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.core.protocols import Embedder
from rag.tuning.pairs import TrainingPair

# ranked (id, text) hits for each query; an id may be a document id (index) or a corpus position
Search = Callable[[Sequence[str], int], list[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Candidates:
    """Per query key: mined negatives, best-ranked first (the ranking is the current model's), and the
    passages a user marked not relevant (``marked``: hard negatives by the user's own judgment)."""

    by_key: dict[str, list[str]]
    marked: dict[str, list[str]] = field(default_factory=dict)

    def of(self, pair: TrainingPair) -> list[str]:
        return self.by_key.get(pair.key, [])

    def marked_of(self, pair: TrainingPair) -> list[str]:
        return self.marked.get(pair.key, [])

    def with_marked(self, marked: dict[str, list[str]]) -> Candidates:
        """These candidates plus ``marked`` negatives (taken out of the mined lists, so never counted twice)."""
        if not marked:
            return self
        by_key = {key: [t for t in texts if t not in marked.get(key, ())] for key, texts in self.by_key.items()}
        return Candidates(by_key, {key: list(texts) for key, texts in marked.items() if texts})


def corpus_search(embedder: Embedder, texts: Sequence[str], progress: bool = False) -> Search:
    """Exact cosine search over ``texts`` embedded once with ``embedder``."""
    unique = list(dict.fromkeys(texts))
    matrix = embedder.embed_documents(unique, progress=progress) if unique else np.zeros((0, 1), np.float32)

    def search(queries: Sequence[str], k: int) -> list[list[tuple[str, str]]]:
        if not unique:
            return [[] for _ in queries]
        vectors = embedder.embed_documents(list(queries))
        scores = vectors @ matrix.T
        k = min(k, len(unique))
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        out = []
        for row, picks in zip(scores, top, strict=True):
            ranked = picks[np.argsort(-row[picks])]
            out.append([(str(i), unique[i]) for i in ranked])
        return out

    return search


def index_search(search_many: Callable[..., list]) -> Search:
    """Dense search of an index (``RAG.search_many``); hit ids are document ids."""

    def search(queries: Sequence[str], k: int) -> list[list[tuple[str, str]]]:
        hits = search_many(list(queries), k, mode="dense")
        return [[(h.chunk.document_id, h.chunk.text) for h in per_query] for per_query in hits]

    return search


def mine_negatives(pairs: Sequence[TrainingPair], search: Search, depth: int = 30, skip: int = 2,
                   positive_ids: dict[str, set[str]] | None = None) -> Candidates:
    """For each query: its ranked non-positive hits, from rank ``skip`` to ``depth`` among them.

    A hit is a positive when its text is one of the query's positives, or (``positive_ids``) its id
    is one of the query's positive document ids: a chunk of a positive document is no negative.
    """
    positives: dict[str, set[str]] = {}
    queries: dict[str, str] = {}
    for pair in pairs:
        positives.setdefault(pair.key, set()).add(pair.positive)
        queries.setdefault(pair.key, pair.query)
    keys = list(queries)
    wanted = skip + depth + max((len(p) for p in positives.values()), default=0) + 5
    found: dict[str, list[str]] = {}
    for start in range(0, len(keys), 256):
        batch = keys[start:start + 256]
        for key, hits in zip(batch, search([queries[k] for k in batch], wanted), strict=True):
            ids = (positive_ids or {}).get(key, set())
            seen: set[str] = set()
            negatives = []
            for hit_id, text in hits:
                if text in positives[key] or hit_id in ids or text in seen:
                    continue
                seen.add(text)
                negatives.append(text)
            found[key] = negatives[skip:skip + depth]
    return Candidates(found)
