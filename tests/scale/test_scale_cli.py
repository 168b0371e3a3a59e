"""``ragloom ingest --index-kind milvus`` / ``--ray`` as a user runs them: real processes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")  # the "scale" extra

SAMPLE = Path(__file__).resolve().parents[2] / "rag" / "sample_corpus"


def ragloom(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def test_ingest_and_search_a_milvus_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    ingested = ragloom("ingest", str(SAMPLE), "--index", str(index), "--index-kind", "milvus", "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["added"] >= 10
    assert json.loads((index / "manifest.json").read_text())["milvus"]["uri"] == "milvus.db"  # inside the folder
    found = ragloom("search", "what does overlap between chunks do?", "--index", str(index), "--json")
    assert found.returncode == 0, found.stderr
    assert "chunk" in found.stdout.lower()


def test_scale_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    bad_uri = ragloom("ingest", str(SAMPLE), "--index", str(tmp_path / "a"), "--index-kind", "milvus",
                      env={"RAGLOOM_MILVUS_URI": "ftp://example.invalid/x"})
    bad_ray = ragloom("ingest", str(SAMPLE), "--index", str(tmp_path / "b"), "--ray", "nowhere")
    read_alone = ragloom("ingest", str(SAMPLE), "--index", str(tmp_path / "c"), "--ray-read")
    for result, message in ((bad_uri, "neither a server URI"), (bad_ray, "--ray needs 'auto'"),
                            (read_alone, "needs a Ray cluster")):
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert result.stderr.startswith("ragloom: error:") and message in result.stderr
