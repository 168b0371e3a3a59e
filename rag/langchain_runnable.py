"""An ``Answerer`` as a LangChain ``Runnable`` (langchain-core >= 0.3), so it composes with ``|``.

Input: a question string, or a dict ``{"question": ...}`` that may also carry ``task``, ``style``,
``k``, ``filter``, ``target_language`` and ``min_score`` (refining the runnable's ``AskOptions``).
Output: ``Answer.to_dict()`` by default, a
plain JSON-compatible dict that downstream LangChain steps (parsers, lambdas, tracing) can
handle; pass ``output="answer"`` for the ``Answer`` object itself, or ``output="text"`` for
just the answer text (handy before a ``StrOutputParser``-style step).
``invoke`` goes through ``Runnable._call_with_config`` so callbacks and tracing see the call;
``batch``/``ainvoke`` use LangChain's defaults (a thread per input, sharing one generator,
which backends serialise).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from rag.core.errors import BackendMissingError, ConfigError
from rag.core.options import AskOptions
from rag.pipeline import Answerer

try:
    from langchain_core.runnables import Runnable, RunnableConfig
except ImportError as exc:  # pragma: no cover - langchain-core is a core dependency
    raise BackendMissingError("the LangChain adapter needs langchain-core: pip install 'ragloom[langchain]'") from exc

_ASK_KEYS = ("task", "style", "k", "filter", "target_language", "min_score")
Output = Literal["dict", "answer", "text"]


class AnswererRunnable(Runnable[Any, Any]):
    """Wraps an ``Answerer``; see the module docstring for the input and output shapes."""

    def __init__(self, answerer: Answerer, output: Output = "dict", options: AskOptions | None = None) -> None:
        if output not in ("dict", "answer", "text"):
            raise ConfigError(f"output must be 'dict', 'answer' or 'text' (got {output!r})")
        self.answerer = answerer
        self.output = output
        self.options = options or AskOptions()

    def _ask(self, value: Any) -> Any:
        if isinstance(value, str):
            question, options = value, {}
        elif isinstance(value, dict) and isinstance(value.get("question"), str):
            question = value["question"]
            options = {key: value[key] for key in _ASK_KEYS if key in value}
        else:
            raise ConfigError('input must be a question string or a dict with a "question" string')
        answer = self.answerer.ask(question, replace(self.options, **options))
        if self.output == "answer":
            return answer
        return answer.text if self.output == "text" else answer.to_dict()

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._ask, input, config)


def as_langchain_runnable(answerer: Answerer, output: Output = "dict",
                          options: AskOptions | None = None) -> AnswererRunnable:
    """``answerer`` as a LangChain ``Runnable``; ``options`` apply to every ``ask`` (refined per input)."""
    return AnswererRunnable(answerer, output, options)
