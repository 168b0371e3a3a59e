"""The ``ragloom`` command as a user runs it: real process, real index, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli.main import main


def ragloom(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli.main", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    docs = root / "docs"
    docs.mkdir()
    (docs / "volcano.md").write_text("# Volcanoes\n\nLava is molten rock that erupts from a volcano.\n")
    (docs / "bread.txt").write_text("Sourdough bread rises with wild yeast and lactic acid bacteria.\n")
    (docs / "empty.txt").write_text("")
    index = root / "index"
    result = ragloom("ingest", str(docs), "--index", str(index), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("added", "updated", "unchanged", "deleted", "skipped", "failed")} == {
        "added": 2, "updated": 0, "unchanged": 0, "deleted": 0, "skipped": 1, "failed": 0}
    assert [e["source"] for e in report["errors"]] == [str((docs / "empty.txt").resolve())]
    assert report["errors"][0]["reason"]
    return docs, index


def test_help_reads_well() -> None:
    result = ragloom("--help")
    assert result.returncode == 0
    for command in ("ingest", "search", "info", "eval"):
        assert f"    {command}" in result.stdout
    assert "examples:" in result.stdout


def test_search_json(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    result = ragloom("search", "what comes out of a volcano?", "--index", str(index), "-k", "2", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert [h["rank"] for h in hits] == [1, 2]
    assert {"rank", "score", "text", "document_id", "source", "metadata"} <= set(hits[0])
    assert "Lava" in hits[0]["text"] and hits[0]["score"] > hits[1]["score"]


def test_search_with_filter(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    result = ragloom("search", "volcano", "--index", str(index), "--filter", "file_type=text", "--json")
    hits = json.loads(result.stdout)
    assert len(hits) == 1 and "Sourdough" in hits[0]["text"]


def test_info_json(indexed: tuple[Path, Path]) -> None:
    _, index = indexed
    info = json.loads(ragloom("info", "--index", str(index), "--json").stdout)
    assert info["documents"] >= 2 and info["chunks"] >= 2
    assert (info["embedder"], info["dimension"]) == ("all-MiniLM-L6-v2", 384)
    assert info["bytes"] == sum(p.stat().st_size for p in index.iterdir() if p.is_file())


def test_reingest_reports_unchanged(indexed: tuple[Path, Path]) -> None:
    docs, index = indexed
    report = json.loads(ragloom("ingest", str(docs), "--index", str(index), "--json").stdout)
    assert (report["added"], report["unchanged"]) == (0, 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "x", "--index", "/nonexistent/index"], "no index at /nonexistent/index"),
        (["ingest", "/no/such/folder", "--index", "{tmp}/i"], "no such file or folder: /no/such/folder"),
        (["search", "x", "--index", "{index}", "--filter", "==="], "cannot read filter"),
        (["search", "x", "--index", "{index}", "-k", "0"], "k must be at least 1"),
        (["ingest", "--index", "{tmp}/i"], "nothing to ingest"),
        (["ingest", "{docs}", "--index", "{index}", "--index-kind", "ivf"], "--index-kind only applies when creating"),
    ],
)
def test_user_mistakes_give_one_line_errors(indexed: tuple[Path, Path], tmp_path: Path, args: list[str],
                                            message: str) -> None:
    docs, index = indexed
    args = [a.format(tmp=tmp_path, index=index, docs=docs) for a in args]
    result = ragloom(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("ragloom: error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_settings_from_file_and_environment(indexed: tuple[Path, Path], tmp_path: Path) -> None:
    _, index = indexed
    (tmp_path / "ragloom.toml").write_text(f'index = "{index}"\nk = 1\n')
    hits = json.loads(ragloom("search", "bread", "--json", cwd=tmp_path).stdout)
    assert len(hits) == 1
    hits = json.loads(ragloom("search", "bread", "--json", cwd=tmp_path, env={"RAGLOOM_K": "2"}).stdout)
    assert len(hits) == 2
    (tmp_path / "ragloom.toml").write_text('colour = "blue"\n')
    result = ragloom("info", cwd=tmp_path)
    assert result.returncode == 2 and "unknown setting(s)" in result.stderr


def test_index_kind_is_chosen_when_the_index_is_created(indexed: tuple[Path, Path], tmp_path: Path) -> None:
    docs, _ = indexed
    result = ragloom("ingest", str(docs), "--index", str(tmp_path / "i"), "--index-kind", "ivf", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(ragloom("info", "--index", str(tmp_path / "i"), "--json").stdout)
    assert info["index_kind"] == "ivf"
    hits = json.loads(ragloom("search", "molten rock", "--index", str(tmp_path / "i"), "--json").stdout)
    assert "Lava" in hits[0]["text"]  # a small ivf index searches exactly until it has enough vectors to train


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: ragloom" in capsys.readouterr().out
