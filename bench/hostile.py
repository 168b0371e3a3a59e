"""Hostile files: each one is generated in a temp folder beside a normal file and ingested by the real CLI.

For each: exit code, seconds, peak RSS of the ``ragloom ingest`` process (``wait4``), whether the
normal file was still ingested, the skip reason, and whether a traceback reached the user. The
45 MB one-line texts are also read and chunked at full size in a process of their own (the stage
that used to take 10+ minutes and 2 GB); their full ingest (which embeds ~45k chunks, minutes of
legitimate work) runs at ``--text-mb`` (default 2 MB). The old chunker path (LangChain's recursive
splitter on a one-line text) is timed on a smaller text for the before/after.

``--text-only`` runs just the end-to-end ingest of one-line texts, one per ``--text-mb`` size (e.g.
``--text-mb 5 15 45``): a huge document is streamed a batch of chunks at a time, so its peak RSS
should stay flat as the size grows (the rows also give chunks per second).

Usage: ``python bench/hostile.py [--quick] [--text-only] [--text-mb MB [MB ...]]``; wrap timed runs in
``flock /tmp/ragloom-bench.lock``. Writes ``bench/results/hostile-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, print_table, write_results  # noqa: E402

GOOD_TEXT = "Tides are driven by the moon. This normal file must be ingested whatever its neighbours do.\n"
WORDS = ["the", "moon", "river", "stone", "cloud", "alpha", "beta", "gamma", "delta", "tide", "ocean", "wave",
         "harbour", "ship", "sail", "wind", "north", "south", "east", "west", "light", "dark", "quiet", "loud"]
MiB = 2**20

# -- generators (small code, big files) -----------------------------------------------------------------


def docx_bomb(path: Path, unpacked: int) -> None:
    """A valid-looking .docx whose document.xml inflates to ``unpacked`` bytes (about 1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
                         '.org/package/2006/content-types"/>')
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
            block = b"A" * MiB
            for _ in range(unpacked // MiB):
                member.write(block)
            member.write(b"</w:t></w:r></w:p></w:body></w:document>")


def docx_big_xml(path: Path, unpacked: int) -> None:
    """A .docx with ``unpacked`` bytes of ordinary, varied XML (compresses ~4:1, so no ratio alarm)."""
    rng = random.Random(1)
    vocabulary = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(5000)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("word/document.xml", "w", force_zip64=True) as member:
        member.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
        written = 0
        while written < unpacked:
            paragraph = ("<w:p><w:r><w:t>" + " ".join(rng.choices(vocabulary, k=2000)) + "</w:t></w:r></w:p>")
            member.write(paragraph.encode())
            written += len(paragraph)
        member.write(b"</w:body></w:document>")


def docx_many_parts(path: Path, parts: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for number in range(parts):
            archive.writestr(f"word/media/p{number}.xml", "<x/>")


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes) -> bytes:
    packed = zlib.compress(data, 9)
    return f"<< /Length {len(packed)} /Filter /FlateDecode >>\nstream\n".encode() + packed + b"\nendstream"


_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
         b"/Resources << /Font << /F1 4 0 R >> >> >>")


def pdf_pages(path: Path, pages: int) -> None:
    """``pages`` pages sharing one content stream (a tiny file with a huge page count)."""
    kids = " ".join(f"{5 + n} 0 R" for n in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               _stream(b"BT /F1 12 Tf 72 720 Td (A page about tides) Tj ET"), _FONT]
    path.write_bytes(_pdf(objects + [_PAGE] * pages))


def pdf_slow_page(path: Path, operators: int) -> None:
    """One page whose content stream shows ``operators`` tiny strings (text extraction crawls)."""
    content = b"BT /F1 12 Tf 72 720 Td " + b"(w) Tj 0 -1 Td " * operators + b"ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
               _stream(content), _FONT, _PAGE]
    path.write_bytes(_pdf(objects))


