"""An answer copied from the prompt's few-shot examples is withheld.

Every QA prompt carries worked examples (the Eiffel Tower, a library card, a bridge closed for
repairs) to show the answer format. Given a vague follow-up ("Which one should I start with?") whose
sources held no clear answer, the 1.5B model once replied with an example's answer instead: "The Old
Mill bridge reopened in June, after repairs that took two months [1]." — cited, fluent and about a
bridge that is in none of the user's documents. A run of ``MIN_RUN`` words that an example holds and
the question and the real sources do not is that failure; such an answer is replaced by the honest
"the documents do not contain the answer" rather than shown, when the run brings a word that the
question and sources lack (an example about the same subject as the user's documents is no copy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rag.core.answer import strip_citations
from rag.core.types import ScoredChunk
from rag.prompts.examples import Example
from rag.prompts.focus import content_words

MIN_RUN = 5  # words in a row; a shared phrase ("in the sources", "by default it is") is shorter
_WORD = re.compile(r"[a-z0-9]+")
_FORMAT = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+", re.MULTILINE)


def _runs(text: str) -> set[tuple[str, ...]]:
    # Citation marks and list numbers are format, which the examples are there to teach: "… in three
    # steps [2]:\n1. …" is the library-card example's shape, not its content.
    words = _WORD.findall(_FORMAT.sub(" ", strip_citations(text).lower()))
    return {tuple(words[i:i + MIN_RUN]) for i in range(len(words) - MIN_RUN + 1)}


def copied_from_examples(answer: str, examples: Iterable[Example], question: str,
                         sources: Sequence[ScoredChunk]) -> bool:
    """Whether ``answer`` repeats a run of words from an example that the question and sources lack."""
    said = _runs(answer)
    if not said:
        return False
    shown = _runs(question).union(*(_runs(s.chunk.text) for s in sources))
    known = content_words(question).union(*(content_words(s.chunk.text) for s in sources))
    for example in examples:
        taught = _runs(example.output).union(_runs(example.input), *(_runs(t) for t in example.sources))
        # "the eiffel tower was completed" is an example's phrase, but about a tower the user's source
        # names too: only a run that brings a word the sources lack ("mill", "bridge") is the example's.
        if any(content_words(" ".join(run)) - known for run in (said & taught) - shown):
            return True
    return False
