"""Distributed ingest on a real 2-node Ray cluster (head + one worker node, both on 127.0.0.1).

The index a Ray ingest builds must equal a local ingest of the same folder: the same documents
and hashes, the same chunk texts in the same order, vectors equal to 1e-5, the same report; and a
second run (one file changed, one removed, ``--sync full``) must change both the same way.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

# Before Ray is imported: node addresses stay on 127.0.0.1 instead of the machine's public address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
ray = pytest.importorskip("ray")  # the "scale" extra
from ray.cluster_utils import Cluster  # noqa: E402

from rag import RAG  # noqa: E402
from rag.config import Settings  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "rag" / "sample_corpus"
NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "object_store_memory": 80 * 1024**2}


@pytest.fixture(scope="module")
def cluster():
    # Ray's own waits are 30 s; on a loaded shared machine a node can take longer to register.
    made = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False, "wait": False})
    try:
        made.add_node(wait=False, **NODE)
        made.wait_for_nodes(timeout=180)
        yield made
    finally:
        if ray.is_initialized():
            ray.shutdown()
        made.shutdown()


def snapshot(rag: RAG) -> tuple[list, dict[str, list[str]], dict[str, np.ndarray]]:
    documents = [(d.source_id, d.content_hash, d.chunk_count, d.metadata) for d in rag.documents()]
    texts: dict[str, list[str]] = {}
    vectors: dict[str, np.ndarray] = {}
    for source_id, *_ in documents:
        ids = rag.chunk_ids({"document_id": source_id})
        chunks = sorted(rag.chunks(ids), key=lambda c: c.start)
        texts[source_id] = [c.text for c in chunks]
        vectors[source_id] = rag.vectors_of([c.id for c in chunks])
    return documents, texts, vectors


def assert_same_index(local: RAG, distributed: RAG) -> None:
    local_docs, local_texts, local_vectors = snapshot(local)
    ray_docs, ray_texts, ray_vectors = snapshot(distributed)
    assert ray_docs == local_docs and len(local_docs) >= 10
    assert ray_texts == local_texts
    for source_id, expected in local_vectors.items():
        np.testing.assert_allclose(ray_vectors[source_id], expected, atol=1e-5)


def comparable(report) -> dict:
    return {k: v for k, v in report.to_dict().items() if k != "seconds"}


def test_ray_ingest_equals_local_ingest(cluster, tmp_path: Path, embedder) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(SAMPLE, folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    settings = Settings(index_kind="flat")
    with RAG(tmp_path / "local", settings=settings, embedder=embedder) as local, \
            RAG(tmp_path / "ray", settings=settings, embedder=embedder) as distributed, \
            RAG(tmp_path / "ray-read", settings=settings, embedder=embedder) as read_remotely:
        local_report = local.ingest([folder])
        ray_report = distributed.ingest([folder], ray=cluster.address)
        assert not ray.is_initialized()  # the stage shut down the connection it opened
        assert comparable(ray_report) == comparable(local_report)
        assert ray_report.added >= 10 and ray_report.skipped == 1 and ray_report.chunks > 20
        assert_same_index(local, distributed)
        # The workers read and parse the files too: still the same index.
        assert comparable(read_remotely.ingest([folder], ray=cluster.address, read_on_workers=True)) == \
            comparable(local_report)
        assert_same_index(local, read_remotely)

        # Incremental sync on the cluster: one file changed, one gone, a full mirror.
        first = sorted(folder.glob("*.md"))
        first[0].write_text(first[0].read_text(encoding="utf-8") + "\n\nA new closing paragraph.\n", encoding="utf-8")
        first[1].unlink()
        local_again = local.ingest([folder], sync="full")
        ray_again = distributed.ingest([folder], sync="full", ray=cluster.address)
        assert comparable(ray_again) == comparable(local_again)
        assert ray_again.updated >= 1 and ray_again.deleted >= 1 and ray_again.unchanged >= 8  # sections are documents
        assert_same_index(local, distributed)


def test_ray_address_mistakes_are_one_line_errors(tmp_path: Path, embedder) -> None:
    from rag.core.errors import RagloomError

    with RAG(tmp_path / "i", settings=Settings(), embedder=embedder) as rag:
        with pytest.raises(RagloomError, match="--ray needs 'auto', 'local' or a head node address"):
            rag.ingest([SAMPLE], ray="nowhere")
        with pytest.raises(RagloomError, match="needs a Ray cluster"):
            rag.ingest([SAMPLE], read_on_workers=True)
