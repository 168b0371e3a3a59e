"""The import-linter contracts in pyproject.toml hold, and `make lint` fails when an import breaks them.

A copy of the source tree is linted twice: as it is (passes) and with one import that breaks the
layering added (fails, naming the contract and the offending import). Nothing is installed: the
copy is put first on PYTHONPATH so `lint-imports` reads the copy, not the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PACKAGES = ("rag", "connectors", "indexes", "ui")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BIN / "lint-imports").exists():
        pytest.fail("lint-imports is missing: install the dev extra (pip install -e '.[dev]')")
    copy = tmp_path_factory.mktemp("tree")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "sample_corpus"))
    for name in ("pyproject.toml", "Makefile"):
        shutil.copy2(ROOT / name, copy / name)
    return copy


def make_lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # `-o install`: use this environment as it is (the copy has no venv to build); BIN= points make at it.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(["make", "--no-print-directory", "-o", "install", "lint", f"BIN={BIN}"], cwd=tree,
                          env=env, capture_output=True, text=True, timeout=300)


def add_line(path: Path, line: str) -> str:
    original = path.read_text(encoding="utf-8")
    path.write_text(original + line + "\n", encoding="utf-8")
    return original


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize(("module", "line", "broken"), [
    ("indexes/filters.py", "from rag.api import RAG  # noqa: E402, F401", "indexes is not allowed to import rag.api"),
    ("rag/core/types.py", "import indexes.factory  # noqa: E402, F401", "rag.core imports nothing of ours"),
    ("ui/export.py", "from rag.core.answer import Citation  # noqa: E402, F401",
     "The UI and the HTTP service import only what"),
    ("rag/retrieval.py", "from indexes.faiss_index import FaissIndex  # noqa: E402, F401",
     "never a backend"),
])
def test_make_lint_fails_on_an_import_that_breaks_the_layering(tree: Path, module: str, line: str,
                                                               broken: str) -> None:
    clean = make_lint(tree)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 broken" in clean.stdout
    original = add_line(tree / module, line)
    try:
        result = make_lint(tree)
    finally:
        (tree / module).write_text(original, encoding="utf-8")
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout
