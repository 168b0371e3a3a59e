"""Reading BEIR-format data sets: ``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv`` (plain or .gz)."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rag.core.errors import ConfigError
from rag.core.types import Document


@dataclass(frozen=True)
class BeirDataset:
    corpus: dict[str, Document]
    queries: dict[str, str]  # only queries that have judgments in the split
    qrels: dict[str, dict[str, int]]  # query id -> document id -> relevance grade


def _open(folder: Path, name: str) -> IO[str]:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            if candidate.suffix == ".gz":
                return gzip.open(candidate, "rt", encoding="utf-8")
            return candidate.open(encoding="utf-8")
    raise ConfigError(f"{folder} has no {name} (or {name}.gz); is it a BEIR-format folder?")


def _jsonl(folder: Path, name: str) -> Iterator[dict]:
    with _open(folder, name) as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:
                    raise ConfigError(f"{folder / name} line {number} is not JSON") from None


def corpus_document(record: dict) -> Document:
    """BEIR convention: the text embedded is title + " " + text."""
    title = (record.get("title") or "").strip()
    text = (record.get("text") or "").strip()
    return Document(str(record["_id"]), f"{title} {text}".strip(), {"title": title} if title else {})


def load_beir(folder: str | Path, split: str = "test") -> BeirDataset:
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"no BEIR folder at {folder}")
    qrels: dict[str, dict[str, int]] = {}
    with _open(folder / "qrels", f"{split}.tsv") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or not row[2].lstrip("-").isdigit():
                continue  # the header line
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    queries = {str(q["_id"]): q["text"] for q in _jsonl(folder, "queries.jsonl") if str(q["_id"]) in qrels}
    corpus = {}
    for record in _jsonl(folder, "corpus.jsonl"):
        document = corpus_document(record)
        corpus[document.source_id] = document
    missing = set(qrels) - set(queries)
    if missing:
        raise ConfigError(f"{len(missing)} judged queries are missing from queries.jsonl (e.g. {sorted(missing)[0]})")
    return BeirDataset(corpus=corpus, queries=queries, qrels={q: qrels[q] for q in queries})