def pdf_flate_bomb(path: Path, unpacked: int) -> None:
    """A page whose content stream inflates to ``unpacked`` bytes (compressed in pieces: this process stays small,
    since a child's peak RSS as ``wait4`` reports it includes what its parent held when it was forked)."""
    packer = zlib.compressobj(9)
    packed = [packer.compress(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET\n")]
    block = b" " * MiB
    packed += [packer.compress(block) for _ in range(unpacked // MiB)]
    packed.append(packer.flush())
    data = b"".join(packed)
    stream = f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>", stream, _FONT,
               _PAGE]
    path.write_bytes(_pdf(objects))


def one_line_words(path: Path, size: int) -> None:
    rng = random.Random(0)
    with path.open("w") as handle:
        written = 0
        while written < size:
            piece = " ".join(rng.choices(WORDS, k=10_000)) + " "
            handle.write(piece)
            written += len(piece)


def one_line_no_spaces(path: Path, size: int) -> None:
    rng = random.Random(0)
    with path.open("w") as handle:
        for _ in range(size // MiB):
            handle.write("".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=MiB)))


def nul_file(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def deep_json(path: Path, depth: int) -> None:
    path.write_text("[" * depth + "]" * depth)


def wide_csv(path: Path, size: int) -> None:
    with path.open("w") as handle:
        handle.write("id,text\n1,")
        for _ in range(size // MiB):
            handle.write("x" * MiB)
        handle.write("\n")


def symlink_loop(path: Path, _: int) -> None:
    os.symlink(path.name, path)


def fifo(path: Path, _: int) -> None:
    os.mkfifo(path)


# name, file name, generator, full size, quick size, what the probe saw before
CASES: list[tuple[str, str, Callable[[Path, int], None], int, int, str]] = [
    ("docx bomb (1 GiB XML)", "bomb.docx", docx_bomb, 1024 * MiB, 64 * MiB, "OOM-killed after 97 s, run lost"),
    ("docx with 80 MiB of XML", "big.docx", docx_big_xml, 80 * MiB, 60 * MiB, "-"),
    ("docx with 20,000 parts", "parts.docx", docx_many_parts, 20_000, 12_000, "-"),
    ("PDF with 6,000 pages", "pages.pdf", pdf_pages, 6000, 6000, "-"),
    ("PDF page of 3 M text operators", "slow.pdf", pdf_slow_page, 3_000_000, 600_000, "-"),
    ("PDF flate bomb (1 GiB stream)", "bomb.pdf", pdf_flate_bomb, 1024 * MiB, 128 * MiB, "handled"),
    ("JSON nested 100k deep", "deep.json", deep_json, 100_000, 100_000, "RecursionError"),
    ("CSV with a 40 MiB field", "wide.csv", wide_csv, 40 * MiB, 8 * MiB, "-"),
    ("45 MiB of NUL bytes (.txt)", "nul.txt", nul_file, 45 * MiB, 8 * MiB, "handled"),
    ("symlink loop", "loop.txt", symlink_loop, 0, 0, "traceback, run lost"),
    ("named pipe (.txt)", "pipe.txt", fifo, 0, 0, "-"),
]


# -- measuring -----------------------------------------------------------------------------------------


def run_measured(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run ``command``; its exit code, seconds, peak RSS (MB) and output."""
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": process.returncode, "seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace")}


def ingest_case(work: Path, name: str, file_name: str, make: Callable[[Path, int], None], size: int,
                env: dict[str, str]) -> dict:
    folder = work / "docs"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD_TEXT)
    started = time.perf_counter()
    make(folder / file_name, size)
    generated = time.perf_counter() - started
    on_disk = (folder / file_name).lstat().st_size
    result = run_measured([sys.executable, "-m", "rag.cli.main", "ingest", str(folder), "--index", str(work / "index"),
                           "--json"], work, env)
    try:
        report = json.loads(result["stdout"])
    except json.JSONDecodeError:
        report = {}
    reasons = [e["reason"] for e in report.get("errors", []) if file_name in e["source"]]
    return {"case": name, "file": file_name, "file_bytes": on_disk, "generated_s": round(generated, 1),
            "exit": result["exit"], "seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"],
            "normal_file_ingested": report.get("added", 0) >= 1, "added": report.get("added"),
            "chunks_per_second": round(report["chunks"] / result["seconds"], 1) if report.get("chunks") else None,
            "chunks": report.get("chunks"), "skipped": report.get("skipped"),
            "reason": reasons[0] if reasons else None,
            "traceback": "Traceback" in result["stderr"], "stderr_tail": result["stderr"][-300:]}


def stage_case(work: Path, name: str, make: Callable[[Path, int], None], size: int, env: dict[str, str],
               old_chunker: bool = False, hash_ingest: bool = False) -> dict:
    """Read and chunk one file (no embedding) in a process of its own; ``hash_ingest``: ingest it with hash
    vectors (``stage_ingest``)."""
    path = work / "big.txt"
    make(path, size)
    args = [sys.executable, str(Path(__file__).resolve()), "--stage", str(path)] + (["--old"] if old_chunker else [])
    args += ["--hash-vectors"] if hash_ingest else []
    result = run_measured(args, work, env)
    try:
        detail = json.loads(result["stdout"].strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        detail = {"error": result["stderr"][-300:]}
    chunker = "old (recursive)" if old_chunker else "new, ingest with hash vectors" if hash_ingest else "new"
    return {"case": name, "file_bytes": path.stat().st_size, "chunker": chunker,
            "exit": result["exit"], "seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"], **detail}


def stage(path: str, old: bool) -> None:
    """``--stage``: FileConnector + Chunker with the real embedder's tokenizer, as ingest runs them."""
    from transformers import AutoTokenizer

    from connectors.files import FileConnector
    from rag import chunking
    from rag.chunking import Chunker, ChunkingSettings
    from rag.core.types import Document
    from rag.embeddings import bundled_model_path

    if old:  # every document down LangChain's recursive splitter, as before the window path existed
        chunking.WINDOW_TEXT_CHARS = chunking.WINDOW_LINE_CHARS = sys.maxsize
    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()))
    chunker = Chunker(ChunkingSettings(), lambda text: len(tokenizer.tokenize(text)), 254)
    started = time.perf_counter()
    documents = chunks = 0
    for item in FileConnector(path).load():
        if isinstance(item, Document):
            documents += 1
            chunks += len(chunker.chunk(item))
    seconds = round(time.perf_counter() - started, 2)
    print(json.dumps({"documents": documents, "chunks": chunks, "chunk_seconds": seconds}))


def stage_ingest(path: str) -> None:
    """``--stage PATH --hash-vectors``: the whole local ingest of one file (FileConnector, the chunker with
    the model's tokenizer, the streaming ``Ingestor``, FAISS + SQLite, save) with hash vectors in place of
    the model's: everything whose memory could grow with the document, minutes faster than embedding."""
    import hashlib
    import tempfile

    import numpy as np

    from connectors.files import FileConnector
    from indexes.faiss_index import FaissIndex
    from rag.chunking import Chunker, ChunkingSettings
    from rag.embeddings import create_embedder
    from rag.ingest import Ingestor

    model = create_embedder()
    model.warm_up()

    class HashVectors:  # the model's tokenizer and shapes; vectors from text hashes
        name, dimension, max_tokens, thread_safe = "hash", model.dimension, model.max_tokens, True
        count_tokens = staticmethod(model.count_tokens)

        def embed_documents(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
            rows = np.stack([np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8]))
                             .standard_normal(self.dimension, dtype=np.float32) for t in texts])
            return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    embedder = HashVectors()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ragloom-hostile-index-") as folder:
        index = FaissIndex.create(folder, embedder.name, embedder.dimension)
        try:
            chunker = Chunker(ChunkingSettings(), embedder.count_tokens, embedder.max_tokens)
            report = Ingestor(index, embedder, chunker).run(FileConnector(path).load())  # type: ignore[arg-type]
        finally:
            index.close()
    print(json.dumps({"documents": report.added, "chunks": report.chunks,
                      "chunk_seconds": round(time.perf_counter() - started, 2)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller files (a smoke run, not for the README)")
    parser.add_argument("--text-mb", type=float, nargs="*", default=[2.0],
                        help="size(s) of the one-line text ingested end to end")
    parser.add_argument("--text-only", action="store_true",
                        help="only the end-to-end one-line text ingests (no other hostile files, no chunk stage)")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--old", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hash-vectors", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--hash-ingest-mb", type=float, nargs="*", default=[],
                        help="also ingest one-line texts of these sizes with hash vectors in place of the model "
                             "(the whole ingest path's memory at 45 MB without an hour of embedding)")
    args = parser.parse_args()
    if args.stage:
        if args.hash_vectors:
            stage_ingest(args.stage)
        else:
            stage(args.stage, args.old)
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    load_before = os.getloadavg()
    ingest_rows, stage_rows = [], []
    text_sizes = [int(mb * MiB) for mb in ([0.5] if args.quick else args.text_mb)]
    cases = [] if args.text_only else list(CASES)
    cases += [(f"one-line text, {size / MiB:g} MiB of words", "oneline.txt", one_line_words, size, size,
               "28+ min and 2.56 GB at 45 MB, stopped") for size in text_sizes]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")

    def save(extra: dict | None = None) -> Path:  # after every row: a long run keeps what it measured
        return write_results("hostile-text" if args.text_only else "hostile",
                             {"quick": args.quick, "load_before": load_before, "load_after": os.getloadavg(),
                              **(extra or {}), "ingest": ingest_rows, "read_and_chunk": stage_rows}, stamp=stamp)

    for name, file_name, make, full, quick, before in cases:
        with tempfile.TemporaryDirectory(prefix="ragloom-hostile-") as tmp:
            row = ingest_case(Path(tmp), name, file_name, make, quick if args.quick else full, env)
            row["before"] = before
            ingest_rows.append(row)
            save()
            print(f"{name}: exit {row['exit']}, {row['seconds']} s, {row['peak_rss_mb']} MB, {row['reason']}",
                  flush=True)
    big = (4 if args.quick else 45) * MiB
    old_size = (200_000 if args.quick else 800_000)
    stages = [] if args.text_only else [("one-line words", one_line_words, big, False),
                                        ("one-line, no spaces", one_line_no_spaces, big, False),
                                        ("one-line words", one_line_words, old_size, True),
                                        ("one-line words", one_line_words, old_size, False)]
    stages = [(name, make, size, old, False) for name, make, size, old in stages]
    stages += [("one-line words", one_line_words, int(mb * MiB), False, True) for mb in args.hash_ingest_mb]
    for name, make, size, old, hashed in stages:
        with tempfile.TemporaryDirectory(prefix="ragloom-hostile-") as tmp:
            row = stage_case(Path(tmp), name, make, size, env, old_chunker=old, hash_ingest=hashed)
            stage_rows.append(row)
            save()
            print(f"stage {name} {size} bytes ({row['chunker']}): {row['seconds']} s, {row['peak_rss_mb']} MB",
                  flush=True)
    import resource

    # a child's wait4 peak includes its parent's footprint at fork time: this shows it stayed below the children's
    parent_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    path = save({"bench_process_peak_rss_mb": parent_peak_mb})
    for rows, table in ((ingest_rows, print_ingest_table), (stage_rows, print_stage_table)):
        if rows:  # a --text-only run has no stage rows
            print()
            table(rows)
    print(f"\n{path}")


def print_ingest_table(ingest_rows: list[dict]) -> None:
    print_table(["hostile file", "size", "exit", "s", "peak RSS MB", "normal file in", "traceback", "reason"],
                [(r["case"], f"{r['file_bytes'] / MiB:.1f} MiB", r["exit"], r["seconds"], r["peak_rss_mb"],
                  "yes" if r["normal_file_ingested"] else "NO", "YES" if r["traceback"] else "no",
                  (r["reason"] or f"ingested ({r['chunks']} chunks)")[:90]) for r in ingest_rows])


def print_stage_table(stage_rows: list[dict]) -> None:
    print_table(["read + chunk", "size", "chunker", "process s", "read+chunk s", "peak RSS MB", "chunks"],
                [(r["case"], f"{r['file_bytes'] / MiB:.2f} MiB", r["chunker"], r["seconds"], r.get("chunk_seconds"),
                  r["peak_rss_mb"], r.get("chunks")) for r in stage_rows])


if __name__ == "__main__":
    main()
