"""Boilerplate chunks: navigation that wins keyword matches while answering nothing.

A "Where to read next" list, a table of contents, a menu, a block of links or a bare heading
mentions many topics in few words, so BM25 (and sometimes the embedder) ranks it above the
section that actually answers. Each chunk gets a ``boilerplate`` score in [0, 1] at ingest time,
stored in its metadata (so it is visible, filterable and computed once), and retrieval demotes
chunks by it (``demoted``): their ranking score loses ``DEMOTION * boilerplate`` of its value.

The signals are the ones boilerplate removers (boilerpipe, jusText) rely on, adapted to text
that has already been extracted from its page:

- heading-only text: nothing but headings (and blank lines) -> 1.0; so is a chunk that is one short
  line and no sentence, a plain-text title or caption ("Young Abraham Lincoln") that an embedder
  ranks first for any question about Lincoln while it states no fact;
- link density: the share of characters inside Markdown links, HTML anchors or bare URLs;
- a navigation heading ("See also", "Where to read next", "Contents", "Related pages", ...) over
  a body that is a list of short items: a pointer list, not content;
- list-only bodies of very short items without sentences (a menu, a table of contents).

Prose, code blocks, tables and lists of full sentences score 0: a numbered procedure or a summary
of defaults is content. Repetition across documents (a page header on every page) needs a
corpus-level pass and is not detected here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from rag.core.types import ScoredChunk

METADATA_KEY = "boilerplate"
DEMOTION = 0.5  # a chunk scoring 1 loses half its ranking score
HEADING_MAX_WORDS = 12  # a longer "# ..." line is a sentence (e.g. a numbered item in wiki markup)
TITLE_MAX_WORDS = 8  # a lone unpunctuated line this short is a title or caption; "The fur trade was
# Canada's most important industry until the 1800s" (11 words, a caption too) states a fact
EXTRA_CANDIDATES = 8  # dense/keyword results read beyond k so a demoted chunk can be replaced

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+(.*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_LINK = re.compile(r"<a\s[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_WORD = re.compile(r"\w+")
# Headings of sections that point elsewhere instead of saying something.
_NAV_HEADING = re.compile(
    r"\b(?:see also|read next|what to read|further reading|read more|more reading|next steps?|related"
    r"(?: pages| articles| topics| links| posts)?|table of contents|contents|on this page|in this (?:section|page)"
    r"|navigation|site ?map|menu|quick links|useful links|external links|links|breadcrumbs?|skip to)\b",
    re.IGNORECASE,
)


def boilerplate_score(text: str, headings: Sequence[str] = ()) -> float:
    """How much ``text`` looks like navigation rather than content: 0 (content) to 1 (pure navigation).

    ``headings`` are the section headings the text sits under (e.g. the Markdown ``section`` path);
    headings inside ``text`` are read too.
    """
    body, inline_headings = _body_lines(text)
    all_headings = [*headings, *inline_headings]
    if not body:
        return 1.0 if inline_headings else 0.0
    if not all_headings and len(body) == 1 and _is_bare_title(body[0]):
        return 1.0  # in plain text; under a Markdown heading a lone line introduces what follows
    joined = "\n".join(body)
    # Density over the text a reader sees: a link counts by its words, its target not at all (an FAQ
    # answer "No. [orjsonl](https://github.com/…) may be appropriate." is content, not a link list).
    link_texts = [m.group(1) for m in _MD_LINK.finditer(joined)] + [m.group(1) for m in _HTML_LINK.finditer(joined)]
    visible = _HTML_LINK.sub(r"\1", _MD_LINK.sub(r"\1", joined))
    chars = len(visible.replace(" ", "")) or 1
    linked = sum(len(t.replace(" ", "")) for t in link_texts) + sum(len(m.group(0)) for m in _URL.finditer(visible))
    link_density = min(1.0, linked / chars)
    items = [m.group(1) for line in body if (m := _LIST_ITEM.match(line))]
    list_share = len(items) / len(body)
    words = [len(_WORD.findall(_MD_LINK.sub(r"\1", item))) for item in items]
    short_items = sum(1 for n in words if n <= 6) / len(items) if items else 0.0
    mean_words = sum(words) / len(words) if words else 0.0
    scores = [_ramp(link_density, 0.3, 0.6)]
    nav_heading = bool(all_headings) and _NAV_HEADING.search(all_headings[-1]) is not None
    if nav_heading and list_share >= 0.6:
        scores.append(1.0 if mean_words <= 16 else 0.6)
    if list_share >= 0.8 and len(items) >= 4:
        scores.append(_ramp(short_items, 0.6, 0.9))  # a menu or table of contents: many tiny items
    return round(max(scores), 2)


def chunk_metadata(text: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` plus this chunk's ``boilerplate`` score (the Markdown section path counts as headings)."""
    section = metadata.get("section")
    headings = [part.strip() for part in str(section).split(" > ")] if section else []
    return {**metadata, METADATA_KEY: boilerplate_score(text, headings)}


def penalty(hit: ScoredChunk) -> float:
    """The share of its ranking score a hit loses (0 for content, and for chunks indexed before scoring)."""
    try:
        value = float(hit.chunk.metadata.get(METADATA_KEY) or 0.0)
    except (TypeError, ValueError):
        return 0.0
    return DEMOTION * min(1.0, max(0.0, value))


def demoted(hits: Sequence[ScoredChunk], rescore: bool) -> list[ScoredChunk]:
    """``hits`` reordered by their demoted score (stable). ``rescore`` also stores that value as the score.

    Dense and keyword results keep their cosine / BM25 as ``score`` (those scores mean something on
    their own) and are only reordered; the hybrid fused score is relative anyway and carries the
    demotion, so scores stay sorted.
    """
    values = [h.score - penalty(h) * abs(h.score) for h in hits]  # lowered for negative cosines too
    if values == [h.score for h in hits]:
        return list(hits)
    order = sorted(range(len(hits)), key=lambda i: -values[i])
    out = []
    for i in order:
        hit = hits[i]
        score = values[i] if rescore else hit.score
        out.append(ScoredChunk(hit.chunk, score, hit.rank, hit.cosine, hit.keyword))
    return out


def _body_lines(text: str) -> tuple[list[str], list[str]]:
    """Non-blank lines that are not headings, and the heading texts (code blocks count as body)."""
    body, headings = [], []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            body.append("code")
            continue
        if not line.strip():
            continue
        heading = None if fenced else _HEADING.match(line)
        if heading and _looks_like_heading(heading.group(1)):
            headings.append(heading.group(1))
        else:
            body.append(line)
    return body, headings


def _looks_like_heading(text: str) -> bool:
    """A short title, not a sentence: wiki-style "# " list items in plain text are content."""
    return len(_WORD.findall(text)) <= HEADING_MAX_WORDS and not text.rstrip().endswith((".", '"', "\u201d"))


def _is_bare_title(line: str) -> bool:
    """A lone short line that is not a sentence, a list item, code or a table row."""
    text = line.strip()
    return (len(_WORD.findall(text)) <= TITLE_MAX_WORDS and _looks_like_heading(text)
            and not text.endswith(("!", "?")) and "|" not in text and not _LIST_ITEM.match(text))


def _ramp(value: float, low: float, high: float) -> float:
    """0 below ``low``, 1 above ``high``, linear in between."""
    if value <= low:
        return 0.0
    return 1.0 if value >= high else (value - low) / (high - low)
