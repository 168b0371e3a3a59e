"""Documentation ragloom was never tuned on: the Markdown manuals that installed packages ship.

A package's long description (the README that PyPI shows) is a real user manual: installation,
usage, options, caveats. Three of them come with the packages ``make test`` installs anyway, so the
held-out docs-chat set (``bench/datasets/heldout_docs.jsonl``) can ask questions of them without
copying anyone's documentation into this repository. They are written out as ``<package>.md`` at
bench time, from whatever version is installed; the set records the versions it was written for.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

# Markdown manuals (not reStructuredText, which ragloom reads as plain text) with options and caveats
# a user would ask about; none of them is about RAG or language models.
MANUALS = ("python-dotenv", "orjson", "threadpoolctl")


def write_manuals(folder: Path, packages: tuple[str, ...] = MANUALS) -> dict[str, str]:
    """Write each package's long description to ``folder/<package>.md``; return ``{package: version}``."""
    folder.mkdir(parents=True, exist_ok=True)
    versions = {}
    for package in packages:
        meta = metadata.metadata(package)
        text = meta.get_payload() or meta.get("Description") or ""  # type: ignore[attr-defined]
        if not text.strip():
            raise RuntimeError(f"{package} {meta['Version']} ships no long description")
        (folder / f"{package}.md").write_text(text, encoding="utf-8")
        versions[package] = meta["Version"]
    return versions


if __name__ == "__main__":
    import sys

    print(write_manuals(Path(sys.argv[1] if len(sys.argv) > 1 else "manuals")))
