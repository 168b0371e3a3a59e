"""Unit vectors from a text's hash: a stand-in embedder for tests of ingest plumbing, not of quality."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def hash_vectors(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised 16-dim vector per text; equal texts get equal vectors."""
    rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) + 1
            for t in texts]
    matrix = np.vstack(rows) if rows else np.zeros((0, 16), dtype=np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
