"""Live API tools at question time: a real HTTP server on 127.0.0.1, the real index, cited answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag import RAG, Document

TIMETABLE = {"results": [{"id": "s1", "title": "Harbour station", "text": "The first ferry leaves at 07:45."}]}


@pytest.fixture
def tool_server() -> Iterator[ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.dumps(TIMETABLE).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def spec(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "ferries.yaml"
    path.write_text(f"name: ferries\nurl: http://127.0.0.1:{port}/search\nparams: {{q: '{{query}}'}}\n"
                    "records: results\nid: id\ntitle: title\ntext: '{title}: {text}'\ntimeout: 2\n")
    return path


@pytest.fixture
def index(tmp_path: Path, embedder) -> Path:
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        rag.ingest([Document("guide", "Ferries cross the bay every hour in summer.", {"title": "Guide"})])
    return tmp_path / "index"


def test_answer_cites_the_tool_data(tmp_path: Path, index: Path, embedder, tool_server, scripted) -> None:
    generator = scripted(["The first ferry leaves at 07:45 [1]."])
    with RAG(index, embedder=embedder, generator=generator) as rag:
        rag.add_tool(spec(tmp_path, tool_server.server_address[1]), allow_private=True)
        answer = rag.ask("When does the first ferry leave?", tools=["ferries"])
    assert answer.citations[0].source.chunk.document_id == "tool:ferries:s1"
    assert "07:45" in answer.citations[0].source.chunk.text
    assert "The first ferry leaves at 07:45." in json.dumps(generator.calls[0])  # it went into the prompt
    assert answer.notes == ()


def test_tool_down_still_answers_with_a_note(tmp_path: Path, index: Path, embedder, tool_server, scripted) -> None:
    port = tool_server.server_address[1]
    tool_server.shutdown()
    tool_server.server_close()
    generator = scripted(["Ferries cross every hour [1]."])
    with RAG(index, embedder=embedder, generator=generator) as rag:
        rag.add_tool(spec(tmp_path, port), allow_private=True)
        answer = rag.ask("How often do ferries cross the bay?", tools=["ferries"])
    assert answer.text.startswith("Ferries cross every hour")
    assert answer.citations[0].source.chunk.document_id == "guide"
    assert len(answer.notes) == 1 and "ferries" in answer.notes[0] and "not used" in answer.notes[0]


def test_cli_ask_with_tool_and_the_real_model(tmp_path: Path, index: Path, tool_server, small_generator) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli.main", "ask", "When does the first ferry leave?", "--index", str(index),
         "--tool", str(spec(tmp_path, tool_server.server_address[1])), "--allow-private-tools",
         "--model", "smollm2-135m", "--max-new-tokens", "24", "--json"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "RAGLOOM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    answer = json.loads(result.stdout)
    assert any("07:45" in source["text"] for source in answer["sources"])
    assert answer["text"].strip()
