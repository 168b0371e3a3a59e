"""Folders: bad files are skipped with reasons, nothing crashes, paths stay inside the given root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from connectors import ConnectorOptions, FileConnector, load_sources
from rag.core.types import Document, Skipped


def run(root: Path, **options: object) -> tuple[dict[str, Document], dict[str, Skipped]]:
    items = list(FileConnector(root, ConnectorOptions(**options)).load())  # type: ignore[arg-type]
    documents = {Path(i.source_id).relative_to(root.resolve()).as_posix(): i for i in items if isinstance(i, Document)}
    skipped = {Path(i.source).name: i for i in items if isinstance(i, Skipped)}
    return documents, skipped


def test_mixed_folder_good_files_read_bad_files_skipped(tmp_path: Path, make_pdf) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "good.txt").write_text("A good text file.", encoding="utf-8")
    (tmp_path / "sub" / "notes.md").write_text("Nested markdown notes.", encoding="utf-8")
    make_pdf(tmp_path / "sub" / "paper.pdf", ["A readable PDF page."])
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<< garbage >>\n%%EOF")
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 20)  # binary with a .txt name
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "latin1.txt").write_bytes("Ceci est un fichier très ancien, encodé en latin-1.".encode("latin-1"))
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))  # unsupported: ignored quietly
    documents, skipped = run(tmp_path)
    assert set(documents) == {"good.txt", "sub/notes.md", "sub/paper.pdf#page=1", "latin1.txt"}
    assert "très ancien" in documents["latin1.txt"].text
    assert set(skipped) == {"broken.pdf", "image.txt", "empty.txt"}
    assert "PDF" in skipped["broken.pdf"].reason
    assert "binary" in skipped["image.txt"].reason
    assert "0 bytes" in skipped["empty.txt"].reason


def test_size_limit_and_whitespace_only_files(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x" * 5000, encoding="utf-8")
    (tmp_path / "small.txt").write_text("small", encoding="utf-8")
    (tmp_path / "blank.txt").write_text("   \n\n", encoding="utf-8")
    documents, skipped = run(tmp_path, max_file_bytes=4096)
    assert set(documents) == {"small.txt"}
    assert "size limit" in skipped["big.txt"].reason
    assert "whitespace" in skipped["blank.txt"].reason


def test_include_exclude_and_folder_pruning(tmp_path: Path) -> None:
    for rel in ("docs/a.md", "docs/b.txt", "src/app.py", "node_modules/pkg/index.js", "docs/draft/c.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"content of {rel}", encoding="utf-8")
    documents, _ = run(tmp_path, exclude=("node_modules", "docs/draft/*"))
    assert set(documents) == {"docs/a.md", "docs/b.txt", "src/app.py"}
    documents, _ = run(tmp_path, include=("*.md",), exclude=("draft",))
    assert set(documents) == {"docs/a.md"}
    documents, _ = run(tmp_path, include=("docs/**/*.md",))
    assert set(documents) == {"docs/a.md", "docs/draft/c.md"}  # "**/" matches zero or more folders


def test_include_reports_unsupported_files_it_matched(tmp_path: Path) -> None:
    (tmp_path / "data.bin").write_bytes(b"\x00\x01")
    _, skipped = run(tmp_path, include=("*",))
    assert "unsupported file type .bin" in skipped["data.bin"].reason


def test_hidden_entries_skipped_unless_asked(tmp_path: Path) -> None:
    (tmp_path / ".secret").mkdir()
    (tmp_path / ".secret" / "keys.txt").write_text("hidden folder", encoding="utf-8")
    (tmp_path / ".env.md").write_text("hidden file", encoding="utf-8")
    (tmp_path / "visible.txt").write_text("visible", encoding="utf-8")
    documents, _ = run(tmp_path)
    assert set(documents) == {"visible.txt"}
    documents, _ = run(tmp_path, hidden=True)
    assert set(documents) == {"visible.txt", ".secret/keys.txt", ".env.md"}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_never_lead_out_of_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwords.txt").write_text("TOP SECRET", encoding="utf-8")
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "real" / "inside.txt").write_text("inside text", encoding="utf-8")
    (root / "escape.txt").symlink_to(outside / "passwords.txt")
    (root / "escape_dir").symlink_to(outside, target_is_directory=True)
    (root / "alias.txt").symlink_to(root / "real" / "inside.txt")
    (root / "loop").symlink_to(root, target_is_directory=True)
    items = list(FileConnector(root).load())
    texts = [i.text for i in items if isinstance(i, Document)]
    assert texts == ["inside text"]  # the in-root alias resolves to the same file: read once
    assert not any("TOP SECRET" in t for t in texts)
    refused = [i for i in items if isinstance(i, Skipped)]
    assert [Path(s.source).name for s in refused] == ["escape.txt"]
    assert "outside" in refused[0].reason


def test_missing_path_and_a_single_file_root(tmp_path: Path) -> None:
    (missing,) = load_sources([tmp_path / "nope"])
    assert isinstance(missing, Skipped) and "no such file" in missing.reason
    (tmp_path / "one.txt").write_text("one file", encoding="utf-8")
    (doc,) = load_sources([str(tmp_path / "one.txt")])
    assert isinstance(doc, Document) and doc.text == "one file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_unlistable_folder_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text("x", encoding="utf-8")
    locked.chmod(0)
    try:
        _, skipped = run(tmp_path)
    finally:
        locked.chmod(0o755)
    assert "cannot list folder" in skipped["locked"].reason
