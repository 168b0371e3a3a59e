"""The index manifest: what built an index, checked every time it is opened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.core.errors import IndexCorruptError, IndexMismatchError

FORMAT = "ragloom-index"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


def new_manifest(embedder: str, dimension: int, kind: str, chunking: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "embedder": {"name": embedder, "dimension": dimension},
        "vector_index": {"kind": kind, "metric": "cosine (inner product on unit vectors)"},
        "chunking": chunking,
        "counts": {"documents": 0, "chunks": 0},
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{folder} is not a ragloom index (no {MANIFEST_NAME})") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not valid JSON"
        raise IndexCorruptError(f"cannot read {path} ({reason}); run `ragloom check --index {folder} --repair` "
                                "to rebuild it from the chunk store") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not _well_formed(manifest):
        raise IndexCorruptError(f"{path} is not a ragloom index manifest; run "
                                f"`ragloom check --index {folder} --repair` to rebuild it from the chunk store")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index {folder} has format version {manifest.get('format_version')}; "
            f"this ragloom reads version {FORMAT_VERSION}. Re-ingest into a new index."
        )
    return manifest


def _well_formed(manifest: dict[str, Any]) -> bool:
    embedder, vectors = manifest.get("embedder"), manifest.get("vector_index")
    return (isinstance(embedder, dict) and isinstance(embedder.get("name"), str)
            and isinstance(embedder.get("dimension"), int) and isinstance(vectors, dict)
            and isinstance(vectors.get("kind"), str))


def check_embedder(manifest: dict[str, Any], folder: Path, name: str | None, dimension: int | None) -> None:
    built = manifest["embedder"]
    if (name is not None and name != built["name"]) or (dimension is not None and dimension != built["dimension"]):
        raise IndexMismatchError(
            f"index {folder} was built with embedder {built['name']!r} ({built['dimension']} dims), "
            f"not {name!r} ({dimension} dims); use that embedder, ingest into a new index, or switch it with "
            f"`ragloom reembed --index {folder} --embedder DIR`"
        )
