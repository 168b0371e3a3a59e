"""The CI subset of the crash torture (``bench/torture.py`` runs the long one): random SIGKILLs during
ingest, delete, sync-full and save never leave a broken index, and a rerun always ends equal to an
uninterrupted run. See ``torture_harness`` for what one trial checks."""

from __future__ import annotations

import os

from torture_harness import OPERATIONS, run


def test_random_sigkills_never_break_the_index_and_reruns_end_equal(embedder) -> None:
    seed = int(os.environ.get("RAGLOOM_TORTURE_SEED", "0"))  # a failure names its seed: rerun with it
    summary = run(trials=12, sizes=[8, 16], embedder=embedder, seed=seed)
    assert summary["trials"] == 12 and all(summary["by_operation"][op] == 3 for op in OPERATIONS)
    assert summary["killed"] >= 8, summary["results"]  # most kills land mid-operation
    assert summary["failures"] == [], f"seed {seed}: {summary['failures']}"
