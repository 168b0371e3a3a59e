"""Crash torture, long mode: hundreds of random SIGKILLs during ingest, delete, sync-full and save.

Runs ``tests/torture/torture_harness.py`` (the suite whose CI subset is ``tests/torture``) in a
child process and records the summary in ``bench/results/torture-<time>.json`` (and
``torture-latest.json``): trials, kills that landed mid-operation, broken indexes, reruns unequal to
an uninterrupted run, every failure in full, the load average.

    python bench/torture.py                  # --long: 240 trials over base indexes of 16, 40 and 80 documents
    python bench/torture.py --trials 24      # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, write_results  # noqa: E402

HARNESS = ROOT / "tests" / "torture" / "torture_harness.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long", action="store_true", help="the full run (the default when --trials is not given)")
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--sizes", default="16,40,80", help="documents in the base index, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    trials = args.trials if args.trials is not None else 240
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "summary.json"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        subprocess.run([sys.executable, str(HARNESS), "--trials", str(trials), "--sizes", args.sizes,
                        "--seed", str(args.seed), "--json", str(out)], env=env, check=False)
        summary = json.loads(out.read_text())
    results = summary.pop("results")
    path = write_results("torture", {**summary, "load_average": {"before": load_before, "after": os.getloadavg()},
                                     "trials_detail": results})
    rows = []
    for operation in ("ingest", "sync-full", "delete", "save"):
        mine = [r for r in results if r["operation"] == operation]
        rows.append([operation, len(mine), sum(r["killed"] for r in mine), sum(bool(r["broken"]) for r in mine),
                     sum(bool(r["unequal"]) for r in mine)])
    rows.append(["all", summary["trials"], summary["killed"], summary["broken_indexes"], summary["unequal_reruns"]])
    print_table(["operation", "trials", "killed mid-run", "broken indexes", "unequal reruns"], rows)
    print(f"{summary['seconds']} s, sizes {summary['sizes']}, seed {summary['seed']}; results in {path}")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
