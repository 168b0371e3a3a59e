"""The OpenAI-compatible backend against a real llama.cpp server and tiny scripted local servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from rag.core.errors import ConfigError
from rag.core.sampling import SamplingParams
from rag.core.types import Generation
from rag.generation.openai_backend import OpenAIGenerator, ServerError

from .conftest import MESSAGES, SMALL

GREEDY = SamplingParams(max_new_tokens=16)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(small_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("wb")
    # chat_template.default: the server renders with the GGUF's own template, as our backends do.
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(small_gguf), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--chat_format", "chat_template.default"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(base + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 90 s")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_refuses_non_http_urls() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/v1", "127.0.0.1:8080", "http://"):
        with pytest.raises(ConfigError):
            OpenAIGenerator("m", url)


def test_base_url_without_path_gets_v1() -> None:
    assert OpenAIGenerator("m", "http://127.0.0.1:1").base_url == "http://127.0.0.1:1/v1"
    assert OpenAIGenerator("m", "http://127.0.0.1:1/api/v1/").base_url == "http://127.0.0.1:1/api/v1"


def test_generate_against_real_server(llama_server: str, llama_gen) -> None:
    gen = OpenAIGenerator(SMALL, llama_server, tokenizer=SMALL)
    result = gen.generate(MESSAGES, GREEDY)
    assert result.text and result.completion_tokens > 0
    # The server counts the prompt with the same template and tokenizer as our local counter.
    assert result.prompt_tokens == gen.count_tokens(MESSAGES) == llama_gen.count_tokens(MESSAGES)
    assert gen.context_window == 4096  # the local default, as no window was given
    assert OpenAIGenerator(SMALL, llama_server, context_window=2048).context_window == 2048
    assert gen.generate(MESSAGES, GREEDY).text == result.text  # temperature 0 is deterministic


def test_stream_against_real_server(llama_server: str) -> None:
    gen = OpenAIGenerator(SMALL, llama_server, tokenizer=SMALL)
    *pieces, final = list(gen.stream(MESSAGES, GREEDY))
    assert isinstance(final, Generation) and len(pieces) > 1
    assert "".join(pieces) == final.text == gen.generate(MESSAGES, GREEDY).text
    assert final.completion_tokens > 0 and final.prompt_tokens == gen.count_tokens(MESSAGES)


def test_seeded_sampling_on_server(llama_server: str) -> None:
    gen = OpenAIGenerator(SMALL, llama_server)
    sampled = SamplingParams(greedy=False, temperature=1.0, top_k=40, top_p=0.9, max_new_tokens=12, seed=5)
    assert gen.generate(MESSAGES, sampled).text == gen.generate(MESSAGES, sampled).text


def test_estimate_without_tokenizer_is_documented_and_positive() -> None:
    gen = OpenAIGenerator("remote-model", "http://127.0.0.1:1/v1")
    estimate = gen.count_tokens(MESSAGES)
    assert estimate >= sum(len(m["content"]) for m in MESSAGES) / 4


# -- scripted servers: retries, Retry-After, the API key ---------------------------------------

COMPLETION = {
    "choices": [{"message": {"role": "assistant", "content": "hello there"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 11, "completion_tokens": 2},
}


class Scripted(BaseHTTPRequestHandler):
    script: list[tuple[int, dict[str, str], bytes]] = []
    seen: list[tuple[float, dict[str, str], dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((time.monotonic(), dict(self.headers), body))
        status, headers, payload = type(self).script.pop(0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def scripted() -> Iterator[tuple[str, type[Scripted]]]:
    handler = type("Handler", (Scripted,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def test_retries_429_honouring_retry_after(scripted) -> None:
    base, handler = scripted
    handler.script = [
        (429, {"Retry-After": "1"}, b'{"error": "slow down"}'),
        (200, {"Content-Type": "application/json"}, json.dumps(COMPLETION).encode()),
    ]
    gen = OpenAIGenerator("m", base, backoff_seconds=0.01)
    result = gen.generate(MESSAGES, GREEDY)
    assert result.text == "hello there" and result.prompt_tokens == 11 and result.completion_tokens == 2
    assert len(handler.seen) == 2
    assert handler.seen[1][0] - handler.seen[0][0] >= 0.95  # waited as told, not the 0.01 s backoff
    assert handler.seen[0][2]["top_k"] == 1 and handler.seen[0][2]["temperature"] == 0.0


def test_stream_retries_5xx_then_parses_sse(scripted) -> None:
    base, handler = scripted
    events = [{"choices": [{"delta": {"content": piece}, "finish_reason": None}]} for piece in ("hel", "lo ", "END x")]
    events.append({"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": COMPLETION["usage"]})
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    handler.script = [(503, {}, b"busy"), (200, {"Content-Type": "text/event-stream"}, sse.encode())]
    gen = OpenAIGenerator("m", base, backoff_seconds=0.01)
    *pieces, final = list(gen.stream(MESSAGES, GREEDY.with_(stop=("END",))))
    assert "".join(pieces) == final.text == "hello "
    assert final.finish_reason == "stop" and handler.seen[1][2]["stream"] is True


def test_gives_up_after_max_retries(scripted) -> None:
    base, handler = scripted
    handler.script = [(500, {}, b"boom")] * 3
    gen = OpenAIGenerator("m", base, max_retries=2, backoff_seconds=0.01)
    with pytest.raises(ServerError, match="HTTP 500"):
        gen.generate(MESSAGES, GREEDY)
    assert len(handler.seen) == 3


def test_connection_refused_is_retried_then_reported() -> None:
    gen = OpenAIGenerator("m", f"http://127.0.0.1:{free_port()}/v1", max_retries=1, backoff_seconds=0.01)
    with pytest.raises(ServerError, match="cannot reach"):
        gen.generate(MESSAGES, GREEDY)


def test_api_key_is_sent_but_never_shown(scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    base, handler = scripted
    secret = "sk-test-" + os.urandom(8).hex()
    monkeypatch.setenv("RAGLOOM_TEST_KEY", secret)
    handler.script = [(401, {}, f"bad key {secret}".encode())]  # a server that echoes the key back
    gen = OpenAIGenerator("m", base, api_key_env="RAGLOOM_TEST_KEY", max_retries=0)
    with pytest.raises(ServerError) as caught:
        gen.generate(MESSAGES, GREEDY)
    assert handler.seen[0][1]["Authorization"] == f"Bearer {secret}"
    assert secret not in str(caught.value) and "***" in str(caught.value)
    assert secret not in repr(gen) and "RAGLOOM_TEST_KEY" in repr(gen)
