"""A folder of real mixed-format files made from SciFact abstracts, and the way back from a chunk to its abstract.

Runs in ragloom's venv (``fpdf2`` and ``python-docx`` write the PDF and Word files). Nothing is copied
into the repo: the folder goes to a temporary directory the caller owns.

* ``choose(docs, queries, seed)``: which abstracts and which SciFact test claims. The relevant abstracts of
  the first claims (seeded order) come first, at most half the corpus, so most queries have their answer in
  the folder; the rest of the corpus is random other abstracts (distractors).
* ``write_corpus(records, folder, seed)``: the files. Each format holds abstracts the way such files
  usually do: one per .txt/.html file, several per .md (sections), .pdf (a page or more each) and .docx
  (headings), many per .csv (rows id,title,text) and .json/.jsonl (records id,title,text).
* ``SourceMap``: maps any chunk text, from either system, back to the SciFact id of the abstract most of its
  words come from (word 6-grams), so results are compared per source abstract whatever the chunking was.
"""

from __future__ import annotations

import csv
import html
import json
import random
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.common import SHARED

SCIFACT = SHARED / "scifact"
SHINGLE = 6  # words: long enough to be unique to one abstract, short enough to survive PDF line breaks
# (format, share of the abstracts, abstracts per file, subfolder): the subfolders make the walk recursive
FORMATS: tuple[tuple[str, float, int, str], ...] = (
    ("txt", 0.15, 1, "notes"),
    ("md", 0.15, 4, "notes"),
    ("html", 0.15, 1, "web"),
    ("pdf", 0.15, 4, "reports"),
    ("docx", 0.15, 4, "reports"),
    ("csv", 0.10, 25, "data"),
    ("json", 0.075, 20, "data"),
    ("jsonl", 0.075, 20, "data"),
)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Unicode; else Helvetica with latin-1 text


def load_scifact() -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, set[str]]]:
    """Corpus records by id, test claims by id (only judged ones, in file order) and their relevant ids."""
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as handle:
        corpus = {str(r["_id"]): r for r in map(json.loads, handle)}
    qrels: dict[str, set[str]] = {}
    with open(SCIFACT / "qrels" / "test.tsv", encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) >= 3 and row[2].isdigit() and int(row[2]) > 0:
                qrels.setdefault(row[0], set()).add(row[1])
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as handle:
        claims = {str(q["_id"]): q["text"] for q in map(json.loads, handle) if str(q["_id"]) in qrels}
    return corpus, claims, qrels


def choose(docs: int, queries: int, seed: int = 0) -> dict[str, Any]:
    """The abstracts (list of records) and queries ({id, text, relevant}) of one corpus of ``docs`` abstracts."""
    corpus, claims, qrels = load_scifact()
    rng = random.Random(seed)
    claim_ids = sorted(claims, key=int)
    rng.shuffle(claim_ids)
    chosen: list[str] = []
    answered: list[str] = []
    for qid in claim_ids:  # whole claims only: a claim with half its answers in the folder would skew nDCG
        needed = [d for d in sorted(qrels[qid]) if d in corpus and d not in chosen]
        if len(answered) >= queries or len(chosen) + len(needed) > docs // 2:
            break
        chosen.extend(needed)
        answered.append(qid)
    others = sorted(set(corpus) - set(chosen), key=int)
    chosen.extend(rng.sample(others, docs - len(chosen)))
    rest = [q for q in claim_ids if q not in answered][: max(0, queries - len(answered))]
    in_corpus = set(chosen)
    selected = [{"id": q, "text": claims[q], "relevant": sorted(qrels[q] & in_corpus)} for q in answered + rest]
    return {"records": [corpus[d] for d in chosen], "queries": selected}


def write_corpus(records: list[dict[str, Any]], folder: Path, seed: int = 0) -> dict[str, Any]:
    """Write the files; returns per-format counts of files and abstracts."""
    order = list(records)
    random.Random(seed + 1).shuffle(order)  # formats get a random mix, not the relevant ones first
    counts: dict[str, dict[str, int]] = {}
    start = 0
    for position, (fmt, share, per_file, sub) in enumerate(FORMATS):
        take = len(order) - start if position == len(FORMATS) - 1 else round(share * len(order))
        group = order[start:start + take]
        start += take
        (folder / sub).mkdir(parents=True, exist_ok=True)
        files = 0
        for number in range(0, len(group), per_file):
            batch = group[number:number + per_file]
            WRITERS[fmt](folder / sub / f"{fmt}-{number // per_file + 1:03d}.{fmt}", batch)
            files += 1
        counts[fmt] = {"files": files, "abstracts": len(group)}
    return {"formats": counts, "files": sum(c["files"] for c in counts.values()), "abstracts": len(order),
            "pdf_font": FONT.name if FONT.is_file() else "Helvetica (latin-1)"}


def _title(record: dict[str, Any]) -> str:
    return (record.get("title") or "").strip()


def _text(record: dict[str, Any]) -> str:
    return (record.get("text") or "").strip()


def _txt(path: Path, batch: list[dict[str, Any]]) -> None:
    path.write_text("\n\n".join(f"{_title(r)}\n\n{_text(r)}" for r in batch) + "\n", encoding="utf-8")


def _md(path: Path, batch: list[dict[str, Any]]) -> None:
    parts = [f"# Reading notes {path.stem}", "", "Abstracts collected for the journal club.", ""]
    for r in batch:
        parts += [f"## {_title(r)}", "", _text(r), ""]
    path.write_text("\n".join(parts), encoding="utf-8")


def _html(path: Path, batch: list[dict[str, Any]]) -> None:
    # the noise a saved web page has: a nav bar, a script, a style sheet, a footer
    r = batch[0]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(_text(r)))
    path.write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(_title(r))}</title>"
        "<style>body{font-family:sans-serif} nav a{margin:0 1em}</style>"
        "<script>window.dataLayer=window.dataLayer||[];function track(e){dataLayer.push({event:e})}"
        "track('page_view');</script></head><body>"
        "<nav><a href='/'>Home</a><a href='/journals'>Journals</a><a href='/about'>About us</a>"
        "<a href='/login'>Sign in</a><a href='/subscribe'>Subscribe to our newsletter</a></nav>"
        f"<main><article><h1>{html.escape(_title(r))}</h1>{body}</article></main>"
        "<footer>Copyright 2024 Example Publishing. All rights reserved. Privacy policy. Cookie settings."
        "</footer></body></html>\n", encoding="utf-8")


def _paragraphs(text: str, sentences: int = 3) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text)
    return [" ".join(parts[i:i + sentences]) for i in range(0, len(parts), sentences)]


def _pdf(path: Path, batch: list[dict[str, Any]]) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    if FONT.is_file():
        pdf.add_font("body", fname=str(FONT))
        family, clean = "body", (lambda s: s)
    else:  # the core fonts are latin-1 only
        family, clean = "Helvetica", (lambda s: s.encode("latin-1", "replace").decode("latin-1"))
    pdf.set_title(f"Report {path.stem}")
    for r in batch:  # each abstract starts a page; the larger font makes long ones run onto a second
        pdf.add_page()
        pdf.set_font(family, size=15)
        pdf.multi_cell(0, 8, clean(_title(r)))
        pdf.ln(4)
        pdf.set_font(family, size=13)
        for paragraph in _paragraphs(_text(r)):
            pdf.multi_cell(0, 7, clean(paragraph))
            pdf.ln(2)
    pdf.output(str(path))


def _docx(path: Path, batch: list[dict[str, Any]]) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = f"Review {path.stem}"
    document.add_heading(f"Review {path.stem}", level=1)
    for r in batch:
        document.add_heading(_title(r), level=2)
        for paragraph in _paragraphs(_text(r)):
            document.add_paragraph(paragraph)
    document.save(str(path))


def _csv(path: Path, batch: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text"])
        writer.writerows([str(r["_id"]), _title(r), _text(r)] for r in batch)


def _json(path: Path, batch: list[dict[str, Any]]) -> None:
    records = [{"id": str(r["_id"]), "title": _title(r), "text": _text(r)} for r in batch]
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _jsonl(path: Path, batch: list[dict[str, Any]]) -> None:
    lines = (json.dumps({"id": str(r["_id"]), "title": _title(r), "text": _text(r)}, ensure_ascii=False)
             for r in batch)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


WRITERS = {"txt": _txt, "md": _md, "html": _html, "pdf": _pdf, "docx": _docx, "csv": _csv, "json": _json,
           "jsonl": _jsonl}


def _words(text: str) -> list[str]:
    # letters and digits only: PDF extraction and HTML parsing change spacing, line breaks and symbols
    return re.findall(r"[a-z0-9]+", text.lower())


def _shingles(words: list[str]) -> Iterable[tuple[str, ...]]:
    return (tuple(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1)))


class SourceMap:
    """Chunk text -> SciFact id of the abstract it comes from (``None``: page furniture, no abstract)."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        owners: dict[tuple[str, ...], str | None] = {}
        for r in records:
            for shingle in set(_shingles(_words(f"{_title(r)} {_text(r)}"))):
                # a 6-gram found in two abstracts says nothing about either
                owners[shingle] = None if owners.get(shingle, str(r["_id"])) != str(r["_id"]) else str(r["_id"])
        self._owners = {k: v for k, v in owners.items() if v is not None}

    def source(self, text: str) -> str | None:
        votes = Counter(self._owners[s] for s in _shingles(_words(text)) if s in self._owners)
        return votes.most_common(1)[0][0] if votes else None

    def ranking(self, texts: list[str], k: int = 10) -> tuple[list[str], int]:
        """The first ``k`` distinct source abstracts of ranked chunk texts, and how many of the top ``k``
        chunks come from no abstract."""
        ranked: list[str] = []
        unmapped = 0
        for position, text in enumerate(texts):
            doc = self.source(text)
            if doc is None:
                unmapped += position < k
            elif doc not in ranked and len(ranked) < k:
                ranked.append(doc)
        return ranked, unmapped
