"""LlamaIndex: ``HuggingFaceEmbedding`` + ``FaissVectorStore`` (an ``IndexFlatIP``) under a
``VectorStoreIndex`` built from one ``TextNode`` per chunk; ingest ends with ``persist``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from worker_common import WARM_QUERY, ingest_and_query, run


def ingest_query(task: dict[str, Any]) -> dict[str, Any]:
    import faiss
    from llama_index.core import Settings, StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    model = HuggingFaceEmbedding(model_name=task["model_path"], device="cpu", embed_batch_size=task["batch"],
                                 normalize=True)
    Settings.llm = None  # retrieval only: no language model is configured or loaded
    Settings.embed_model = model

    def build(texts: list[str], folder: Path) -> Any:
        store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(task["dimension"]))
        context = StorageContext.from_defaults(vector_store=store)
        nodes = [TextNode(text=t, id_=str(i)) for i, t in enumerate(texts)]
        index = VectorStoreIndex(nodes, storage_context=context, embed_model=model)
        context.persist(persist_dir=str(folder / "llamaindex"))
        return index.as_retriever(similarity_top_k=task.get("k", 10))

    def query(retriever: Any, text: str, k: int) -> list[int]:
        return [int(hit.node.node_id) for hit in retriever.retrieve(text)]

    return ingest_and_query(task, build, query, lambda: model.get_query_embedding(WARM_QUERY) and None)


if __name__ == "__main__":
    run({"ingest_query": ingest_query})
