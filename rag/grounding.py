"""Honest grounding: does each sentence of an answer have support in the sources it cites?

A small model sometimes writes a fluent sentence that no source says, and cites a source anyway.
After generation the answer is split into claims (sentences; list items, which inherit the
citation of the sentence that introduces the list; a sentence without a citation takes the next
one in its paragraph, since models often cite once at the end). Each claim is compared with the
sources it cites — with every source in the prompt when it cites none:

- lexical: the share of the claim's content words found in the source (exact, or sharing a
  5-letter stem, so "saves"/"saving" match);
- semantic: the best cosine between the claim and the source's sentences and list items, with
  the same embedder that ranked them (no judge model: a few dozen short texts, ~50 ms on CPU);
- exact facts: a number, file name or identifier in the claim that no cited source contains makes
  the claim unsupported, however similar the wording ("temperature 0.9" where the source says 0.7).

``support`` = the mean of the lexical and semantic scores for the best cited source; a claim is
supported when ``support >= threshold`` and no exact fact is missing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.core.answer import Claim, cited_numbers, strip_citations
from rag.core.protocols import Embedder
from rag.core.types import ScoredChunk
from rag.prompts.focus import content_words, split_units

DEFAULT_THRESHOLD = 0.5
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
# Numbers, file names, paths, flags and identifiers: facts that must appear verbatim in a source.
_EXACT = re.compile(r"(?<![\w.-])(?:\d+(?:[.,]\d+)*%?|[\w-]+\.[a-z]{2,8}|--?[a-z][\w-]+|\w+_\w+"
                    r"|(?:two|three|four|five|six|seven|eight|nine|ten|twice)\b)(?![\w-])", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=\S)")
_ABBREVIATIONS = frozenset(("e.g.", "i.e.", "etc.", "vs.", "mr.", "dr.", "no.", "fig.", "approx."))
_MIN_WORDS = 3
_CITATION = re.compile(r"\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")  # shorter fragments ("Yes.", a heading) are not claims


@dataclass(frozen=True)
class _Piece:
    text: str
    citations: tuple[int, ...]
    paragraph: int
    lead: bool  # ends with ":" and introduces a list


def split_claims(text: str) -> list[tuple[str, tuple[int, ...], str]]:
    """The answer's claims (text without markers, citation numbers, the piece as written), citations
    inherited where the model cited once for several."""
    pieces: list[_Piece] = []
    paragraph = 0
    for block in re.split(r"\n\s*\n", text.strip()):
        for line in block.split("\n"):
            if not line.strip():
                continue
            is_item = bool(_LIST_MARK.match(line))
            parts = [_LIST_MARK.sub("", line).strip()] if is_item else _sentences(line)
            for part in parts:
                pieces.append(_Piece(part, tuple(cited_numbers(part)), paragraph,
                                     strip_citations(part).rstrip().endswith(":")))
        paragraph += 1  # a paragraph is a block between blank lines: a list shares one with its lead-in
    claims: list[tuple[str, tuple[int, ...], str]] = []
    for i, piece in enumerate(pieces):
        cites = piece.citations
        if not cites:  # the next citation in the same paragraph, else the list's lead-in
            following = next((p.citations for p in pieces[i + 1:] if p.paragraph == piece.paragraph and p.citations),
                             ())
            lead = next((p.citations for p in reversed(pieces[:i]) if p.lead and p.citations), ())
            cites = following or lead
        clean = _clean(piece.text)
        if len(clean.split()) >= _MIN_WORDS and not (piece.lead and len(clean.split()) < 6):
            claims.append((clean, cites, piece.text))
    return claims


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:6]
    return word[:6]


def _stems(words: set[str]) -> set[str]:
    return {_stem(w) for w in words if len(w) >= 4}


def _sentences(line: str) -> list[str]:
    """Answer sentences: any ". " ends one (answers start sentences with lower-case names like "ragloom"),
    except after an abbreviation."""
    parts, start = [], 0
    for match in _SENTENCE_BREAK.finditer(line):
        before = line[start : match.start()].rsplit(" ", 1)[-1].lower()
        if before in _ABBREVIATIONS:
            continue
        parts.append(line[start : match.start()].strip())
        start = match.end()
    parts.append(line[start:].strip())
    return [p for p in parts if p]


def _clean(text: str) -> str:
    """The claim without citations and the space they leave before punctuation ("win [2]." -> "win.");
    a dot that starts a word stays apart (".env files", not "the.env", which would read as a file name)."""
    return re.sub(r"\s+([.,;:!?])(?=\s|$)", r"\1", strip_citations(text)).strip()


@dataclass(frozen=True)
class Grounding:
    """The checked answer: its text (with corrected citations), its claims, and what was corrected."""

    text: str
    claims: tuple[Claim, ...]
    notes: tuple[str, ...] = ()


class GroundingChecker:
    """Checks an answer's claims against its sources with the index's own embedder.

    A claim that its cited source does not support, but that another source in the prompt supports
    (the words and facts are there), gets its citation corrected: a small model often writes the
    right sentence under the wrong number, and a wrong number sends the reader to the wrong place.
    A supported claim in a paragraph the model left without any citation (it tends to, once a "why"
    answer runs to several sentences) gets the number of the source that supports it. Both are
    listed in the notes.
    """

    def __init__(self, embedder: Embedder, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def __call__(self, text: str, sources: Sequence[ScoredChunk]) -> Grounding:
        claims = split_claims(text)
        if not claims or not sources:
            return Grounding(text, tuple(Claim(c, cites, False, 0.0) for c, cites, _ in claims))
        support = self._support_matrix([c for c, _, _ in claims], sources)  # claims x sources
        result, notes = [], []
        for row, (claim, cites, raw) in enumerate(claims):
            cited = [n for n in cites if 1 <= n <= len(sources)]
            pool = cited or list(range(1, len(sources) + 1))
            score = max(support[row, n - 1] for n in pool)
            best = int(np.argmax(support[row])) + 1
            if cited and score < self.threshold <= support[row, best - 1] and _CITATION.search(raw):
                fixed = _CITATION.sub(f"[{best}]", raw)
                text = text.replace(raw, fixed, 1)
                notes.append(f"citation {', '.join(f'[{n}]' for n in cited)} corrected to [{best}] for "
                             f"{claim[:60]!r}: its words are in source {best}")
                cites, score = (best,), support[row, best - 1]
            elif not cites and score >= self.threshold:  # a paragraph the model left uncited
                text = text.replace(raw, _cite(raw, best), 1)
                notes.append(f"citation [{best}] added to {claim[:60]!r}: its words are in source {best}")
                cites = (best,)
            result.append(Claim(claim, tuple(cites), bool(score >= self.threshold), round(float(score), 3)))
        return Grounding(text, tuple(result), tuple(notes))

    def _support_matrix(self, claims: list[str], sources: Sequence[ScoredChunk]) -> np.ndarray:
        """Support of each claim by each source, in [0, 1] (see the module docstring)."""
        units = [[u.text for u in split_units(s.chunk.text)] or [s.chunk.text] for s in sources]
        flat = [u for group in units for u in group]
        vectors = self.embedder.embed_documents(claims + flat)
        similarity = vectors[: len(claims)] @ vectors[len(claims):].T  # claims x units
        owner = np.repeat(np.arange(len(sources)), [len(g) for g in units])
        lowered = [s.chunk.text.lower() for s in sources]
        source_words = [content_words(t) for t in lowered]
        support = np.zeros((len(claims), len(sources)))
        for row, claim in enumerate(claims):
            words = content_words(claim)
            exact = {m.group().lower() for m in _EXACT.finditer(claim)}
            for i in range(len(sources)):
                found = words & source_words[i]
                stem_found = _stems(words - found) & _stems(source_words[i])
                lexical = min((len(found) + len(stem_found)) / max(1, len(words)), 1.0)
                semantic = max(float(similarity[row, owner == i].max()), 0.0)
                score = (lexical + semantic) / 2
                if not all(fact in lowered[i] for fact in exact):  # a number or name the source lacks
                    score = min(score, self.threshold / 2)
                support[row, i] = score
        return support


def _cite(sentence: str, number: int) -> str:
    """``sentence`` with ``[number]`` before its closing punctuation, as the prompt asks the model to cite."""
    body = sentence.rstrip()
    end = len(body.rstrip(".!?:;"))
    return f"{body[:end]} [{number}]{body[end:]}{sentence[len(body):]}"


def grounding_note(claims: Sequence[Claim]) -> str | None:
    """A note naming the unsupported sentences, or ``None`` when every claim is supported."""
    weak = [c for c in claims if not c.supported]
    if not weak:
        return None
    shown = "; ".join(f"{c.text[:80]!r}" for c in weak[:3])
    return f"{len(weak)} of {len(claims)} answer sentences are not supported by the sources they cite: {shown}"
