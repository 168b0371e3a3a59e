"""``ragloom reembed``: give every chunk of a FAISS index a vector from another embedder.

Chunk ids, chunk texts, document records (content hashes, sync state) and the keyword index stay
exactly as they are; only the vectors and the manifest's embedder change. The new vectors are
saved as a new generation the usual way (``FaissIndex.save``: new vector file, then one SQLite
commit, then the manifest), so a run killed before the commit leaves the old index untouched, and
a run killed after it is finished by running the command again (the commit already names the new
embedder; only ``manifest.json`` is rewritten).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexes.atomic import write_json_atomic
from indexes.chunk_store import ChunkStore
from indexes.faiss_index import FaissIndex
from indexes.faiss_kinds import KINDS, new_vectors
from indexes.folder import STORE_NAME
from indexes.locking import WriterLock
from indexes.manifest import MANIFEST_NAME, read_manifest
from rag.core.errors import RagloomError

Embed = Callable[[Sequence[str]], np.ndarray]


def reembed_index(folder: Path, embedder: str, dimension: int, embed: Embed, embedder_path: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Re-embed every chunk in ``folder`` with ``embed`` (texts -> unit vectors of ``dimension``).

    Returns ``{"chunks": n, "from": old name, "to": new name, "done": "reembedded" | "finished" | "unchanged"}``.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest["vector_index"]["kind"]
    if kind not in KINDS:
        raise RagloomError(f"reembed works on FAISS indexes ({', '.join(KINDS)}); {folder} is a {kind} index: "
                           "ingest its sources into a new index with --embedder instead")
    lock = WriterLock(folder)
    lock.acquire()
    store = ChunkStore(folder / STORE_NAME)
    try:
        manifest = read_manifest(folder)  # again, under the lock
        old = manifest["embedder"]["name"]
        target = {"name": embedder, "dimension": dimension, **({"path": embedder_path} if embedder_path else {})}
        committed = json.loads(store.get_setting("manifest") or "{}")
        if committed.get("embedder", {}).get("name") == embedder and old != embedder:
            # an earlier run committed the new vectors and died before rewriting manifest.json
            write_json_atomic(folder / MANIFEST_NAME, committed)
            return {"chunks": store.count_chunks(), "from": old, "to": embedder, "done": "finished"}
        if old == embedder and manifest["embedder"]["dimension"] == dimension:
            return {"chunks": store.count_chunks(), "from": old, "to": embedder, "done": "unchanged"}
        total = store.count_chunks()
        vectors = new_vectors(kind, dimension)
        done = 0
        for batch in store.all_chunks(batch=256):
            values = np.asarray(embed([text for _, text in batch]), dtype=np.float32)
            if values.shape != (len(batch), dimension):
                raise RagloomError(f"embedder {embedder} returned vectors of shape {values.shape}, "
                                   f"expected ({len(batch)}, {dimension})")
            vectors.add(np.array([i for i, _ in batch], dtype=np.int64), values)
            done += len(batch)
            if progress:
                progress(done, total)
        manifest["embedder"] = target
        index = FaissIndex(folder, manifest, store, vectors, lock=lock)
        store.set_setting("reembedded", json.dumps({"from": old, "to": embedder, "at": int(time.time())}))
        index.save()  # new generation: vector file, commit, manifest
    finally:
        store.close()  # anything not committed is rolled back
        lock.release()
    return {"chunks": total, "from": old, "to": embedder, "done": "reembedded"}
