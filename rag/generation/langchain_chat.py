"""``RagloomChatModel``: any ragloom ``Generator`` as a LangChain chat model, to compose in LCEL chains.

    chat = RagloomChatModel(generator=create_generator("llamacpp", "qwen2.5-coder-1.5b"))
    chat.invoke("Hello")            # -> AIMessage with usage_metadata
    for chunk in chat.stream("Hi"):  # -> AIMessageChunk pieces as they decode
        ...

Sampling comes from ``sampling``; a call may override fields by keyword
(``chat.invoke(q, temperature=0.2, greedy=False)``) and ``stop`` words are added to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ChatMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from rag.core.errors import ConfigError
from rag.core.protocols import Generator
from rag.core.sampling import SamplingParams
from rag.core.types import Generation, Message

_ROLE_OF_TYPE = {"system": "system", "human": "user", "ai": "assistant"}


class RagloomChatModel(BaseChatModel):
    """A LangChain ``BaseChatModel`` backed by a ragloom ``Generator``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    generator: Any  # a rag.generation.Generator (a Protocol: pydantic cannot validate it)
    sampling: SamplingParams = SamplingParams()

    @property
    def _llm_type(self) -> str:
        return "ragloom"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"generator": getattr(self.generator, "name", type(self.generator).__name__)}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = self._backend().generate(to_ragloom_messages(messages), self._sampling(stop, kwargs))
        message = AIMessage(content=result.text, usage_metadata=_usage(result), response_metadata=_metadata(result))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # LangChain's stream() reports each chunk to the callbacks itself; reporting here would double them.
        for piece in self._backend().stream(to_ragloom_messages(messages), self._sampling(stop, kwargs)):
            if isinstance(piece, Generation):
                last = AIMessageChunk(content="", usage_metadata=_usage(piece), response_metadata=_metadata(piece))
                yield ChatGenerationChunk(message=last)
            else:
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    def _backend(self) -> Generator:
        if not isinstance(self.generator, Generator):
            raise ConfigError(f"generator must be a rag.generation.Generator (got {type(self.generator).__name__})")
        return self.generator

    def _sampling(self, stop: list[str] | None, overrides: dict[str, Any]) -> SamplingParams:
        known = {k: v for k, v in overrides.items() if k in SamplingParams.__dataclass_fields__}
        if stop:
            known["stop"] = tuple(known.get("stop", self.sampling.stop)) + tuple(stop)
        return self.sampling.with_(**known) if known else self.sampling


def to_ragloom_messages(messages: list[BaseMessage]) -> list[Message]:
    """LangChain messages as ragloom chat messages (system / user / assistant only)."""
    converted: list[Message] = []
    for message in messages:
        role = message.role if isinstance(message, ChatMessage) else _ROLE_OF_TYPE.get(message.type)
        if role not in ("system", "user", "assistant"):
            raise ConfigError(f"RagloomChatModel cannot send a {message.type!r} message (no tool calling)")
        converted.append({"role": role, "content": message.text})
    return converted


def _usage(result: Generation) -> dict[str, int]:
    return {
        "input_tokens": result.prompt_tokens,
        "output_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }


def _metadata(result: Generation) -> dict[str, Any]:
    return {
        "finish_reason": result.finish_reason,
        "first_token_seconds": result.first_token_seconds,
        "total_seconds": result.total_seconds,
    }
