"""Markdown: one document per section, so every chunk knows its heading path (``section``).

A file without headings is one document keyed by its path; otherwise each section is keyed
``<path>#section=<slug path>`` (slugs, not numbers, so inserting a section does not rename the others).
The title is the first H1 (else the file name). Headings inside fenced code blocks are ignored.
A heading is read as plain text: a README's "# Name [![Build Status](https://…)](https://…)" is the
section "Name", not two badge URLs in every source label and prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from connectors.formats.base import FileInfo, FormatError, decode_text
from rag.core.types import Document, Skipped

SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(\n|\Z)", re.S)
_FM_TITLE = re.compile(r"^title:[ \t]*[\"']?(.*?)[\"']?[ \t]*$", re.M)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")  # badges, logos: nothing a reader would call the heading
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def plain_heading(title: str) -> str:
    """``title`` without images, link targets and HTML tags (the text a reader sees); unchanged when
    nothing would be left."""
    plain = _HTML_TAG.sub("", _LINK.sub(r"\1", _IMAGE.sub("", title)))
    plain = re.sub(r"\s+", " ", plain).strip()
    return plain or title


def split_sections(text: str) -> list[tuple[list[str], int, str]]:
    """``(heading path, heading level, text)`` per section in order; text before any heading has level 0."""
    lines = text.splitlines()
    sections: list[tuple[list[str], int, list[str]]] = [([], 0, [])]
    stack: list[tuple[int, str]] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            fence = None if fence == marker else (fence or marker)
        heading: tuple[int, str, list[str]] | None = None
        if fence is None and not fence_match:
            atx = _ATX.match(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if atx:
                title = plain_heading(atx.group(2).strip())
                heading = (len(atx.group(1)), title, [f"{atx.group(1)} {title}"])
            elif line.strip() and not line.startswith((" ", "\t", "|", "-", "*", ">")) and _SETEXT.match(nxt):
                title = plain_heading(line.strip())
                heading = (1 if nxt.strip().startswith("=") else 2, title, [title, nxt])
        if heading is None:
            sections[-1][2].append(line)
            i += 1
            continue
        level, title, raw = heading
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append(([t for _, t in stack], level, list(raw)))
        i += len(raw)
    out = [(path, level, "\n".join(body).strip()) for path, level, body in sections]
    return [section for section in out if section[2]]


def _slug(parts: list[str]) -> str:
    return "/".join(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-") or "_" for p in parts) or "_"


def read(info: FileInfo, data: bytes) -> Iterator[Document | Skipped]:
    text = decode_text(data)
    front = _FRONT_MATTER.match(text)
    front_title = None
    if front:  # YAML front matter is metadata, not prose (and its "---" would read as a heading underline)
        match = _FM_TITLE.search(front.group(1))
        front_title = match.group(1).strip() if match else None
        text = text[front.end():]
    if not text.strip():
        raise FormatError("no text (only whitespace)")
    sections = split_sections(text)
    h1 = next((path[-1] for path, level, _ in sections if level == 1), None)
    title = front_title or h1 or info.path.stem
    if len(sections) <= 1:
        section = " > ".join(sections[0][0]) if sections else ""
        yield info.document(text.strip(), "markdown", title=title, section=section or None)
        return
    seen: dict[str, int] = {}
    for path, _level, body in sections:
        slug = _slug(path)
        seen[slug] = seen.get(slug, 0) + 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        yield info.document(body, "markdown", suffix=f"#section={slug}", title=title,
                            section=" > ".join(path) or None)
