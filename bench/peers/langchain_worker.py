"""LangChain: ``HuggingFaceEmbeddings`` (sentence-transformers) + the ``FAISS`` vector store.

Ingest = ``FAISS.from_texts`` + ``save_local``; ``ingest_folder`` (bench/mixed_formats.py) reads a folder of
mixed files with LangChain's own loaders, one per suffix, and splits them with ``RecursiveCharacterTextSplitter``
in tokens of the same tokenizer before ``FAISS.from_documents``. The index is never loaded back
(``load_local`` would need its unsafe-deserialisation opt-in: its docstore is a pickle).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from worker_common import WARM_QUERY, ingest_and_query, peak_rss_mb, percentile, read_json, run

Failures = dict[str, list[dict[str, str]]]  # suffix -> [{source, reason}]


def embeddings(task: dict[str, Any]) -> Any:
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=task["model_path"], model_kwargs={"device": "cpu"},
                                 encode_kwargs={"normalize_embeddings": True, "batch_size": task["batch"]})


def ingest_query(task: dict[str, Any]) -> dict[str, Any]:
    from langchain_community.vectorstores import FAISS

    model = embeddings(task)

    def build(texts: list[str], folder: Path) -> Any:
        store = FAISS.from_texts(texts, model, metadatas=[{"i": i} for i in range(len(texts))])
        store.save_local(str(folder / "langchain"))
        return store

    def query(store: Any, text: str, k: int) -> list[int]:
        return [d.metadata["i"] for d, _ in store.similarity_search_with_score(text, k=k)]

    return ingest_and_query(task, build, query, lambda: model.embed_query(WARM_QUERY) and None)


def index_only(task: dict[str, Any]) -> dict[str, Any]:
    """Precomputed vectors into LangChain's FAISS store (exact; its only index), queries embedded live."""
    from langchain_community.vectorstores import FAISS

    model = embeddings(task)
    model.embed_query(WARM_QUERY)
    vectors = np.load(task["vectors"], mmap_mode="r")
    queries: list[str] = read_json(task["queries"])
    started = time.perf_counter()
    pairs = ((str(i), vectors[i].tolist()) for i in range(len(vectors)))
    store = FAISS.from_embeddings(pairs, model, distance_strategy="MAX_INNER_PRODUCT")
    build_seconds = time.perf_counter() - started
    latencies = []
    for text in queries:
        start = time.perf_counter()
        store.similarity_search_with_score(text, k=10)
        latencies.append((time.perf_counter() - start) * 1000)
    return {"n": len(vectors), "kinds": {"flat": {"build_seconds": build_seconds, "recall_at_10": 1.0,
                                                  "query_p50_ms": percentile(latencies, 50),
                                                  "query_p95_ms": percentile(latencies, 95)}}}


def folder_loaders() -> dict[str, Any]:
    """Suffix -> LangChain loader for one file: the loader a LangChain user picks for each format."""
    from langchain_community.document_loaders import (
        BSHTMLLoader,
        CSVLoader,
        Docx2txtLoader,
        JSONLoader,
        PyPDFLoader,
        TextLoader,
    )

    return {
        ".txt": lambda p: TextLoader(p, encoding="utf-8"),
        ".md": lambda p: TextLoader(p, encoding="utf-8"),  # UnstructuredMarkdownLoader needs `unstructured`
        ".html": lambda p: BSHTMLLoader(p, open_encoding="utf-8"),
        ".pdf": PyPDFLoader,  # one document per page
        ".docx": Docx2txtLoader,
        ".csv": lambda p: CSVLoader(p, encoding="utf-8"),  # one document per row
        ".json": lambda p: JSONLoader(p, jq_schema=".[]", content_key="text"),
        ".jsonl": lambda p: JSONLoader(p, jq_schema=".", content_key="text", json_lines=True),
    }


def load_folder(root: Path, loaders: dict[str, Any]) -> tuple[list[Any], dict[str, int], Failures]:
    """Every supported file under ``root`` (sorted walk, hidden entries skipped, as ragloom does).

    A loader that raises on a file is recorded under the file's suffix and the walk goes on.
    """
    documents: list[Any] = []
    files: dict[str, int] = {}  # files read, by suffix
    failures: Failures = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            make = loaders.get(path.suffix.lower())
            if name.startswith(".") or make is None:
                continue
            try:
                documents.extend(make(str(path)).load())
                files[path.suffix.lstrip(".")] = files.get(path.suffix.lstrip("."), 0) + 1
            except Exception as exc:  # noqa: BLE001 - one bad file is a result to report, not a crash
                failures.setdefault(path.suffix.lstrip("."), []).append(
                    {"source": str(path), "reason": f"{type(exc).__name__}: {exc}"[:300]})
    return documents, files, failures


def ingest_folder(task: dict[str, Any]) -> dict[str, Any]:
    """Loaders + splitter + ``FAISS.from_documents`` + ``save_local`` on a folder of mixed files, then the queries."""
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from transformers import AutoTokenizer

    model = embeddings(task)
    model.embed_query(WARM_QUERY)
    # ragloom's chunker counts tokens of the embedder's tokenizer too: same sizes, comparable chunks
    tokenizer = AutoTokenizer.from_pretrained(task["model_path"])
    loaders = folder_loaders()
    rss_loaded = peak_rss_mb()
    started = time.perf_counter()
    documents, files, failures = load_folder(Path(task["corpus"]), loaders)
    loaded = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
        tokenizer, chunk_size=task["chunk_tokens"], chunk_overlap=task["overlap_tokens"])
    chunks = splitter.split_documents(documents)
    split = time.perf_counter()
    store = FAISS.from_documents(chunks, model)
    store.save_local(str(Path(task["folder"]) / "langchain"))
    ingest_seconds = time.perf_counter() - started
    # LangChain's steps run one after the other, so each can be timed (ragloom overlaps them)
    phases = {"load": loaded - started, "split": split - loaded, "embed_index_save": started + ingest_seconds - split}
    rss_ingest = peak_rss_mb()
    queries: list[str] = read_json(task["queries"])
    store.similarity_search_with_score(WARM_QUERY, k=task["k"])
    tops, latencies = [], []
    for text in queries:
        start = time.perf_counter()
        hits = store.similarity_search_with_score(text, k=task["k"])
        latencies.append((time.perf_counter() - start) * 1000)
        tops.append([d.page_content for d, _ in hits])
    return {"ingest_seconds": ingest_seconds, "files": sum(files.values()), "files_by_format": files,
            "documents": len(documents), "chunks": len(chunks), "failures": failures, "tops": tops,
            "query_p50_ms": percentile(latencies, 50),
            "rss_models_loaded_mb": rss_loaded, "peak_rss_ingest_mb": rss_ingest,
            "phases_seconds": phases, "embedder": f"HuggingFaceEmbeddings({Path(task['model_path']).name})"}


if __name__ == "__main__":
    run({"ingest_query": ingest_query, "ingest_folder": ingest_folder, "index": index_only})
