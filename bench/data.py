"""Bench inputs, made once per run in ragloom's venv and handed to every worker as files.

* chunks: SciFact abstracts (title + " " + text) cut by ragloom's chunker with its default
  settings, so every system embeds and indexes the very same chunk texts;
* queries: the SciFact test claims (ids judged in ``qrels/test.tsv``);
* synthetic vectors for the index-only workload: real chunk embeddings (dumped by the ragloom
  ingest worker) plus Gaussian noise, re-normalised, so the collection has the clustered
  structure of real embeddings rather than uniform noise (on which no ANN index is meaningful).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from bench.common import SHARED

SCIFACT = SHARED / "scifact"
NOISE = 0.5  # norm of the noise added to a unit vector before re-normalising


def make_chunks(docs: int | None, target: Path) -> int:
    from rag.chunking import Chunker, ChunkingSettings
    from rag.embeddings import create_embedder
    from rag.evaluation.beir import corpus_document

    embedder = create_embedder()
    chunker = Chunker(ChunkingSettings(), embedder.count_tokens, embedder.max_tokens)
    texts: list[str] = []
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if docs is not None and number >= docs:
                break
            texts.extend(c.text for c in chunker.chunk(corpus_document(json.loads(line))))
    target.write_text(json.dumps(texts), encoding="utf-8")
    return len(texts)


def make_queries(limit: int, target: Path) -> int:
    with open(SCIFACT / "qrels" / "test.tsv", encoding="utf-8") as handle:
        judged = {row[0] for row in csv.reader(handle, delimiter="\t") if len(row) >= 3 and row[2].isdigit()}
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as handle:
        queries = [q["text"] for q in map(json.loads, handle) if str(q["_id"]) in judged]
    target.write_text(json.dumps(queries[:limit]), encoding="utf-8")
    return len(queries[:limit])


def make_vectors(base: np.ndarray, n: int, target: Path, seed: int = 0, block: int = 100_000) -> Path:
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(target, mode="w+", dtype=np.float32, shape=(n, base.shape[1]))
    for start in range(0, n, block):
        size = min(block, n - start)
        rows = base[rng.integers(0, len(base), size)]
        noise = rng.standard_normal((size, base.shape[1]), dtype=np.float32) * (NOISE / np.sqrt(base.shape[1]))
        rows = rows + noise
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out[start:start + size] = rows
    out.flush()
    del out
    return target
