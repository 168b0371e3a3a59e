"""REST/JSON API connector against a real HTTP server on 127.0.0.1: auth, pagination, retries, resume."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from connector_helpers import Reply

from connectors import ApiConnector, ConnectorOptions, load_sources
from connectors.api_spec import load_spec, spec_from_dict
from rag.core.errors import ConnectorError, RagloomError
from rag.core.types import Document, Skipped

TOKEN = "s3cr3t-T0KEN-value-42"
PAGES = 5
PER_PAGE = 3


def records_for(page: int) -> list[dict]:
    return [{"id": (page - 1) * PER_PAGE + i, "title": f"Item {(page - 1) * PER_PAGE + i}",
             "body": {"text": f"Body of item {(page - 1) * PER_PAGE + i}."}, "author": {"name": f"user{page}"}}
            for i in range(1, PER_PAGE + 1)]


class FlakyApi:
    """Paginated JSON behind a bearer token; page 2 answers 429 once, page 3 500 once, page 4 stalls once."""

    def __init__(self, flaky: bool = True) -> None:
        self.failures = {2: "429", 3: "500", 4: "slow"} if flaky else {}

    def __call__(self, request):
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, json.dumps({"error": "bad token"}), {"Content-Type": "application/json"})
        page = int(request.query.get("page", "1"))
        failure = self.failures.pop(page, None)
        if failure == "429":
            return Reply(429, "slow down", {"Retry-After": "1"})
        if failure == "500":
            return Reply(500, "oops")
        body = {"data": {"items": records_for(page)},
                "links": {"next": f"/items?page={page + 1}" if page < PAGES else None}}
        return Reply(200, json.dumps(body), {"Content-Type": "application/json"}, delay=1.5 if failure else 0.0)


def write_spec(tmp_path: Path, base_url: str, **extra: object) -> Path:
    spec = {
        "name": "items", "url": f"{base_url}/items", "params": {"page": 1, "key": "${TEST_API_TOKEN}"},
        "headers": {"Authorization": "Bearer ${TEST_API_TOKEN}"},
        "records": "data.items", "id": "id", "text": "{title}\n\n{body.text}", "title": "title",
        "metadata": {"author": "author.name"}, "pagination": {"next": "links.next"},
        "timeout": 0.5, "max_retries": 3, "backoff": 0.05, "allow_private": True, **extra,
    }
    path = tmp_path / "items.yaml"
    import yaml

    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_API_TOKEN", TOKEN)


def test_every_record_exactly_once_through_429_500_and_a_timeout(tmp_path, serve, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(FlakyApi())
    started = time.monotonic()
    items = list(ApiConnector(write_spec(tmp_path, server.url)).load())
    elapsed = time.monotonic() - started
    documents = [i for i in items if isinstance(i, Document)]
    assert len(items) == len(documents) == PAGES * PER_PAGE
    assert [d.source_id for d in documents] == [f"api:items:{n}" for n in range(1, PAGES * PER_PAGE + 1)]
    first = documents[0]
    assert first.text == "Item 1\n\nBody of item 1."
    assert first.metadata == {"source": f"{server.url}/items", "file_type": "api", "api": "items",
                              "title": "Item 1", "author": "user1"}
    # each failing page was requested twice: once failing, once succeeding
    assert [r.query["page"] for r in server.requests] == ["1", "2", "2", "3", "3", "4", "4", "5"]
    assert elapsed >= 1.0  # Retry-After: 1 was honoured
    assert "HTTP 429" in caplog.text and "HTTP 500" in caplog.text and "timed out" in caplog.text
    # the token went to the server but nowhere else
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert TOKEN not in caplog.text
    assert all(TOKEN not in json.dumps(d.metadata) and TOKEN not in d.text for d in documents)


def test_interrupted_run_keeps_what_arrived_and_a_rerun_yields_all(tmp_path, serve, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(FlakyApi(flaky=False))
    spec = write_spec(tmp_path, server.url, max_retries=2)
    kept: list[Document | Skipped] = []
    with pytest.raises(ConnectorError) as failure:
        for item in ApiConnector(spec).load():
            kept.append(item)
            if len(kept) == 2 * PER_PAGE:
                server.stop()  # the server dies after two pages
    assert [i.source_id for i in kept if isinstance(i, Document)] == [f"api:items:{n}" for n in range(1, 7)]
    message = str(failure.value)
    assert "\n" not in message and "connection failed" in message and TOKEN not in message
    assert isinstance(failure.value, RagloomError)
    serve(FlakyApi(flaky=False), port=server.port)  # back up on the same address
    again = [i for i in ApiConnector(spec).load() if isinstance(i, Document)]
    assert [d.source_id for d in again] == [f"api:items:{n}" for n in range(1, PAGES * PER_PAGE + 1)]
    assert TOKEN not in caplog.text


def test_wrong_token_fails_with_a_clean_message(tmp_path, serve, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    server = serve(FlakyApi(flaky=False))
    monkeypatch.setenv("TEST_API_TOKEN", "wrong-" + TOKEN)
    with pytest.raises(ConnectorError, match="HTTP 401") as failure:
        list(ApiConnector(write_spec(tmp_path, server.url)).load())
    assert TOKEN not in str(failure.value) and TOKEN not in caplog.text


def test_missing_env_var_is_named_not_guessed(tmp_path, serve, monkeypatch) -> None:
    server = serve(FlakyApi(flaky=False))
    monkeypatch.delenv("TEST_API_TOKEN")
    with pytest.raises(ConnectorError, match="TEST_API_TOKEN is not set"):
        list(ApiConnector(write_spec(tmp_path, server.url)).load())
    assert server.requests == []


def test_page_parameter_and_link_header_pagination(tmp_path, serve) -> None:
    def route(request):
        page = int(request.query.get("p", "1"))
        records = records_for(page) if page <= 2 else []
        headers = {"Content-Type": "application/json"}
        if request.path == "/linked" and page < 2:
            headers["Link"] = f'<{server.url}/linked?p={page + 1}>; rel="next", <{server.url}/linked?p=1>; rel="first"'
        return Reply(200, json.dumps(records), headers)

    server = serve(route)
    by_page = spec_from_dict({"name": "paged", "url": f"{server.url}/paged", "id": "id", "text": "{title}",
                              "pagination": {"page_param": "p", "start": 1}, "allow_private": True})
    ids = [d.source_id for d in ApiConnector(by_page).load()]
    assert ids == [f"api:paged:{n}" for n in range(1, 7)]
    assert [r.query["p"] for r in server.requests] == ["1", "2", "3"]  # stops at the first empty page
    by_link = spec_from_dict({"name": "linked", "url": f"{server.url}/linked", "id": "id", "text": "{title}",
                              "pagination": {"link_header": True}, "allow_private": True})
    assert len(list(ApiConnector(by_link).load())) == 6


def test_api_specs_come_through_options_and_private_hosts_need_permission(tmp_path, serve) -> None:
    server = serve(FlakyApi(flaky=False))
    spec = write_spec(tmp_path, server.url, allow_private=False)
    with pytest.raises(ConnectorError, match="non-public"):
        list(load_sources([], ConnectorOptions(api_specs=(str(spec),))))
    assert server.requests == []
    items = list(load_sources([], ConnectorOptions(api_specs=(str(spec),), allow_private=True)))
    assert len(items) == PAGES * PER_PAGE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("url: ftp://x\n", "url must be an http"),
        ("url: http://x\ntext: '{title.__class__}'\n", "bad template field"),
        ("url: http://x\ntext: '{0!r}'\n", "bad template field"),
        ("url: http://x\nbogus: 1\n", "unknown setting(s) bogus"),
        ("url: http://x\npagination: {next: a, page_param: p}\n", "choose one of"),
        ("url: [unclosed\n", "is not valid yaml"),
        ("- a list\n", "must be a mapping"),
        ("url: http://x\ntimeout: soon\n", "not a number"),
    ],
)
def test_bad_specs_fail_in_one_clear_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConnectorError) as failure:
        load_spec(path)
    assert message in str(failure.value) and "\n" not in str(failure.value)
    assert str(path) in str(failure.value)


def test_toml_spec(tmp_path: Path) -> None:
    path = tmp_path / "wiki.toml"
    path.write_text('url = "https://wiki.example/api"\nrecords = "pages"\nid = "slug"\ntext = "{title}"\n'
                    "[pagination]\nnext = \"next\"\n", encoding="utf-8")
    spec = load_spec(path)
    assert (spec.name, spec.records, spec.pagination.next) == ("wiki", "pages", "next")


def test_rate_limit_spaces_requests_and_retry_after_dates() -> None:
    from email.utils import formatdate

    from connectors.http import RateLimiter, retry_after_seconds

    limiter = RateLimiter(20)
    started = time.monotonic()
    for _ in range(5):
        limiter.wait()
    assert time.monotonic() - started >= 0.19
    assert retry_after_seconds("3") == 3.0
    assert 8 <= retry_after_seconds(formatdate(time.time() + 10, usegmt=True)) <= 10.5
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
