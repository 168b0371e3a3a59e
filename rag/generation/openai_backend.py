"""Generation through any OpenAI-compatible server (``/v1/chat/completions``): llama.cpp server, vLLM, Ollama, ...

What the server may ignore: ``seed`` is best-effort on OpenAI itself; ``top_k`` and
``repetition_penalty`` are not part of the OpenAI API, so they are sent as extra fields
(``top_k``, ``repeat_penalty`` for llama.cpp/Ollama, ``repetition_penalty`` for vLLM) that
llama.cpp, vLLM and Ollama read and other servers may drop or reject; set ``extra_sampling=False``
for servers that reject unknown fields (api.openai.com). Greedy is sent as ``temperature=0``
(plus ``top_k=1`` with extras). OpenAI accepts at most 4 stop sequences; all are also applied here.

The API key is read from an environment variable (``OPENAI_API_KEY`` unless ``api_key_env``
names another) at request time; it never appears in a repr, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from rag.core.errors import ConfigError, RagloomError
from rag.core.retry import RETRY_STATUS, RetryPolicy
from rag.core.sampling import SamplingParams
from rag.core.secrets import redact, register_secret
from rag.core.types import Generation, Message
from rag.generation._common import StopScanner, Timer, check_messages

log = logging.getLogger(__name__)
_RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError)


class ServerError(RagloomError):
    """The OpenAI-compatible server could not be reached or answered with an error."""


class OpenAIGenerator:
    """A ``Generator`` talking to an OpenAI-compatible chat completions endpoint.

    ``base_url`` is the API root: ``http://127.0.0.1:8080/v1`` (a URL without any path gets
    ``/v1`` appended). ``model`` is the name the server knows the model by. ``tokenizer`` (a
    bundled model name, a ``.gguf`` file or a HF folder; defaults to ``model`` when that is one)
    makes ``count_tokens`` exact; without it the count is an estimate of one token per 3.5
    characters plus 4 per message, which over-counts English slightly (a safe side for budgets).
    ``context_window`` should be the server's; unset, it is 4096 (capped at the model's trained
    context when a tokenizer is known).
    """

    def __init__(
        self,
        model: str = "default",
        base_url: str = "http://127.0.0.1:8080/v1",
        *,
        api_key_env: str = "OPENAI_API_KEY",
        tokenizer: str | None = None,
        context_window: int | None = None,
        timeout: float = 120.0,
        connect_timeout: float = 10.0,
        max_retries: int = 3,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        extra_sampling: bool = True,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"base_url must be an http(s) URL with a host (got {base_url!r})")
        if max_retries < 0 or timeout <= 0 or connect_timeout <= 0:
            raise ConfigError("max_retries must be >= 0 and timeouts > 0")
        root = base_url.rstrip("/")
        self.base_url = root if parts.path.strip("/") else root + "/v1"
        self.model = model
        self.name = f"openai:{model}@{self.base_url}"
        self.api_key_env = api_key_env
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.retry = RetryPolicy(max_retries=max_retries, backoff=backoff_seconds, max_wait=max_backoff_seconds)
        self.extra_sampling = extra_sampling
        self._tokenizer_source = tokenizer if tokenizer is not None else _local_model_or_none(model)
        self._context_window = context_window
        self._counter: Any = None
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model={self.model!r}, base_url={self.base_url!r}, api_key_env={self.api_key_env!r})"

    # -- contract ---------------------------------------------------------------------------

    @property
    def context_window(self) -> int:
        if self._context_window is not None:
            return self._context_window
        counter = self._token_counter()
        return counter.context_window if counter is not None else 4096

    def warm_up(self) -> None:
        """Open the HTTP client and load the local tokenizer, if any (no request is sent)."""
        self._http()
        self._token_counter()

    def count_tokens(self, messages: Sequence[Message]) -> int:
        counter = self._token_counter()
        if counter is not None:
            return int(counter.count_tokens(messages))
        checked = check_messages(messages)
        return sum(math.ceil(len(m["content"]) / 3.5) + 4 for m in checked) + 3

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        timer = Timer()
        body = self._body(messages, sampling, stream=False)
        data = self._post(body).json()
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason") or "stop"
        except (KeyError, IndexError, TypeError) as error:
            raise ServerError(f"{self.base_url} answered without a chat completion choice") from error
        timer.mark_first()
        scanner = StopScanner(sampling.stop)
        scanner.feed(text)
        scanner.flush()
        usage = data.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens") or self.count_tokens(messages)
        completion_tokens = usage.get("completion_tokens") or 0
        return timer.result(scanner.text, prompt_tokens, completion_tokens, _finish(finish, scanner.stopped))

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        timer = Timer()
        body = self._body(messages, sampling, stream=True)
        scanner = StopScanner(sampling.stop)
        finish, usage, chunks = "stop", {}, 0
        with self._open_stream(body) as response:
            for event in _sse_events(response):
                if event.get("usage"):
                    usage = event["usage"]
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        chunks += 1
                        timer.mark_first()
                        if out := scanner.feed(piece):
                            yield out
                    finish = choice.get("finish_reason") or finish
                if scanner.stopped:
                    break
        if tail := scanner.flush():
            yield tail
        prompt_tokens = usage.get("prompt_tokens") or self.count_tokens(messages)
        # Servers that omit usage in streams send about one token per chunk.
        completion_tokens = usage.get("completion_tokens") or chunks
        yield timer.result(scanner.text, prompt_tokens, completion_tokens, _finish(finish, scanner.stopped))

    # -- HTTP -------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.timeout)
            return self._client

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = register_secret(os.environ.get(self.api_key_env))  # masked in every message and log line
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _body(self, messages: Sequence[Message], sampling: SamplingParams, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": check_messages(messages),
            "max_tokens": sampling.max_new_tokens,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if sampling.seed is not None:
            body["seed"] = sampling.seed
        if sampling.greedy:
            body["temperature"] = 0.0
            if self.extra_sampling:
                body["top_k"] = 1
        else:
            body["temperature"] = sampling.temperature
            body["top_p"] = sampling.top_p
            if self.extra_sampling:
                body["top_k"] = sampling.top_k
        if self.extra_sampling and sampling.repetition_penalty != 1.0:
            body["repeat_penalty"] = body["repetition_penalty"] = sampling.repetition_penalty
        if self.extra_sampling:
            body["min_p"] = 0.0  # llama.cpp's default min_p 0.05 would add a filter the contract doesn't have
        return body

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        url = self.base_url + "/chat/completions"
        for attempt in range(self.max_retries + 1):
            try:
                response = self._http().post(url, json=body, headers=self._headers())
            except _RETRY_ERRORS as error:
                if attempt == self.max_retries:
                    raise self._failure(f"cannot reach {url}: {type(error).__name__}") from None
                self._sleep(attempt, None)
                continue
            if response.status_code in RETRY_STATUS and self.retry.should_retry(attempt, response.status_code):
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            self._raise_for_status(response)
            return response
        raise AssertionError("unreachable")

    def _open_stream(self, body: dict[str, Any]) -> _StreamContext:
        return _StreamContext(self, body)

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.retry.delay(attempt, retry_after)  # the shared policy: Retry-After wins, capped
        log.info("retrying %s in %.2f s (attempt %d of %d)", self.base_url, delay, attempt + 1, self.max_retries)
        time.sleep(delay)

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            detail = response.text[:300]
        except httpx.ResponseNotRead:
            detail = response.read().decode("utf-8", "replace")[:300]
        raise self._failure(f"{response.request.url} answered HTTP {response.status_code}: {detail}")

    def _failure(self, message: str) -> ServerError:
        register_secret(os.environ.get(self.api_key_env))
        return ServerError(redact(message))

    def _token_counter(self) -> Any:
        if self._tokenizer_source is None:
            return None
        with self._lock:
            if self._counter is None:
                self._counter = _load_counter(self._tokenizer_source)
            return self._counter


class _StreamContext:
    """Opens a streamed POST with the same retries as ``_post``, before any byte is consumed."""

    def __init__(self, owner: OpenAIGenerator, body: dict[str, Any]) -> None:
        self.owner, self.body = owner, body
        self._context: Any = None

    def __enter__(self) -> httpx.Response:
        owner, url = self.owner, self.owner.base_url + "/chat/completions"
        for attempt in range(owner.max_retries + 1):
            context = owner._http().stream("POST", url, json=self.body, headers=owner._headers())
            try:
                response = context.__enter__()
            except _RETRY_ERRORS as error:
                if attempt == owner.max_retries:
                    raise owner._failure(f"cannot reach {url}: {type(error).__name__}") from None
                owner._sleep(attempt, None)
                continue
            if response.status_code in RETRY_STATUS and owner.retry.should_retry(attempt, response.status_code):
                retry_after = response.headers.get("Retry-After")
                context.__exit__(None, None, None)
                owner._sleep(attempt, retry_after)
                continue
            if response.status_code >= 400:
                response.read()
                context.__exit__(None, None, None)
                owner._raise_for_status(response)
            self._context = context
            return response
        raise AssertionError("unreachable")

    def __exit__(self, *exc: object) -> None:
        if self._context is not None:
            self._context.__exit__(*exc)


def _sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a server-sent event stream, up to ``[DONE]``, as they arrive."""
    lines = response.iter_lines()
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except httpx.HTTPError as error:  # a timeout or a dropped connection mid-stream
            raise ServerError(f"the stream from {response.request.url} broke off: {type(error).__name__}") from None
        if not line.startswith("data:"):
            continue  # comments, event names, keep-alives
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        try:
            yield json.loads(payload)
        except json.JSONDecodeError as error:
            raise ServerError(f"the server sent a malformed stream event: {payload[:100]!r}") from error


def _finish(reason: str, stopped_here: bool) -> str:
    return "stop" if stopped_here or reason != "length" else "length"


def _local_model_or_none(model: str) -> str | None:
    from rag.generation.models import BUNDLED_MODELS

    if model in BUNDLED_MODELS or os.path.exists(os.path.expanduser(model)):
        return model
    return None


def _load_counter(source: str) -> Any:
    """A local backend used only for its tokenizer: llama.cpp vocab-only for GGUF, else transformers."""
    from rag.generation.models import resolve_model

    path = resolve_model(source)
    if path.suffix.lower() == ".gguf":
        from rag.generation.llamacpp import LlamaCppGenerator

        counter: Any = LlamaCppGenerator(str(path), vocab_only=True)
    else:
        from rag.generation.transformers_backend import TransformersGenerator

        counter = TransformersGenerator(str(path), tokenizer_only=True)
    counter.warm_up()
    return counter
