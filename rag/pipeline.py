"""Ask, stream and chat: retrieve, frame the sources, budget the prompt, generate, cite.

An ``Answerer`` needs only a search callable and a ``Generator``, so it works over the ``RAG``
facade, a bare index, or a test double. Grounded tasks (``qa``, ``summarize``, ``extract``) are
refused without calling the model when the best retrieval score is below ``refusal_threshold``:
a small model handed irrelevant passages tends to answer anyway, and a clear "not in the
documents" is cheaper and more honest.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from rag.copied import copied_from_examples
from rag.core.answer import EXTRA_CONTEXT_KEY, Answer, Claim, Timings, resolve_citations, strip_citations
from rag.core.errors import ConfigError, RagloomError
from rag.core.options import AskOptions
from rag.core.protocols import Generator
from rag.core.sampling import SamplingParams
from rag.core.types import Chunk, Document, Generation, Message, ScoredChunk
from rag.grounding import Grounding, grounding_note
from rag.neighbours import GetChunks, widen
from rag.prompts.builder import Prompt, build_prompt
from rag.prompts.examples import coerce_examples
from rag.prompts.extract import ExtractError, parse_entities, retry_messages
from rag.prompts.focus import words_covered
from rag.prompts.rewrite import clean_query, joined_question, needs_rewrite, rewrite_messages
from rag.prompts.tasks import FULL_QA, TaskSpec, get_task
from rag.restated import completion
from rag.source_selection import SourceBudget, cosine_of, pick_by_evidence

SearchFn = Callable[[str, int, "Mapping[str, Any] | None"], list[ScoredChunk]]
FocusFn = Callable[[str, Sequence[ScoredChunk]], list[ScoredChunk]]
GroundingFn = Callable[[str, Sequence[ScoredChunk]], Grounding]
FOCUSED_TASKS = ("qa",)  # short extractive answers; summaries and extraction need the whole text

# Calibrated on all-MiniLM-L6-v2 cosine over the rag-mini-wikipedia passages: the best passage of
# the 918 on-topic questions scores >= 0.277 (1st percentile 0.367, median 0.68), while 40 varied
# off-topic questions have a median best score of 0.29 (max 0.52). At 0.30 one on-topic question in
# 918 is refused and 55% of off-topic ones are; wrongly refusing costs more than letting the model
# say "I don't know", so the threshold errs low.
DEFAULT_REFUSAL_THRESHOLD = 0.30
# A follow-up's search query: carrying the previous question in ("join") finds the answering section as
# often as the model's rewrite (hit@2 0.903 both, hit@4 1.0 vs 0.968 on bench/datasets/followups.jsonl)
# and saves a generation — ~2 s, and the answer prompt's cached prefix — before the first token.
FOLLOWUP_MODES = ("join", "model", "off")
# Below the threshold, still answer when a retrieved passage holds this share of the question's content
# words and the cosine is within the margin of the threshold (see ``_should_refuse``).
KEYWORD_RESCUE_SHARE = 0.75
KEYWORD_RESCUE_MARGIN = 0.1
REFUSAL_TEXT = "The documents do not contain the answer to this question."
_REWRITE_SAMPLING = SamplingParams(greedy=True, max_new_tokens=48)
_DONT_KNOW = re.compile(r"^\W*i (?:do not|don't) know\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Request:
    question: str
    spec: TaskSpec
    sampling: SamplingParams
    k: int | None
    filter: Mapping[str, Any] | None
    examples: tuple
    target_language: str | None
    min_score: float | None
    extra: tuple[ScoredChunk, ...]
    history: tuple[Message, ...]
    style: str = "full"


def extra_context_chunks(documents: Sequence[Document]) -> tuple[ScoredChunk, ...]:
    """Caller-supplied documents as chunks, marked in metadata, numbered and cited like retrieved ones."""
    chunks = []
    for i, doc in enumerate(documents, start=1):
        chunk = Chunk(-i, doc.source_id, doc.text, 0, len(doc.text), {**doc.metadata, EXTRA_CONTEXT_KEY: True})
        chunks.append(ScoredChunk(chunk, 1.0, i))
    return tuple(chunks)


class Answerer:
    """Retrieval-augmented answering over a search callable ``(query, k, filter) -> list[ScoredChunk]``."""

    def __init__(
        self,
        search: SearchFn,
        generator: Generator,
        *,
        refusal_threshold: float | None = DEFAULT_REFUSAL_THRESHOLD,
        k: int | None = None,
        sampling: SamplingParams | None = None,
        followups: str = "join",
        focus: FocusFn | None = None,
        budget: SourceBudget | None = None,
        count_tokens: Callable[[str], int] | None = None,
        grounding: GroundingFn | None = None,
        neighbours: GetChunks | None = None,
    ) -> None:
        """``k``: sources per answer, ``None`` = chosen by evidence within ``budget`` (``rag.source_selection``),
        counting source text with ``count_tokens`` (default: the focus's, else ~4/3 per word).
        ``focus`` shortens sources to what matters for the question (``rag.prompts.focus``) for QA.
        ``grounding`` checks each answer sentence against its citations (``rag.grounding``).
        ``neighbours`` fetches chunks by id, to widen a retrieved chunk to its section (``rag.neighbours``).
        ``followups``: how a follow-up that leans on the conversation becomes a search query — ``join``
        (the previous question carried in, no model call), ``model`` (the model rewrites it) or ``off``."""
        if followups not in FOLLOWUP_MODES:
            raise ConfigError(f"unknown follow-up mode {followups!r}; choose {', '.join(FOLLOWUP_MODES)}")
        self.search = search
        self.focus = focus
        self.generator = generator
        self.refusal_threshold = refusal_threshold
        self.k = k
        self.sampling = sampling or SamplingParams()
        self.followups = followups
        self.budget = budget or SourceBudget()
        self.count_tokens = count_tokens or getattr(focus, "count_tokens", None) or _approximate_tokens
        self.grounding = grounding
        self.neighbours = neighbours

    # -- public API --------------------------------------------------------------------------

    def ask(self, question: str, options: AskOptions | None = None) -> Answer:
        """Answer ``question`` (a request, for non-QA tasks) from the retrieved sources."""
        return final_answer(self._run(self._request(question, options, ()), stream=False))

    def stream(self, question: str, options: AskOptions | None = None) -> Iterator[str | Answer]:
        """Like ``ask`` but yields text pieces as decoded, then the final ``Answer`` (text = joined pieces, but
        for citation numbers the grounding check corrected, which its notes list)."""
        return self._run(self._request(question, options, ()), stream=True)

    def chat(self, messages: Sequence[Message], options: AskOptions | None = None) -> Answer:
        """Answer the last user message of a conversation; a follow-up is rewritten into a standalone query."""
        return final_answer(self._run(self._chat_request(messages, options), stream=False))

    def stream_chat(self, messages: Sequence[Message], options: AskOptions | None = None) -> Iterator[str | Answer]:
        """``chat`` that yields text pieces, then the final ``Answer``."""
        return self._run(self._chat_request(messages, options), stream=True)

    def prime(self, options: AskOptions | None = None) -> None:
        """Read the fixed start of every answer prompt (system prompt, few-shot examples) into the model's
        prompt cache, so the first question waits only for its own sources. Front ends call this while
        the user is still typing; it is a one-token generation."""
        opts = options or AskOptions()
        spec = get_task(opts.task, opts.style)
        if spec.needs_language and not opts.target_language:
            return
        prompt = build_prompt(spec, "?", [], generator=self.generator, max_new_tokens=1,
                              examples=coerce_examples(opts.examples, spec.name, opts.style),
                              target_language=opts.target_language)
        self.generator.generate(prompt.messages, SamplingParams(max_new_tokens=1))  # shares all but the last turn

    def standalone_query(self, history: Sequence[Message], question: str, mode: str | None = None) -> str:
        """The follow-up as a standalone search query (``mode`` overrides the ``followups`` setting); the
        question itself when it already stands alone (checked without the model) or there is no history."""
        mode = mode or self.followups
        if mode == "off" or not needs_rewrite(question, history):
            return question
        if mode == "join":
            return joined_question(question, history)
        generation = self.generator.generate(rewrite_messages(history, question), _REWRITE_SAMPLING)
        return clean_query(generation.text, question, history)

    # -- the one path every public method runs -----------------------------------------------

    def _chat_request(self, messages: Sequence[Message], options: AskOptions | None) -> _Request:
        if not messages or messages[-1]["role"] != "user":
            raise ConfigError("chat needs a conversation whose last message is the user's question")
        history = tuple(m for m in messages[:-1] if m["role"] in ("user", "assistant"))
        return self._request(messages[-1]["content"], options, history)

    def _request(self, question: str, options: AskOptions | None, history: tuple[Message, ...]) -> _Request:
        if not isinstance(question, str) or not question.strip():
            raise ConfigError("the question is empty")
        opts = options or AskOptions()
        if not isinstance(opts, AskOptions):
            raise ConfigError(f"options must be an AskOptions (got {type(opts).__name__})")
        k = self.k if opts.k is None else opts.k
        spec = get_task(opts.task, opts.style)
        spec.system_prompt(opts.target_language)  # fail before retrieval when a language is missing
        return _Request(question.strip(), spec, opts.sampling or self.sampling, k, opts.filter,
                        coerce_examples(opts.examples, spec.name, opts.style), opts.target_language, opts.min_score,
                        extra_context_chunks(opts.extra_context), history, opts.style)

    def _run(self, req: _Request, *, stream: bool) -> Iterator[str | Answer]:
        started = time.perf_counter()
        notes: list[str] = []
        query = self.standalone_query(req.history, req.question) if req.history else req.question
        if query != req.question:
            notes.append(f"retrieval query rewritten from the conversation: {query!r} "
                         f"({time.perf_counter() - started:.1f} s)")
        want = self.budget.max_sources if req.k is None else req.k
        retrieved = self.search(query, want, req.filter) if want else []
        # The threshold is a cosine similarity: hybrid and keyword scores are on other scales.
        best = max((cosine_of(c) for c in retrieved), default=None)
        if req.min_score is not None:  # a cosine, like the refusal threshold, whatever the retrieval mode
            retrieved = [c for c in retrieved if cosine_of(c) >= req.min_score]
        retrieve_seconds = time.perf_counter() - started

        if self._should_refuse(req, query, retrieved, best):
            notes.append(f"best cosine similarity {best if best is None else round(best, 3)} is below the "
                         f"refusal threshold {self.refusal_threshold}; the model was not called")
            answer = Answer(REFUSAL_TEXT, refused=True, notes=tuple(notes), query=query, task=req.spec.name,
                            timings=Timings(retrieve_seconds, 0.0, time.perf_counter() - started, 0.0),
                            question=req.question, history=req.history, settings=self._settings_used(req))
            if stream:
                yield answer.text
            yield answer
            return

        reading = [*req.extra, *retrieved]  # what the model may read of each source (before focus)
        if self.neighbours is not None and self.focus is not None and req.spec.name in FOCUSED_TASKS:
            # Focus picks from the whole passage, not half of it; the answer still cites the stored chunks
            # (their ids and texts are what feedback, highlights and the UI's context look up).
            pairs = widen(retrieved, self.neighbours)
            if len(pairs) < len(retrieved):
                notes.append(f"{len(retrieved) - len(pairs)} retrieved chunk(s) read as part of the better-ranked "
                             "chunk next to them in the same document")
            retrieved = [stored for stored, _ in pairs]
            reading = [*req.extra, *(read for _, read in pairs)]
        sources = [*req.extra, *retrieved]
        read_as = {id(s): r for s, r in zip(sources, reading, strict=True) if r is not s}  # for grounding
        shown = self.focus(query, reading) if self.focus is not None and req.spec.name in FOCUSED_TASKS else reading
        if req.k is None and retrieved:
            sources, shown = self._by_evidence(req, retrieved, sources, shown, notes)
        prompt = build_prompt(req.spec, req.question, shown, generator=self.generator,
                              max_new_tokens=req.sampling.max_new_tokens, examples=req.examples,
                              history=req.history, target_language=req.target_language)
        if shown is not sources:  # the answer cites the whole chunks; the messages show what the model read
            prompt = replace(prompt, sources=tuple(sources[: len(prompt.sources)]),
                             dropped=tuple(sources[len(prompt.sources):]))
        notes += prompt.notes
        data: Any = None
        if req.spec.name == "extract":
            generation, text, data = self._extract(prompt, req.sampling, notes)
            if stream:
                yield text
        elif stream:
            pieces: list[str] = []
            generation = None
            for item in self.generator.stream(prompt.messages, req.sampling):
                if isinstance(item, Generation):
                    generation = item
                else:
                    pieces.append(item)
                    yield item
            if generation is None:
                raise RagloomError(f"generator {self.generator.name!r} ended its stream without a final Generation")
            text = "".join(pieces)
        else:
            generation = self.generator.generate(prompt.messages, req.sampling)
            text = generation.text
        read = shown[: len(prompt.sources)]  # the sources as the model read them (focused, widened)
        if req.examples and req.spec.grounded and copied_from_examples(text, req.examples, req.question, read):
            notes.append("the model repeated a few-shot example instead of answering from the sources; "
                         "its reply was withheld")
            text = REFUSAL_TEXT
        elif req.spec is FULL_QA and (added := completion(req.question, text, read, req.history)):
            notes.append("the answer restated the question; the source's own sentence was added, quoted")
            text += added
            if stream:
                yield added
        yield self._answer(req, query, prompt, generation, text, data, notes, started, retrieve_seconds, read_as)

    def _by_evidence(self, req: _Request, retrieved: list[ScoredChunk], sources: list[ScoredChunk],
                     shown: list[ScoredChunk], notes: list[str]) -> tuple[list[ScoredChunk], list[ScoredChunk]]:
        """Keep the retrieved sources the evidence supports (score gap, token budget); extra context stays."""
        n = len(req.extra)
        keep = pick_by_evidence(retrieved, shown[n:], self.count_tokens, self.budget)
        if len(keep) < len(retrieved):
            notes.append(f"used {len(keep)} of {len(retrieved)} retrieved sources (by score gap and a "
                         f"{self.budget.tokens}-token budget)")
        return sources[:n] + [sources[n + i] for i in keep], shown[:n] + [shown[n + i] for i in keep]

    def _should_refuse(self, req: _Request, query: str, retrieved: list[ScoredChunk], best: float | None) -> bool:
        if not req.spec.grounded or req.extra:
            return False
        if not retrieved:
            return True
        if self.refusal_threshold is None or best is None or best >= self.refusal_threshold:
            return False
        # A fact buried in a long passage about something else ("… keeps a ginger cat named Biscuit …"
        # amid harbour statistics) scores a low cosine as a whole; its words still say it is there.
        return best < self.refusal_threshold - KEYWORD_RESCUE_MARGIN or not any(
            words_covered(query, c.chunk.text) >= KEYWORD_RESCUE_SHARE for c in retrieved)

    def _extract(self, prompt: Prompt, sampling: SamplingParams, notes: list[str]) -> tuple[Generation, str, Any]:
        """Generate JSON; on an invalid reply retry once with the error fed back."""
        generation = self.generator.generate(prompt.messages, sampling)
        try:
            data = parse_entities(generation.text)
        except ExtractError as first:
            notes.append(f"first extract reply rejected ({first}); retried once")
            retry = self.generator.generate(retry_messages(prompt.messages, generation.text, str(first)), sampling)
            generation = _merge(generation, retry)
            try:
                data = parse_entities(retry.text)
            except ExtractError as second:
                notes.append(f"extract reply still invalid after the retry: {second}")
                return generation, retry.text, None
        return generation, json.dumps(data, ensure_ascii=False), data

    def _answer(self, req: _Request, query: str, prompt: Prompt, generation: Generation, text: str, data: Any,
                notes: list[str], started: float, retrieve_seconds: float,
                read_as: Mapping[int, ScoredChunk] | None = None) -> Answer:
        """``read_as``: the widened text the model could read, per source (by ``id()``), for grounding."""
        claims: tuple[Claim, ...] = ()
        if self.grounding is not None and req.spec.grounded and req.spec.name != "extract" and prompt.sources:
            read = [(read_as or {}).get(id(s), s) for s in prompt.sources]
            checked = self.grounding(text, read)
            text, claims = checked.text, checked.claims
            notes += checked.notes
            if note := grounding_note(claims):
                notes.append(note)
        citations, unknown = resolve_citations(text, prompt.sources)
        if unknown:
            notes.append(f"ignored citations of unknown sources: {', '.join(f'[{n}]' for n in unknown)}")
        if generation.finish_reason == "length":
            notes.append(f"the answer was cut at max_new_tokens={req.sampling.max_new_tokens}")
        timings = Timings(
            retrieve_seconds=retrieve_seconds,
            first_token_seconds=generation.first_token_seconds,
            total_seconds=time.perf_counter() - started,
            tokens_per_second=generation.tokens_per_second,
        )
        return Answer(
            text=text, citations=citations, sources=prompt.sources, dropped=prompt.dropped,
            messages=prompt.messages, prompt_tokens=generation.prompt_tokens,
            completion_tokens=generation.completion_tokens, timings=timings,
            refused=bool(req.spec.grounded and (text == REFUSAL_TEXT or _DONT_KNOW.match(strip_citations(text)))),
            notes=tuple(notes), query=query, task=req.spec.name, unknown_citations=unknown, data=data,
            claims=claims, question=req.question, history=req.history, settings=self._settings_used(req),
        )

    def _settings_used(self, req: _Request) -> dict[str, Any]:
        """What produced the answer (kept with user feedback); names and numbers only, never credentials."""
        return {"model": self.generator.name, "task": req.spec.name, "style": req.style, "k": req.k,
                "min_score": req.min_score, "filter": dict(req.filter) if req.filter else None,
                "sampling": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(req.sampling).items()}}


def _approximate_tokens(text: str) -> int:
    return len(text.split()) * 4 // 3 + 1


def _merge(first: Generation, second: Generation) -> Generation:
    """Costs of both attempts, text of the second."""
    return Generation(second.text, first.prompt_tokens + second.prompt_tokens,
                      first.completion_tokens + second.completion_tokens, second.finish_reason,
                      first.first_token_seconds, first.total_seconds + second.total_seconds)


def final_answer(items: Iterator[str | Answer]) -> Answer:
    """The ``Answer`` that closes a stream of text pieces."""
    result = None
    for item in items:
        result = item
    if not isinstance(result, Answer):
        raise RagloomError("the answering pipeline produced no answer")
    return result
