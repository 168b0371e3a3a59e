"""Metrics for answers people read: does the reply contain the fact, are its citations right, is it grounded.

- ``answer_hit``: every gold fact occurs in the reply (case-insensitive), each fact given as a list
  of acceptable alternatives ("top-p" or "nucleus"). A yes/no gold answer must open the reply, or
  be said without its opposite (``yes_no_hit``). This is the usual measure for long-form RAG
  answers, where token F1 against a short span punishes a complete sentence.
- ``fact_recall``: the share of gold facts that occur (partial credit).
- ``citation_precision``: the share of cited sources that contain a gold fact or are one of the
  sections known to support the answer.
- ``grounded``: the share of answer sentences the grounding check found supported by their
  citations (``Answer.claims``).
- ``declined``: the reply says the documents do not hold the answer (or the pipeline refused).

Matching is on the SQuAD normalisation that ``answer_in_context`` uses too (lower case, punctuation
and the articles a/an/the dropped), so a gold answer written as "Antennae." or "The Maple Leaf
Flag" is found in "Antennae vary greatly [1]" and "its current Maple Leaf Flag". Unlike SQuAD's, it
keeps numbers whole: a decimal point, a leading minus and a per cent sign stay, thousands separators
go. Punctuation becomes a space, not nothing ("top-k" = "top k", "chunks.sqlite" = "chunks sqlite").
A number or a word of up to three letters matches only as a whole token, so "32" does not match
"320" or "0.32", and "no" does not match "not".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rag.core.answer import Answer, strip_citations
from rag.core.types import ScoredChunk

Facts = Sequence[Sequence[str]]  # all facts must occur; each fact: any one of its alternatives

_EMPHASIS = re.compile(r"[*`]+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# Punctuation becomes a space, except a decimal point, a leading minus and a per cent sign:
# "top-k" -> "top k", "1745-1750" -> "1745 1750", while "0.3", "-1" and "5%" stay.
_PUNCTUATION = re.compile(r"(?!(?<=\d)\.(?=\d)|(?<!\w)-(?=\d)|%)[^\w\s]|_")
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")
# "does not have" is a decline only when the documents are its subject: "the limits do not have an
# effect on a library imported later" is an answer.
_DECLINE = re.compile(
    r"\b(?:(?:documents?|sources?|context|texts?|passages?|documentation|manual|information)(?: provided| given)? "
    r"do(?:es)?(?: not|n't) (?:contain|include|mention|say|cover|provide|have|specify|state|explain)|"
    r"not (?:in|covered by|mentioned in|found in) the (?:documents|sources|context|provided)|no information|"
    r"i (?:do not|don't|cannot|can't) "
    r"(?:know|answer|find)|cannot (?:answer|find)|can't (?:answer|find)|unable to (?:answer|find)|"
    r"there is no mention)",
    re.IGNORECASE,
)


def normalize(text: str) -> str:
    text = strip_citations(text).lower().replace("\u2212", "-")
    text = _EMPHASIS.sub("", text)
    text = _THOUSANDS.sub("", text)
    text = _ARTICLES.sub(" ", _PUNCTUATION.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def _pattern(alternative: str) -> re.Pattern[str]:
    norm = normalize(alternative)
    number = re.fullmatch(r"-?\d+(\.\d+)?", norm)
    body = re.escape(norm) + ("0*" if number and number.group(1) else "")  # "0.3" matches "0.30"
    if number or (norm.isalpha() and len(norm) <= 3):
        return re.compile(rf"(?<![\w.]){body}(?![\w]|\.\d)")
    return re.compile(body)


def fact_found(text: str, alternatives: Sequence[str]) -> bool:
    norm = normalize(text)
    return any(_pattern(alt).search(norm) for alt in alternatives if normalize(alt))


def fact_recall(text: str, facts: Facts) -> float:
    return sum(fact_found(text, f) for f in facts) / len(facts) if facts else 0.0


def answer_hit(text: str, facts: Facts) -> bool:
    """Every fact occurs in ``text``; no facts (an off-topic question) is never a hit."""
    return bool(facts) and all(fact_found(text, f) for f in facts)


def yes_no_hit(text: str, gold: str) -> bool:
    """For a yes/no gold answer: the reply opens with it, or says it (as a word) and never the opposite."""
    words = _WORDS.findall(normalize(text))
    gold, opposite = (("yes", "no") if gold.strip().lower().startswith("yes") else ("no", "yes"))
    if words and words[0] in ("yes", "no"):
        return words[0] == gold
    return gold in words and opposite not in words


def declined(answer_text: str, refused: bool = False) -> bool:
    """The pipeline refused, or the reply says the documents do not hold the answer."""
    return refused or bool(_DECLINE.search(strip_citations(answer_text)))


def answer_words(text: str) -> int:
    return len(_WORDS.findall(strip_citations(text)))


def citation_precision(cited: Sequence[ScoredChunk], facts: Facts,
                       supports: Callable[[ScoredChunk], bool] | None = None) -> float | None:
    """Share of ``cited`` sources holding a gold fact (or known to support the answer); None when none cited."""
    if not cited:
        return None
    good = sum(1 for s in cited if any(fact_found(s.chunk.text, f) for f in facts) or (supports and supports(s)))
    return good / len(cited)


def cited_sources(answer: Answer) -> list[ScoredChunk]:
    """The distinct sources the answer's ``[n]`` markers point at, in order of first citation."""
    seen: set[int] = set()
    out = []
    for citation in answer.citations:
        if citation.number not in seen:
            seen.add(citation.number)
            out.append(citation.source)
    return out


def grounded_share(answer: Answer) -> float | None:
    """Share of the answer's sentences (claims) that the grounding check found supported; None without claims."""
    claims = getattr(answer, "claims", ()) or ()
    if not claims:
        return None
    return sum(1 for c in claims if c.supported) / len(claims)
