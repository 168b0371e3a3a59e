"""Ingest jobs: progress, cancel, and a job SIGKILLed half way that resumes on restart and ends equal to an
uninterrupted one (``ragloom serve`` as a real child process)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.service.server_helpers import ServeProcess

TOPICS = ("river", "mountain", "harbour", "orchard", "glacier", "desert", "forest", "canyon", "meadow", "island")


def corpus_files(count: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        text = (f"# Field note {i}: the {topic}\n\n" + " ".join(
            f"Observation {j} of note {i} describes the {topic} at hour {j}, with its colours and sounds."
            for j in range(12)) + "\n")
        files.append(("files", (f"note-{i:03d}.md", text.encode(), "text/markdown")))
    return files


def start_job(base: str, collection: str, files) -> str:
    response = httpx.post(f"{base}/v1/ingest", files=files, data={"collection": collection}, timeout=120)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def job(base: str, job_id: str) -> dict:
    return httpx.get(f"{base}/v1/jobs/{job_id}", timeout=30).json()


def wait_finished(base: str, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while (state := job(base, job_id))["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, state
        time.sleep(0.1)
    return state


def index_state(folder: Path) -> tuple[list[tuple[str, str, int]], int, list[list[tuple[str, str]]]]:
    from rag import RAG

    with RAG.open(folder) as rag:
        documents = sorted((d.source_id, d.content_hash, d.chunk_count) for d in rag.documents())
        hits = [[(h.chunk.document_id, h.chunk.text) for h in rag.search(f"the {topic} at hour 3", k=5)]
                for topic in TOPICS[:3]]
        return documents, rag.info()["chunks"], hits


def test_killed_job_resumes_and_ends_equal_to_an_uninterrupted_one(tmp_path: Path) -> None:
    files = corpus_files(24)
    killed_index, clean_index = tmp_path / "killed", tmp_path / "clean"
    server = ServeProcess([f"killed={killed_index}"], tmp_path / "serve.log")
    try:
        job_id = start_job(server.base, "killed", files)
        deadline = time.monotonic() + 120
        while (done := job(server.base, job_id)["progress"]["items_done"]) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        server.kill()
    finally:
        server.stop()
    assert done < len(files), "the job finished before it could be killed half way"

    server = ServeProcess([f"killed={killed_index}", f"clean={clean_index}"], tmp_path / "serve.log")
    try:
        clean_id = start_job(server.base, "clean", files)
        resumed = wait_finished(server.base, job_id)
        clean = wait_finished(server.base, clean_id)
    finally:
        server.stop()
    assert resumed["status"] == "done" and resumed["progress"]["items_done"] == len(files)
    assert clean["status"] == "done" and clean["counts"]["added"] == len(files)
    assert all(not item["errors"] for item in resumed["items"])
    assert index_state(killed_index) == index_state(clean_index)
    assert not any((killed_index / ".ragloom-service" / "uploads").iterdir())  # uploads removed when done


def test_job_progress_and_cancel(tmp_path: Path) -> None:
    server = ServeProcess([f"notes={tmp_path / 'notes'}"], tmp_path / "serve.log")
    try:
        first = start_job(server.base, "notes", corpus_files(24))
        second = start_job(server.base, "notes", corpus_files(3))  # queued behind the first
        cancelled = httpx.post(f"{server.base}/v1/jobs/{first}/cancel", timeout=30).json()
        assert cancelled["status"] in ("running", "cancelled")
        state = wait_finished(server.base, first)
        assert state["status"] == "cancelled" and state["progress"]["items_done"] < 24
        after = wait_finished(server.base, second)
        assert after["status"] == "done"
        assert httpx.get(f"{server.base}/v1/jobs/job-unknown", timeout=30).status_code == 404
    finally:
        server.stop()


@pytest.mark.parametrize("body", [{}, {"urls": "ftp://example.com/file"}])
def test_bad_ingest_requests_are_400(tmp_path: Path, team_service: str, body: dict) -> None:
    response = httpx.post(f"{team_service}/v1/ingest", data=body, timeout=30)
    assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"
