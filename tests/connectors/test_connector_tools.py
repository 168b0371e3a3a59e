"""Question-time API tools against a real loopback server: success, timeout, errors, safe substitution."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from connector_helpers import Reply

from connectors import ToolError, load_tool
from rag.core.errors import ConnectorError

KEY = "tool-key-0123456789"


def search_route(request):
    if request.headers.get("x-api-key") != KEY:
        return Reply(403, "forbidden")
    if request.path == "/slow":
        return Reply(200, "[]", {"Content-Type": "application/json"}, delay=2.0)
    if request.path == "/broken":
        return Reply(502, "bad gateway")
    query = request.query.get("q", request.path.rsplit("/", 1)[-1])
    hits = [{"id": f"h{i}", "title": f"Hit {i} for {query}", "snippet": f"Snippet {i}."} for i in range(1, 8)]
    return Reply(200, json.dumps({"results": hits}), {"Content-Type": "application/json"})


def tool_spec(tmp_path: Path, url: str, **extra: object) -> Path:
    import yaml

    spec = {"name": "search", "url": url, "headers": {"X-Api-Key": "${TOOL_KEY}"}, "records": "results",
            "id": "id", "text": "{title}: {snippet}", "title": "title", "max_results": 3, **extra}
    path = tmp_path / "search.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOL_KEY", KEY)


def test_fetch_returns_context_documents(tmp_path, serve) -> None:
    server = serve(search_route)
    tool = load_tool(tool_spec(tmp_path, server.url + "/search", params={"q": "{query}", "lang": "{lang}"}),
                     allow_private=True)
    documents = tool.fetch("solar panels & ${TOOL_KEY}", lang="en")
    assert [d.source_id for d in documents] == ["tool:search:h1", "tool:search:h2", "tool:search:h3"]
    assert documents[0].text == "Hit 1 for solar panels & ${TOOL_KEY}: Snippet 1."
    assert documents[0].metadata["tool"] == "search" and documents[0].metadata["title"].startswith("Hit 1")
    # the query went out verbatim: "${...}" inside user text is never expanded from the environment
    assert server.requests[0].query == {"q": "solar panels & ${TOOL_KEY}", "lang": "en"}
    assert all(KEY not in d.text and KEY not in json.dumps(d.metadata) for d in documents)


def test_query_in_the_url_path_is_encoded(tmp_path, serve) -> None:
    server = serve(search_route)
    tool = load_tool(tool_spec(tmp_path, server.url + "/wiki/{query}"), allow_private=True)
    (first, *_) = tool.fetch("a/b c?d")
    assert server.requests[0].path == "/wiki/a%2Fb%20c%3Fd"
    assert first.metadata["tool"] == "search"


def test_timeout_raises_tool_error_quickly(tmp_path, serve, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(search_route)
    tool = load_tool(tool_spec(tmp_path, server.url + "/slow", timeout=0.3), allow_private=True)
    started = time.monotonic()
    with pytest.raises(ToolError) as failure:
        tool.fetch("anything")
    assert time.monotonic() - started < 1.5
    assert str(failure.value) == "tool 'search' failed: no answer within 0.3s"
    assert isinstance(failure.value, ConnectorError)
    assert KEY not in caplog.text


def test_http_errors_and_refused_hosts_raise_tool_error(tmp_path, serve) -> None:
    server = serve(search_route)
    with pytest.raises(ToolError, match="HTTP 502"):
        load_tool(tool_spec(tmp_path, server.url + "/broken"), allow_private=True).fetch("x")
    with pytest.raises(ToolError, match="non-public"):
        load_tool(tool_spec(tmp_path, server.url + "/search")).fetch("x")
    with pytest.raises(ToolError, match="no value for parameter"):
        load_tool(tool_spec(tmp_path, server.url + "/search", params={"n": "{limit}"}), allow_private=True).fetch("x")
