"""txtai: ``Embeddings`` with the FAISS backend, ``path`` = the local model folder, content stored
(as ragloom stores chunk texts); ingest = ``index`` + ``save``. txtai picks its FAISS index type
itself (it may choose IVF for larger collections); that choice is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from worker_common import WARM_QUERY, ingest_and_query, run


def ingest_query(task: dict[str, Any]) -> dict[str, Any]:
    from txtai import Embeddings

    embeddings = Embeddings(path=task["model_path"], method="sentence-transformers", backend="faiss",
                            content=True, encodebatch=task["batch"])
    used: dict[str, Any] = {}

    def build(texts: list[str], folder: Path) -> Any:
        embeddings.index([(i, t, None) for i, t in enumerate(texts)])
        embeddings.save(str(folder / "txtai"))
        used.update(embeddings.config.get("faiss") or {})
        return embeddings

    def query(store: Any, text: str, k: int) -> list[int]:
        return [int(hit["id"]) for hit in store.search(text, k)]

    def warm() -> None:
        embeddings.index([(0, WARM_QUERY, None)])  # loads the model; the real index replaces this one

    result = ingest_and_query(task, build, query, warm)
    result["faiss_config"] = used
    return result


if __name__ == "__main__":
    run({"ingest_query": ingest_query})
