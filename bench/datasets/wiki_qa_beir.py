"""Build a BEIR-format retrieval set from rag-mini-wikipedia (a second domain to check hybrid defaults on).

rag-mini-wikipedia has questions with short answers but no gold passage. A passage counts as
relevant when it contains the answer string (case-insensitive, whole words); questions whose
answer is yes/no, shorter than 4 characters, or found in more than ``--max-relevant`` passages
are left out (their "relevant" set would be noise). Writes corpus.jsonl, queries.jsonl and
qrels/test.tsv to OUT (never into the repository: the data stay in ../shared).

    python bench/datasets/wiki_qa_beir.py /tmp/wiki-beir
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "rag-mini-wikipedia"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", type=Path, default=SHARED)
    parser.add_argument("--max-relevant", type=int, default=3)
    args = parser.parse_args()
    with open(args.source / "passages.csv", newline="", encoding="utf-8") as handle:
        passages = {row["id"]: row["passage"] for row in csv.DictReader(handle) if row["passage"].strip()}
    lowered = {pid: text.lower() for pid, text in passages.items()}
    queries, qrels = [], []
    with open(args.source / "questions.csv", newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            answer = row["answer"].strip().lower().rstrip(".")
            if answer in {"yes", "no"} or len(answer) < 4:
                continue
            pattern = re.compile(rf"(?<!\w){re.escape(answer)}(?!\w)")
            relevant = [pid for pid, text in lowered.items() if pattern.search(text)]
            if 1 <= len(relevant) <= args.max_relevant:
                qid = f"q{number}"
                queries.append({"_id": qid, "text": row["question"]})
                qrels.extend((qid, pid) for pid in relevant)
    (args.out / "qrels").mkdir(parents=True, exist_ok=True)
    with open(args.out / "corpus.jsonl", "w", encoding="utf-8") as handle:
        for pid, text in passages.items():
            handle.write(json.dumps({"_id": pid, "title": "", "text": text}) + "\n")
    with open(args.out / "queries.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(q) + "\n" for q in queries)
    with open(args.out / "qrels" / "test.tsv", "w", encoding="utf-8") as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        handle.writelines(f"{q}\t{p}\t1\n" for q, p in qrels)
    print(f"{len(passages)} passages, {len(queries)} queries, {len(qrels)} judgments -> {args.out}")


if __name__ == "__main__":
    main()
