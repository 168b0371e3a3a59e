"""``ragloom ask --explain``: a bar per source and the words the answer drew on most, under the answer."""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from rag.core.answer import Answer
from rag.explain import METHODS, Explanation, NothingToExplainError, SourceExplanation

BAR = 24
_WORD = re.compile(r"[\w'.-]+")


def add_explain_arguments(parser: Any) -> None:
    group = parser.add_argument_group("explain")
    group.add_argument("--explain", action="store_true",
                       help="show which sources the answer drew on (attention of the explain model, else the "
                            "model-free attribution; --json adds an 'explain' object)")
    group.add_argument("--explain-method", choices=METHODS, default="auto",
                       help="attention (setting explain_model), grounding (model-free) or auto (default)")


def explain(answer: Answer, method: str, out: TextIO | None = None) -> Explanation | None:
    """The answer's explanation, or ``None`` (with a note on stderr) when it has no sources to explain."""
    try:
        return answer.explain(method)
    except NothingToExplainError as error:
        print(f"ragloom: {error}", file=out or sys.stderr)
        return None


def highlights(source: SourceExplanation, count: int = 3, width: int = 60) -> list[str]:
    """The hottest spans of a source's heat-map, widened to whole words, hottest first, without repeats."""
    seen: list[str] = []
    for start, end, _ in sorted(source.spans, key=lambda span: -span[2]):
        while start < end and source.text[start].isspace():
            start += 1
        while start > 0 and _WORD.fullmatch(source.text[start - 1]):
            start -= 1
        while end < len(source.text) and _WORD.fullmatch(source.text[end]):
            end += 1
        text = " ".join(source.text[start:end].replace("**", "").replace("`", "").split()).strip("*_#.,:;- ")
        if len(text) > width:
            text = text[: width - 1] + "…"
        if text and text.lower() not in (s.lower() for s in seen):
            seen.append(text)
        if len(seen) == count:
            break
    return seen


def print_explanation(explanation: Explanation, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    print(f"\nExplain ({explanation.label}; {explanation.seconds:.1f} s):", file=out)
    for source in explanation.sources:
        filled = round(source.weight * BAR)
        words = ", ".join(f'"{w}"' for w in highlights(source))
        print(f"  [{source.number}] {'█' * filled}{'░' * (BAR - filled)} {source.weight:4.2f}  {words}", file=out)
    for note in explanation.notes:
        print(f"  note: {note}", file=out)
