"""SQuAD-style answer normalisation, exact match and token F1.

Normalisation as in the official SQuAD v1.1 script: lower-case, drop punctuation, drop the
articles a/an/the, collapse whitespace. Citation markers like ``[1]`` are removed first: they
are ours, not part of the answer.
"""

from __future__ import annotations

import re
import string
from collections import Counter

from rag.core.answer import strip_citations

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = strip_citations(text).lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = Counter(pred) & Counter(ref)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def yes_no(text: str) -> str | None:
    """``"yes"``/``"no"`` when the normalised text starts with that word, else ``None``."""
    words = normalize_answer(text).split()
    return words[0] if words and words[0] in ("yes", "no") else None


def contains_answer(context: str, gold: str) -> bool:
    """Whether the normalised gold answer appears in the normalised context (yes/no answers never do)."""
    gold_norm = normalize_answer(gold)
    if not gold_norm or gold_norm in ("yes", "no"):
        return False
    return f" {gold_norm} " in f" {normalize_answer(context)} "
