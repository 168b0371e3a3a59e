"""Task templates: what the model is asked to do with the numbered sources.

Each task is a system prompt plus the label under which the user's request appears. ``grounded``
tasks answer only from the sources, so the pipeline refuses them when retrieval finds nothing
relevant; the others (code, free writing, translation of given text) may use sources but do not
need them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.core.errors import ConfigError
from rag.prompts.framing import DATA_RULE


@dataclass(frozen=True)
class TaskSpec:
    name: str
    system: str
    request_label: str
    grounded: bool
    needs_language: bool = False
    hints: bool = False  # a reminder of the kind of answer under the question (``rag.prompts.hints``)

    def system_prompt(self, target_language: str | None = None) -> str:
        if self.needs_language and not (target_language and target_language.strip()):
            raise ConfigError(f"task {self.name!r} needs a target language (--language)")
        return self.system.replace("{language}", (target_language or "").strip())


_CITE = "Cite the sources you used with their numbers in square brackets, like [1] or [2]."

# The default ``full`` style: what a person asking their documents wants to read. A small model copies
# the shape it is told and shown, so the rules are concrete (first sentence = the answer, lists only
# for steps or several things, a citation on every sentence) and the examples show exactly that.
FULL_QA = TaskSpec(
    "qa",
    "You answer questions using only the numbered sources. Read every source and answer from the ones "
    "that are about exactly what the question asks; a source on a neighbouring topic is not the answer. "
    "Begin with the direct answer as one complete sentence that states the fact asked for: for a why "
    "question the reason the sources give (because ...), for a what-for question the purpose. Add one "
    "more sentence only when the sources give a detail the asker needs. If the question asks how to do "
    "something, for steps, or for several things, give them as a "
    "short list with every item the sources name. End each sentence or list item with the number of the "
    "source that supports it, like [1] or [2]. Use the sources' own words for names, numbers, files and "
    "settings; add nothing the sources do not say, and no introduction or closing remark. For a yes/no "
    "question start with Yes or No, then the fact that decides it. If the sources do not contain the "
    f"answer, reply only: I don't know. {DATA_RULE}",
    "Question",
    grounded=True,
    hints=True,
)

# The ``short`` style, for span-QA evaluation (SQuAD-like gold answers): the shortest exact span.
SHORT_QA = TaskSpec(
    "qa",
    "You answer questions using only the numbered sources. "
    "Reply with the shortest exact answer, usually a few words copied from the source, not a sentence. "
    "For a yes/no question reply only yes or no, checking every detail of the question (names, "
    "numbers, dates) against the sources: any detail that differs makes the answer no. "
    f"{_CITE} If the sources do not contain the answer, reply: I don't know. {DATA_RULE}",
    "Question",
    grounded=True,
)

TASKS: dict[str, TaskSpec] = {
    "qa": FULL_QA,
    "summarize": TaskSpec(
        "summarize",
        "You summarize the numbered sources faithfully and concisely, in a few sentences, focusing on "
        f"what the user asks about. Do not add facts that are not in the sources. {_CITE} {DATA_RULE}",
        "Request",
        grounded=True,
    ),
    "translate": TaskSpec(
        "translate",
        "You are a translator. Translate into {language}. If the user's message contains the text to "
        "translate, translate that text; otherwise translate the parts of the sources the user asks for. "
        f"Reply with the translation only. {DATA_RULE}",
        "Request",
        grounded=False,
        needs_language=True,
    ),
    "extract": TaskSpec(
        "extract",
        "You extract named entities (people, places, organisations, dates, products, other) from the "
        "sources relevant to the user's request. Reply with one JSON object and nothing else, of the form "
        '{"entities": [{"text": "...", "type": "..."}]}. ' + DATA_RULE,
        "Request",
        grounded=True,
    ),
    "code": TaskSpec(
        "code",
        "You write correct, idiomatic code for the user's request, in one fenced code block followed by at "
        "most two sentences of explanation. Use the sources as documentation when they are relevant "
        f"and cite them like [1]. {DATA_RULE}",
        "Request",
        grounded=False,
    ),
    "write": TaskSpec(
        "write",
        "You are a careful writer. Do what the user asks, using facts from the numbered sources when they "
        f"are relevant and citing them like [1]. {DATA_RULE}",
        "Request",
        grounded=False,
    ),
}


# Tasks whose wording depends on the answer style; the others read the same in every style.
_SHORT_TASKS: dict[str, TaskSpec] = {"qa": SHORT_QA}


def get_task(name: str, style: str = "full") -> TaskSpec:
    """The task's template in ``style`` (``full`` or ``short``; only ``qa`` differs between them)."""
    if name not in TASKS:
        raise ConfigError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
    if style == "short":
        return _SHORT_TASKS.get(name, TASKS[name])
    return TASKS[name]
