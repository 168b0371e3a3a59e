"""An ``Answerer`` as a LangChain ``Runnable`` (langchain-core >= 0.3), so it composes with ``|``.

Input: a question string, or a dict ``{"question": ...}`` that may also carry ``task``, ``k``,
``filter``, ``target_language`` and ``min_score``. Output: ``Answer.to_dict()`` by default, a
plain JSON-compatible dict that downstream LangChain steps (parsers, lambdas, tracing) can
handle; pass ``output="answer"`` for the ``Answer`` object itself, or ``output="text"`` for
just the answer text (handy before a ``StrOutputParser``-style step).
``invoke`` goes through ``Runnable._call_with_config`` so callbacks and tracing see the call;
``batch``/``ainvoke`` use LangChain's defaults (a thread per input, sharing one generator,
which backends serialise).
"""

from __future__ import annotations

from typing import Any, Literal

from rag.core.errors import BackendMissingError, ConfigError
from rag.pipeline import Answerer

try:
    from langchain_core.runnables import Runnable, RunnableConfig
except ImportError as exc:  # pragma: no cover - langchain-core is a core dependency
    raise BackendMissingError("the LangChain adapter needs langchain-core: pip install 'ragloom[langchain]'") from exc

_ASK_KEYS = ("task", "k", "filter", "target_language", "min_score")
Output = Literal["dict", "answer", "text"]


class AnswererRunnable(Runnable[Any, Any]):
    """Wraps an ``Answerer``; see the module docstring for the input and output shapes."""

    def __init__(self, answerer: Answerer, output: Output = "dict", **ask_defaults: Any) -> None:
        if output not in ("dict", "answer", "text"):
            raise ConfigError(f"output must be 'dict', 'answer' or 'text' (got {output!r})")
        unknown = set(ask_defaults) - set(_ASK_KEYS) - {"sampling", "examples"}
        if unknown:
            raise ConfigError(f"unsupported ask options: {', '.join(sorted(unknown))}")
        self.answerer = answerer
        self.output = output
        self.ask_defaults = ask_defaults

    def _ask(self, value: Any) -> Any:
        if isinstance(value, str):
            question, options = value, {}
        elif isinstance(value, dict) and isinstance(value.get("question"), str):
            question = value["question"]
            options = {key: value[key] for key in _ASK_KEYS if key in value}
        else:
            raise ConfigError('input must be a question string or a dict with a "question" string')
        answer = self.answerer.ask(question, **{**self.ask_defaults, **options})
        if self.output == "answer":
            return answer
        return answer.text if self.output == "text" else answer.to_dict()

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._ask, input, config)


def as_langchain_runnable(answerer: Answerer, output: Output = "dict", **ask_defaults: Any) -> AnswererRunnable:
    """``answerer`` as a LangChain ``Runnable``; ``ask_defaults`` are passed to every ``ask``."""
    return AnswererRunnable(answerer, output, **ask_defaults)
