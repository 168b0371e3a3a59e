"""The CI subset of the crash torture (``bench/torture.py`` runs the long one): random SIGKILLs during
ingest, delete, sync-full and save never leave a broken index, and a rerun always ends equal to an
uninterrupted run. See ``torture_harness`` for what one trial checks."""

from __future__ import annotations

import os
import shutil
import signal

from torture_harness import (
    OPERATIONS,
    Torture,
    after_kill_problems,
    checkpoint_every_batch,
    differences,
    run,
    run_operation,
    state,
)

from rag import RAG


def test_random_sigkills_never_break_the_index_and_reruns_end_equal(embedder) -> None:
    seed = int(os.environ.get("RAGLOOM_TORTURE_SEED", "0"))  # a failure names its seed: rerun with it
    summary = run(trials=12, sizes=[8, 16], embedder=embedder, seed=seed)
    assert summary["trials"] == 12 and all(summary["by_operation"][op] == 3 for op in OPERATIONS)
    assert summary["killed"] >= 8, summary["results"]  # most kills land mid-operation
    assert summary["failures"] == [], f"seed {seed}: {summary['failures']}"


def test_a_sigkill_inside_a_streamed_document_leaves_the_last_save_and_a_rerun_ends_equal(embedder, tmp_path) -> None:
    """The corpus's long document is written batch by batch (``rag.ingest`` streams it): a kill between its
    batches must leave the index exactly as the last save left it, never part of the new version."""
    with checkpoint_every_batch():
        torture = Torture(tmp_path, embedder)
        want, _ = torture.reference(8, "ingest")
        before = state(torture.base(8), embedder)
        folder = tmp_path / "killed"
        shutil.copytree(torture.base(8), folder)
        pid = os.fork()
        if pid == 0:  # the child: ingest, and die as the long document's third batch is written
            code = 0
            try:
                from indexes.chunk_store import ChunkStore

                add = ChunkStore.add_chunks

                def dying(store, document_id, chunks, first_seq=0):  # noqa: ANN001, ANN202
                    if document_id == "long" and first_seq >= 16:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return add(store, document_id, chunks, first_seq)

                ChunkStore.add_chunks = dying  # type: ignore[method-assign]
                with RAG(folder, embedder=embedder) as rag:
                    run_operation(rag, 8, "ingest")
            except BaseException:  # noqa: BLE001 - reported through the exit status
                code = 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL  # it died mid-document
        assert after_kill_problems(folder, embedder) == []
        assert differences(state(folder, embedder), before) == []  # the old version, whole
        with RAG(folder, embedder=embedder) as rag:
            run_operation(rag, 8, "ingest")
        assert differences(state(folder, embedder), want) == []
