"""Keys: a key scoped to {"team": "legal"} never sees the sales team's text — in search, answers, streams,
documents, errors or job reports. Plus 401/403/429/413 and read-only keys."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import SALES_SECRETS, build_team_index, need_small_model, small_model_settings
from tests.service.server_helpers import REPO, served

SALES_QUESTIONS = ("What is the quarterly sales target for the Nordic region?",
                   "What is the code name of the Nordic sales campaign?",
                   "Who approves discounts larger than 15 percent?")


def create_key_cli(index: Path, *flags: str) -> str:
    """``ragloom keys create``: the key is the last line it prints."""
    done = subprocess.run([sys.executable, "-m", "rag.cli.main", "keys", "create", "--index", str(index), *flags],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Path]]:
    from rag.service.context import Service, ServiceConfig
    from rag.service.keys import KeyStore

    root = tmp_path_factory.mktemp("keyed")
    index = build_team_index(root / "teams")
    other = build_team_index(root / "other")
    keys = {
        "legal": create_key_cli(index, "--filter", "team=legal"),
        "admin": create_key_cli(index),
        "reader": create_key_cli(index, "--read-only"),
        "slow": KeyStore(index).create(rate_per_minute=6)[1],
    }
    service = Service(ServiceConfig(indexes=(f"teams={index}", f"other={other}"), max_upload_mb=1),
                      small_model_settings())
    with served(service) as base:
        yield base, keys, index


def call(base: str, key: str | None, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, f"{base}{path}", headers=headers, timeout=120, **kwargs)


def assert_no_sales(text: str) -> None:
    for secret in SALES_SECRETS:
        assert secret not in text, f"{secret!r} leaked"


def test_key_is_the_last_line_and_stored_hashed(keyed) -> None:
    _, keys, index = keyed
    from rag.service.keys import KEYS_FILE, STATE_FOLDER, hash_key

    assert keys["legal"].startswith("rlk-") and len(keys["legal"]) > 40
    stored = (index / STATE_FOLDER / KEYS_FILE).read_bytes()
    assert hash_key(keys["legal"]).encode() in stored
    assert all(key.encode() not in stored for key in keys.values())


def test_missing_and_wrong_keys_get_401(keyed) -> None:
    base, _, _ = keyed
    assert call(base, None, "GET", "/v1/models").status_code == 401
    wrong = call(base, "rlk-not-a-key", "GET", "/v1/models")
    assert wrong.status_code == 401 and wrong.json()["error"]["type"] == "authentication_error"
    assert call(base, None, "GET", "/health").status_code == 200
    assert call(base, None, "GET", "/ready").status_code == 200


def test_collection_out_of_scope_is_403(keyed) -> None:
    base, keys, _ = keyed
    assert [m["id"] for m in call(base, keys["legal"], "GET", "/v1/models").json()["data"]] == ["ragloom/teams"]
    response = call(base, keys["legal"], "POST", "/v1/search", json={"collection": "other", "query": "contract"})
    assert response.status_code == 403 and response.json()["error"]["type"] == "permission_error"


def test_scoped_search_never_returns_other_teams(keyed) -> None:
    base, keys, _ = keyed
    for question in SALES_QUESTIONS:
        for body in ({"query": question, "k": 10}, {"query": question, "k": 10, "filter": {"team": "sales"}},
                     {"query": question, "k": 10, "filter": {"team": {"$in": ["sales", "legal"]}}},
                     {"query": question, "k": 10, "filter": {"team": {"$ne": "legal"}}},
                     {"query": question, "mode": "keyword"}):
            response = call(base, keys["legal"], "POST", "/v1/search", json={"collection": "teams", **body})
            assert response.status_code == 200
            assert {hit["metadata"]["team"] for hit in response.json()["data"]} <= {"legal"}
            assert_no_sales(response.text)
    admin = call(base, keys["admin"], "POST", "/v1/search", json={"collection": "teams", "query": SALES_QUESTIONS[0]})
    assert "4.2 million" in admin.text  # the sales text is there: the scope is what hides it


def test_scoped_documents_list_and_delete(keyed) -> None:
    base, keys, _ = keyed
    listed = call(base, keys["legal"], "GET", "/v1/documents", params={"collection": "teams"})
    assert listed.json()["total"] == 2
    assert_no_sales(listed.text)
    missing = call(base, keys["legal"], "DELETE", "/v1/documents",
                   params={"collection": "teams", "id": "sales/nordic-target.md"})
    assert missing.status_code == 404
    absent = call(base, keys["legal"], "DELETE", "/v1/documents", params={"collection": "teams", "id": "nope.md"})
    assert missing.json()["error"]["message"].replace("sales/nordic-target.md", "nope.md") == \
        absent.json()["error"]["message"]  # an out-of-scope document looks exactly like an absent one
    still = call(base, keys["admin"], "GET", "/v1/documents", params={"collection": "teams"}).json()["total"]
    assert still == 4


def test_scoped_answers_and_streams_never_show_other_teams(keyed) -> None:
    need_small_model()
    base, keys, _ = keyed
    for question in SALES_QUESTIONS:
        body = {"model": "ragloom/teams", "max_tokens": 48, "messages": [{"role": "user", "content": question}]}
        reply = call(base, keys["legal"], "POST", "/v1/chat/completions", json=body)
        assert reply.status_code == 200
        assert_no_sales(reply.text)
        assert {s["metadata"]["team"] for s in reply.json()["ragloom"]["sources"]} <= {"legal"}
        with httpx.stream("POST", f"{base}/v1/chat/completions", json={**body, "stream": True}, timeout=120,
                          headers={"Authorization": f"Bearer {keys['legal']}"}) as stream:
            assert_no_sales("".join(stream.iter_text()))
        sneaky = call(base, keys["legal"], "POST", "/v1/ask",
                      json={"question": question, "filter": {"team": "sales"}, "max_tokens": 32})
        assert sneaky.status_code == 200 and sneaky.json()["ragloom"]["refused"]
        assert_no_sales(sneaky.text)


def test_read_only_key_cannot_write(keyed) -> None:
    base, keys, _ = keyed
    files = {"files": ("note.md", b"# Note\n\nA note.", "text/markdown")}
    assert call(base, keys["reader"], "POST", "/v1/ingest", files=files).status_code == 403
    assert call(base, keys["reader"], "DELETE", "/v1/documents",
                params={"collection": "teams", "id": "legal/privacy-policy.md"}).status_code == 403
    assert call(base, keys["reader"], "POST", "/v1/search", json={"collection": "teams", "query": "x"}).is_success


def test_scoped_ingest_is_stamped_and_job_reports_are_private(keyed) -> None:
    base, keys, _ = keyed
    files = [("files", ("legal-memo.md", b"# Memo\n\nThe legal memo about archiving.", "text/markdown")),
             ("files", ("broken.pdf", b"not a pdf at all", "application/pdf"))]
    job = call(base, keys["legal"], "POST", "/v1/ingest", files=files, data={"collection": "teams"})
    assert job.status_code == 202
    job_id = job.json()["id"]
    deadline = time.monotonic() + 60
    while (report := call(base, keys["legal"], "GET", f"/v1/jobs/{job_id}").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert report["status"] == "done" and report["counts"]["added"] == 1
    assert [i["name"] for i in report["items"] if i["errors"]] == ["broken.pdf"]
    assert "/" not in report["items"][1]["errors"][0]["source"]  # no server path in the report
    hits = call(base, keys["legal"], "POST", "/v1/search",
                json={"collection": "teams", "query": "legal memo archiving"})
    memo = hits.json()["data"][0]
    assert memo["metadata"]["team"] == "legal" and memo["document_id"].startswith("upload:")
    assert call(base, keys["admin"], "GET", f"/v1/jobs/{job_id}").status_code == 404  # another key's job


def test_rate_limit_is_per_key_with_retry_after(keyed) -> None:
    base, keys, _ = keyed
    statuses = [call(base, keys["slow"], "GET", "/v1/models") for _ in range(3)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["error"]["type"] == "rate_limit_error"
    assert call(base, keys["admin"], "GET", "/v1/models").status_code == 200  # other keys are unaffected


def test_upload_over_the_limit_is_413(keyed) -> None:
    base, keys, _ = keyed
    big = {"files": ("big.txt", b"x" * (2 * 1024 * 1024), "text/plain")}
    response = call(base, keys["admin"], "POST", "/v1/ingest", files=big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"
