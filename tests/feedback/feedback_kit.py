"""Shared by the feedback tests (a plain module with a unique name: no clash with other test folders)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rag.core.sampling import SamplingParams
from rag.core.types import Document, Generation, Message

DOCUMENTS = [
    Document("lighthouse", "The Harrow Point lighthouse was built in 1871 by the engineer Mara Quillon. "
                           "Its lamp is visible for 23 nautical miles.", {"title": "The Harrow Point lighthouse"}),
    Document("bakery", "Ostrander's bakery opens at six in the morning. Its best-known loaf is a rye bread "
                       "baked with caraway seeds.", {"title": "Ostrander's bakery"}),
    Document("garden", "The glass garden holds four hundred species of fern and closes every winter from "
                       "December to February.", {"title": "The glass garden"}),
]


class ScriptedGenerator:
    name = "scripted"
    context_window = 4096

    def __init__(self, reply: str = "It was built in 1871 [1].") -> None:
        self.reply = reply

    def warm_up(self) -> None:
        pass

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return sum(len(m["content"].split()) * 4 // 3 + 4 for m in messages)

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        return Generation(self.reply, self.count_tokens(messages), len(self.reply.split()), "stop", 0.01, 0.02)

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        generation = self.generate(messages, sampling)
        yield generation.text
        yield generation
