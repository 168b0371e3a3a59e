"""Without the ``scale`` extra, the Milvus kind and ``--ray`` say which extra to install (and nothing else breaks)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from indexes import factory
from rag.chunking import ChunkingSettings
from rag.core.errors import BackendMissingError
from rag.distributed import RayChunkEmbedStage


def test_milvus_kind_without_pymilvus_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("indexes.milvus_index", "indexes.milvus_client"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # "import pymilvus" now fails as if not installed
    with pytest.raises(BackendMissingError, match=r"'milvus' needs the package 'pymilvus'.*ragloom\[scale\]"):
        factory.create_index("milvus", tmp_path / "i", embedder="e", dimension=4)
    assert not (tmp_path / "i").exists()
    factory.create_index("flat", tmp_path / "f", embedder="e", dimension=4).close()  # the default is unaffected


def test_ray_without_ray_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(BackendMissingError, match=r"needs the package 'ray'.*ragloom\[scale\]"):
        RayChunkEmbedStage("local", "all-MiniLM-L6-v2", ChunkingSettings())
