"""Keyword (BM25) search over the chunk store, with SQLite's FTS5.

FTS5 lives in the same SQLite file as the chunks and is kept in step by triggers, so it follows
every upsert, delete and sync inside the same transaction as the chunks (and is crash-safe the
same way). Ranking is FTS5's ``bm25()`` (k1 = 1.2, b = 0.75) over Porter-stemmed, diacritic-free
tokens. Queries are bags of words: terms are OR-ed, after dropping Lucene's English stop words
(the set Anserini's BM25 baseline uses), so a question need not match every word.
"""

from __future__ import annotations

import re

# Lucene's EnglishAnalyzer stop set.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was",
    "will", "with",
})
# FTS5's unicode61 tokenizer keeps letters and digits and splits on everything else (underscore included).
_TOKEN = re.compile(r"[^\W_]+")

FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_fts_insert AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""


def query_terms(text: str) -> list[str]:
    """Distinct query terms in order, stop words dropped (all of them kept if nothing else is left)."""
    tokens = list(dict.fromkeys(_TOKEN.findall(text.lower())))
    kept = [t for t in tokens if t not in STOP_WORDS]
    return kept or tokens


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression OR-ing the quoted terms, or ``None`` when the text has no terms."""
    terms = query_terms(text)
    return " OR ".join(f'"{t}"' for t in terms) if terms else None
