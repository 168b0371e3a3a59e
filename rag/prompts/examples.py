"""Few-shot examples: the user's own, or short bundled ones per task.

Examples go into the prompt as real chat turns (a user message, then the assistant's reply),
so the backend renders them in the model's own chat format. Small models copy the length and
shape of what they are shown, so each answer style has its own bundled examples: ``full`` shows
a one-sentence answer, a short list for steps, several things named in one sentence and a
yes/no answer with its deciding fact, each cited; ``short`` shows terse extractive spans.
They sit at the start of the prompt, so llama.cpp's prompt cache reads them once, not per question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.core.errors import ConfigError


@dataclass(frozen=True)
class Example:
    """One demonstration: the user's input, the ideal reply, and optional source texts it is based on."""

    input: str
    output: str
    sources: tuple[str, ...] = ()


ExampleLike = Example | tuple[str, str] | tuple[str, str, Sequence[str]]

_EIFFEL = (
    "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris. "
    "It was completed in 1889 and is 330 metres tall.",
    "The tower was designed and built by the engineering company of Gustave Eiffel "
    "for the 1889 World's Fair.",
)
_CURIE = (
    "Marie Curie was born in Warsaw in 1867. She moved to Paris in 1891 to study physics.",
    "Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911.",
)

_BRIDGE = (
    "The Old Mill bridge reopened in June, after repairs that took two months.",
    "The bridge was closed in April because inspectors found cracks in two of its steel cables. "
    "Traffic used the ferry until it reopened.",
)

_LIBRARY_CARD = (
    "Opening hours are 9:00 to 18:00 on weekdays.",
    "To get a library card:\n1. Fill in the form at the front desk.\n2. Show an ID card with your "
    "address.\n3. Collect the card the next day. Cards are free for residents.",
)

# The ``short`` style (span-QA evaluation): one span answer, two "no" (a wrong place, a near-miss
# date), one "yes" that needs the second source: terse, always cited. Small models lean to "yes";
# the near miss teaches checking details.
SHORT_QA_EXAMPLES = (
    Example("How tall is the Eiffel Tower?", "330 metres [1]", _EIFFEL[:1]),
    Example("Did Curie win a Nobel Prize in Chemistry?", "yes [2]", _CURIE),
    Example("Was Marie Curie born in Paris?", "no [1]", _CURIE[:1]),
    Example("Was the Eiffel Tower completed in 1899?", "no [1]", _EIFFEL[:1]),
)

BUNDLED: dict[str, tuple[Example, ...]] = {
    # The default ``full`` style: the answer first in a complete sentence that uses every source holding
    # part of it, a list for steps, every item named for "which things", yes/no with the deciding fact,
    # and for "why" the stated reason, taken from the source that gives it rather than the first one.
    "qa": (
        Example("When and by whom was the Eiffel Tower built?",
                "The Eiffel Tower was completed in 1889 [1] by the engineering company of Gustave Eiffel, "
                "for the 1889 World's Fair [2].", _EIFFEL),
        Example("How do I get a library card?",
                "You get a library card in three steps [2]:\n1. Fill in the form at the front desk [2].\n"
                "2. Show an ID card with your address [2].\n3. Collect the card the next day [2].",
                _LIBRARY_CARD),
        Example("Which Nobel Prizes did Curie win?",
                "Marie Curie won the Nobel Prize in Physics in 1903 and the Nobel Prize in Chemistry in 1911 [2].",
                _CURIE),
        Example("Was Marie Curie born in Paris?", "No, Marie Curie was born in Warsaw in 1867 [1].", _CURIE[:1]),
        Example("Why was the Old Mill bridge closed?",
                "The Old Mill bridge was closed because inspectors found cracks in two of its steel cables [2].",
                _BRIDGE),
    ),
    "summarize": (
        Example(
            "Summarize what the sources say about the Eiffel Tower.",
            "The Eiffel Tower is a 330-metre wrought-iron tower in Paris, completed in 1889 [1], "
            "designed and built by Gustave Eiffel's company for the World's Fair [2].",
            _EIFFEL,
        ),
    ),
    "translate": (Example("Translate into German: The tower is 330 metres tall.", "Der Turm ist 330 Meter hoch."),),
    "extract": (
        Example(
            "Extract the entities.",
            '{"entities": [{"text": "Marie Curie", "type": "person"}, {"text": "Warsaw", "type": "place"}, '
            '{"text": "Paris", "type": "place"}, {"text": "Nobel Prize in Physics", "type": "award"}]}',
            _CURIE,
        ),
    ),
    "code": (
        Example(
            "Write a Python function that returns the n-th Fibonacci number.",
            "```python\ndef fibonacci(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n"
            "        a, b = b, a + b\n    return a\n```",
        ),
    ),
    "write": (),
}


def bundled_examples(task: str, style: str = "full") -> tuple[Example, ...]:
    """The bundled examples for ``task`` in answer ``style`` (only ``qa`` has a separate ``short`` set)."""
    if style == "short" and task == "qa":
        return SHORT_QA_EXAMPLES
    return BUNDLED.get(task, ())


def coerce_examples(examples: Sequence[ExampleLike] | None, task: str, style: str = "full") -> tuple[Example, ...]:
    """``None`` means the bundled examples for ``task`` and ``style``; an empty list means zero-shot."""
    if examples is None:
        return bundled_examples(task, style)
    result: list[Example] = []
    for item in examples:
        if isinstance(item, Example):
            result.append(item)
        elif isinstance(item, tuple | list) and len(item) in (2, 3) and all(isinstance(x, str) for x in item[:2]):
            sources = tuple(item[2]) if len(item) == 3 else ()
            result.append(Example(item[0], item[1], sources))
        else:
            raise ConfigError(f"a few-shot example must be (input, output) strings or an Example, got {item!r:.80}")
    return tuple(result)
