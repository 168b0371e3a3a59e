"""Crash torture: SIGKILL ingest, delete, sync-full and save at random moments, then check what survived.

One trial: copy a base index, fork a child that runs one operation on it with the real embedder
(already loaded in the parent, so a child costs only its work), and SIGKILL it — after a random
delay within the operation's measured duration, or (operation ``save``) at a random step of a
random save: vector file written but not renamed, before the SQLite commit, after it, before the
manifest. After the kill:

1. the index opens and answers dense, keyword and hybrid searches;
2. ``check_index`` finds nothing but orphan files of the dead save (manifest, SQLite integrity,
   FTS in step, vector checksum, vector ids = chunk ids, no NaN/zero vectors);
3. the operation is rerun to completion, and the index then equals the one an uninterrupted run
   made from the same base: documents and hashes, chunk texts and offsets, vectors (keyed by chunk).

Every ingest checkpoints after each small batch, so a run makes many saves to land in.

    python tests/torture/torture_harness.py --trials 200 --sizes 16,48,120 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

OPERATIONS = ("ingest", "sync-full", "delete", "save")
SAVE_STEPS = ("vector-file-written", "before-commit", "after-commit", "before-manifest")
WORDS = ("lava", "glacier", "espresso", "penguin", "harbour", "orchard", "comet", "violin", "delta", "granite",
         "falcon", "monsoon", "quartz", "saffron", "tundra", "walrus")


def documents(size: int, version: int) -> list[Any]:
    """Version 0 is the base; 1 changes a third and adds a quarter; 2 drops a quarter and changes another."""
    from rag import Document

    def text(i: int, v: int) -> str:
        sentences = [f"Note {i} (edition {v}) is about the {WORDS[(i + s * v + s) % len(WORDS)]} "
                     f"and the {WORDS[(i * 7 + s) % len(WORDS)]}, paragraph {s}." for s in range(12 + i % 20)]
        return " ".join(sentences)

    # One long line first in every version (changed in each): over the chunker's line limit, so it is cut
    # into token windows, and more chunks than an ingest batch (8 here), so it is written batch by batch.
    long = Document("long", " ".join(WORDS[(k * (version + 3) + k // 7) % len(WORDS)] for k in range(2800)))
    if version == 0:
        return [long] + [Document(f"doc{i:04d}", text(i, 0), {"n": i}) for i in range(size)]
    if version == 1:
        return [long] + [Document(f"doc{i:04d}", text(i, 1 if i % 3 == 0 else 0), {"n": i})
                         for i in range(size + size // 4)]
    return [long] + [Document(f"doc{i:04d}", text(i, 2 if i % 4 == 1 else 0), {"n": i}) for i in range(size)
                     if i % 4 != 0]


def victims(size: int) -> list[str]:
    return [f"doc{i:04d}" for i in range(0, size, 3)]


def run_operation(rag: Any, size: int, operation: str) -> None:
    """Run ``operation`` to completion; running it again after a crash finishes the same job."""
    if operation in ("ingest", "save"):
        rag.ingest(documents(size, 1))
    elif operation == "sync-full":
        rag.ingest(documents(size, 2), sync="full")
    else:  # the same delete commands again: those already done say so (and clean up like any writer)
        from rag.core.errors import RagloomError

        for source_id in victims(size):
            try:
                rag.delete(source_id)
            except RagloomError as exc:
                if "no document" not in str(exc):
                    raise


@contextmanager
def checkpoint_every_batch(batch_chunks: int = 8) -> Iterator[None]:
    """Ingests save after every small batch (many saves to kill in); restored afterwards."""
    import rag.api
    import rag.ingest

    original = rag.api.Ingestor

    class Checkpointing(rag.ingest.Ingestor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "batch_chunks": batch_chunks, "checkpoint_seconds": 0.0})

    rag.api.Ingestor = Checkpointing
    try:
        yield
    finally:
        rag.api.Ingestor = original


def kill_at_save_step(step: str, nth: int) -> None:
    """In the child: SIGKILL itself at the ``nth`` time a save reaches ``step``."""
    import indexes.atomic
    import indexes.chunk_store
    import indexes.faiss_index

    count = {"n": 0}

    def arm(original: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(*args: Any, **kwargs: Any) -> Any:
            count["n"] += 1
            if count["n"] >= nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        return hooked

    if step == "vector-file-written":  # every atomic write (vector file, manifest) before its rename
        indexes.atomic.os.replace = arm(os.replace)  # type: ignore[attr-defined]
    elif step == "before-commit":
        indexes.chunk_store.ChunkStore.commit = arm(indexes.chunk_store.ChunkStore.commit)
    elif step == "after-commit":  # committed, the old vector file not yet removed
        indexes.faiss_index.fsync_dir = arm(indexes.faiss_index.fsync_dir)
    else:
        indexes.faiss_index.write_json_atomic = arm(indexes.faiss_index.write_json_atomic)


def state(folder: Path, embedder: Any) -> dict[str, Any]:
    """What a user would compare: documents with hashes, chunks (by document and offsets) with texts and vectors."""
    from rag import RAG

    with RAG(folder, embedder=embedder) as rag:
        index = rag.index
        with index.reading():
            ids = index.chunk_ids().tolist()
            chunks = index.get(ids)
            vectors = index.vectors_of([c.id for c in chunks])
            docs = {d.source_id: (d.content_hash, d.chunk_count) for d in index.documents()}
    return {"documents": docs,
            "chunks": {(c.document_id, c.start, c.end): (c.text, v) for c, v in zip(chunks, vectors, strict=True)}}


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    found = []
    if got["documents"] != want["documents"]:
        found.append(f"documents differ: {len(got['documents'])} vs {len(want['documents'])} "
                     f"({len(set(got['documents']) ^ set(want['documents']))} ids, "
                     f"{sum(got['documents'].get(k) != v for k, v in want['documents'].items())} hashes)")
    if got["chunks"].keys() != want["chunks"].keys():
        found.append(f"chunks differ: {len(got['chunks'])} vs {len(want['chunks'])}")
        return found
    texts = sum(got["chunks"][k][0] != want["chunks"][k][0] for k in want["chunks"])
    if texts:
        found.append(f"{texts} chunk texts differ")
    vectors = sum(not np.allclose(got["chunks"][k][1], want["chunks"][k][1], atol=1e-4) for k in want["chunks"])
    if vectors:
        found.append(f"{vectors} vectors differ")
    return found


def after_kill_problems(folder: Path, embedder: Any) -> list[str]:
    """Broken-index findings right after the kill (orphan files of the dead save are allowed)."""
    from indexes.check import check_index
    from rag import RAG

    problems = [p.text for p in check_index(folder).problems if p.kind != "orphan"]
    try:
        with RAG(folder, embedder=embedder) as rag:
            for mode in ("dense", "keyword", "hybrid"):
                rag.search(f"the {WORDS[3]} and the {WORDS[5]}", k=5, mode=mode)
            with rag.index.reading():
                chunks, vectors = rag.index.count(), rag.index._live.ntotal
            if chunks != vectors:
                problems.append(f"{chunks} chunks but {vectors} vectors")
    except Exception as exc:  # noqa: BLE001 - any failure to open or search is a broken index
        problems.append(f"{type(exc).__name__}: {exc}")
    return problems


class Torture:
    def __init__(self, work: Path, embedder: Any, seed: int = 0) -> None:
        self.work = work
        self.embedder = embedder
        self.rng = random.Random(seed)
        self.bases: dict[int, Path] = {}
        self.references: dict[tuple[int, str], tuple[dict[str, Any], float]] = {}
        self.count = 0

    def base(self, size: int) -> Path:
        from rag import RAG

        if size not in self.bases:
            folder = self.work / f"base-{size}"
            with RAG(folder, embedder=self.embedder) as rag:
                rag.ingest(documents(size, 0))
            self.bases[size] = folder
        return self.bases[size]

    def reference(self, size: int, operation: str) -> tuple[dict[str, Any], float]:
        """The uninterrupted run's final state, and how long the operation took."""
        from rag import RAG

        key = (size, "ingest" if operation == "save" else operation)
        if key not in self.references:
            folder = self.work / f"reference-{size}-{key[1]}"
            shutil.copytree(self.base(size), folder)
            started = time.perf_counter()
            with RAG(folder, embedder=self.embedder) as rag:
                run_operation(rag, size, operation)
            self.references[key] = (state(folder, self.embedder), time.perf_counter() - started)
        return self.references[key]

    def trial(self, size: int, operation: str) -> dict[str, Any]:
        from rag import RAG

        want, duration = self.reference(size, operation)
        self.count += 1
        folder = self.work / f"trial-{self.count}"
        shutil.copytree(self.base(size), folder)
        delay = self.rng.uniform(0.0, duration * 0.6)  # a forked child runs faster than the reference did
        step, nth = self.rng.choice(SAVE_STEPS), self.rng.randint(1, max(2, size // 8))
        pid = os.fork()
        if pid == 0:  # the child: run the operation until killed
            code = 0
            try:
                if operation == "save":
                    kill_at_save_step(step, nth)
                with RAG(folder, embedder=self.embedder) as rag:
                    run_operation(rag, size, operation)
            except BaseException:  # noqa: BLE001 - reported through the exit status
                traceback.print_exc()
                code = 3
            finally:
                os._exit(code)
        if operation != "save":
            time.sleep(delay)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        result: dict[str, Any] = {
            "trial": self.count, "size": size, "operation": operation, "killed": killed,
            "kill": f"{step} #{nth}" if operation == "save" else f"after {delay:.2f} s"}
        if not killed and os.WEXITSTATUS(status) != 0:
            result["broken"] = [f"the operation failed (exit {os.WEXITSTATUS(status)}) before any kill"]
        else:
            result["broken"] = after_kill_problems(folder, self.embedder)
        try:
            with RAG(folder, embedder=self.embedder) as rag:  # the rerun
                run_operation(rag, size, operation)
            got = state(folder, self.embedder)
            result["unequal"] = differences(got, want)
            from indexes.check import check_index

            result["unequal"] += [f"after the rerun: {p.text}" for p in check_index(folder).problems]
        except Exception as exc:  # noqa: BLE001
            result["unequal"] = [f"rerun failed: {type(exc).__name__}: {exc}"]
        shutil.rmtree(folder, ignore_errors=True)
        return result


def run(trials: int, sizes: list[int], embedder: Any, seed: int = 0, progress: bool = False) -> dict[str, Any]:
    """``trials`` trials cycling through the operations and sizes; a summary with every failure."""
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="ragloom-torture-") as work, checkpoint_every_batch():
        torture = Torture(Path(work), embedder, seed)
        plan = [(size, op) for size in sizes for op in OPERATIONS]
        for n in range(trials):
            size, operation = plan[n % len(plan)]
            results.append(torture.trial(size, operation))
            if progress:
                r = results[-1]
                status = "BROKEN" if r["broken"] else "UNEQUAL" if r["unequal"] else "ok"
                print(f"{n + 1:4d}/{trials} size {size:4d} {operation:9s} {r['kill']:28s} "
                      f"{'killed' if r['killed'] else 'finished'}  {status}", file=sys.stderr, flush=True)
    failures = [r for r in results if r["broken"] or r["unequal"]]
    return {
        "trials": len(results), "killed": sum(r["killed"] for r in results),
        "broken_indexes": sum(bool(r["broken"]) for r in results),
        "unequal_reruns": sum(bool(r["unequal"]) for r in results),
        "failures": failures, "sizes": sizes, "seed": seed,
        "by_operation": {op: sum(r["operation"] == op for r in results) for op in OPERATIONS},
        "seconds": round(time.perf_counter() - started, 1), "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--sizes", default="12,24", help="documents in the base index, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", metavar="FILE", help="write the summary here")
    args = parser.parse_args()
    from rag.embeddings import create_embedder

    embedder = create_embedder()
    embedder.warm_up()
    summary = run(args.trials, [int(s) for s in args.sizes.split(",")], embedder, args.seed, progress=True)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"{summary['trials']} trials ({summary['killed']} killed mid-operation), "
          f"{summary['broken_indexes']} broken indexes, {summary['unequal_reruns']} unequal reruns, "
          f"{summary['seconds']} s")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
