"""Secrets from the environment never surface: not in messages, logs, reports, `documents`, nor the index."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from connector_helpers import Reply

from connectors import load_sources
from connectors.netguard import public_url, redact_url
from connectors.options import ConnectorOptions
from rag.core.secrets import redact, register_secret
from rag.core.types import Document, Skipped

TOKEN = "tok-9f8e7d6c5b4a/+=secret"  # has characters that URL-encoding changes
WEB_PASSWORD = "hunter2-pw-77"
WEB_TOKEN = "qz81-webtoken-55"


def ragloom(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), quote(secret)]


def test_registered_values_are_masked_in_every_form(caplog) -> None:
    register_secret("abc-123-unique")
    assert redact("GET /v1/abc-123-unique/items?key=abc-123-unique") == "GET /v1/***/items?key=***"
    register_secret("a/b c+d-unique")
    assert redact("/x/a%2Fb%20c%2Bd-unique and a/b%20c%2Bd-unique, a%2Fb+c%2Bd-unique") == "/x/*** and ***, ***"
    register_secret("ab")  # too short to be a secret; masking it would garble every message
    assert redact("abc") == "abc"
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").info("calling %s", "https://h/abc-123-unique/x")
    assert "abc-123-unique" not in caplog.text and "https://h/***/x" in caplog.text


def test_urls_shown_and_stored_keep_no_credentials() -> None:
    url = "https://user:pw-123456@example.com:8443/a/b?page=2&api_key=K-123456&token=T-123456&q=x#frag"
    assert redact_url(url) == "https://example.com:8443/a/b"
    assert public_url(url) == "https://example.com:8443/a/b?page=2&api_key=***&token=***&q=x#frag"
    assert public_url("https://example.com/?keyword=x&monkey=y") == "https://example.com/?keyword=x&monkey=y"


def test_a_web_url_with_credentials_is_stored_redacted(serve) -> None:
    server = serve(lambda r: Reply(200, "<p>page body</p>"))
    url = f"http://reader:{WEB_PASSWORD}@127.0.0.1:{server.port}/page?token={WEB_TOKEN}&page=2"
    (document,) = load_sources([url], ConnectorOptions(allow_private=True))
    assert isinstance(document, Document) and document.text == "page body"
    assert document.source_id == f"http://127.0.0.1:{server.port}/page?token=***&page=2"
    assert WEB_PASSWORD not in json.dumps(document.metadata) and WEB_TOKEN not in json.dumps(document.metadata)
    assert server.requests[0].query["token"] == WEB_TOKEN  # the request itself still carries it
    missing = f"http://reader:{WEB_PASSWORD}@127.0.0.1:{server.port}/gone?token={WEB_TOKEN}"
    server.route = lambda r: Reply(404, "no")
    (skipped,) = load_sources([missing], ConnectorOptions(allow_private=True))
    assert isinstance(skipped, Skipped)
    assert WEB_PASSWORD not in skipped.source + skipped.reason and WEB_TOKEN not in skipped.source + skipped.reason


@pytest.fixture
def flaky_api(serve):
    """An API whose URL path carries the token: 503 first, then one page of records."""
    calls: list[str] = []

    def route(request):  # noqa: ANN001, ANN202
        calls.append(request.path)
        if TOKEN.split("/")[0] not in request.path and quote(TOKEN, safe="") not in request.path:
            return Reply(401, "no token")
        if request.headers.get("x-api-key") != TOKEN or request.query.get("sig") != TOKEN:
            return Reply(401, "bad key")
        if len(calls) == 1:
            return Reply(503, f"busy, your token was {TOKEN}", headers={"Retry-After": "0"})
        body = {"items": [{"id": n, "text": f"record number {n} about tides"} for n in range(3)]}
        return Reply(200, json.dumps(body), headers={"Content-Type": "application/json"})

    return serve(route), calls


def _spec(tmp_path: Path, port: int) -> Path:
    spec = tmp_path / "tides.yaml"
    spec.write_text(
        "name: tides\n"
        f"url: http://127.0.0.1:{port}/v1/${{TIDE_TOKEN}}/items\n"
        "params: {sig: '${TIDE_TOKEN}'}\n"
        "headers: {X-Api-Key: '${TIDE_TOKEN}'}\n"
        "records: items\nid: id\ntext: '{text}'\nallow_private: true\nbackoff: 0.01\nmax_retries: 2\n")
    return spec


def test_api_token_never_reaches_output_or_index(tmp_path: Path, flaky_api, monkeypatch) -> None:
    server, calls = flaky_api
    index = tmp_path / "index"
    env = {**__import__("os").environ, "TIDE_TOKEN": TOKEN, "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    spec = _spec(tmp_path, server.port)
    outputs = []
    run = ragloom("ingest", "--api", str(spec), "--index", str(index), env=env)
    outputs.append(run.stdout + run.stderr)
    assert run.returncode == 0, run.stderr
    assert len(calls) == 2 and "retry 1 of 2" in run.stderr  # it did fail once, and said so
    assert "***" in run.stderr
    for args in (["documents", "--index", str(index)], ["documents", "--index", str(index), "--json"],
                 ["ingest", "--api", str(spec), "--index", str(index), "--json"],
                 ["search", "tides", "--index", str(index), "--json"]):
        result = ragloom(*args, env=env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    server.route = lambda r: Reply(500, f"down; token {TOKEN}")  # now it fails for good: the one-line error
    failed = ragloom("ingest", "--api", str(spec), "--index", str(index), env=env)
    assert failed.returncode == 2 and failed.stderr.strip().splitlines()[-1].startswith("ragloom: error:")
    outputs.append(failed.stdout + failed.stderr)
    text = "\n".join(outputs)
    assert "record number" in text or "3 added" in text
    for form in _forms(TOKEN):
        assert form not in text
        for path in index.rglob("*"):
            if path.is_file():
                assert form.encode() not in path.read_bytes(), path
