"""What can still be read of a truncated or damaged PDF that pdfminer, PDFium and pypdf all refuse.

A PDF cut short (an interrupted download or copy) loses its cross-reference table and trailer, and
every object after the cut. pdfminer, PDFium and pypdf all give up on such a file (measured on
files cut in the middle of a page), so the pages before the cut would be lost with it. Here the
complete objects are collected by scanning the bytes (objects packed in object streams included),
the page tree is walked as far as it survives to learn each surviving page's number, and a new,
well-formed PDF is written with those objects, a fresh page tree and a fresh cross-reference table.
Pages whose object or content stream is gone are returned as missing, by number.

Fonts are usually written after the pages (fpdf2, many other writers), so the surviving pages often
point to font objects that were cut off. ``substitute_fonts`` gives such a page Helvetica (whose
metrics pdfminer has built in) under the font names its content uses: text in simple, Latin
encodings reads as it was; a page whose text then looks like noise (subset or CID fonts) is
reported as unreadable by the caller rather than indexed as garbage.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.formats.pdf_syntax import WHITESPACE, dictionary, with_keys

MAX_OBJECT_STREAM_BYTES = 16 * 2**20  # an object stream inflating past this is not unpacked
_INHERITED = (b"Resources", b"MediaBox", b"CropBox", b"Rotate")
_OBJ = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj(?![A-Za-z])")
_STREAM = re.compile(rb"(?<![A-Za-z])stream(\r\n|\n|\r)")
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R(?![A-Za-z])")


@dataclass
class Salvaged:
    """A rewritten PDF of the surviving pages; ``numbers[i]`` is the original number of its page ``i + 1``."""

    data: bytes
    numbers: list[int]
    missing: list[int] = field(default_factory=list)  # original page numbers that could not be recovered
    lost_tail: bool = False  # the page tree itself is lost: pages past the last one found may be missing
    _objects: dict[int, _Object] = field(default_factory=dict, repr=False)
    _kept: list[tuple[int, int, dict[bytes, bytes]]] = field(default_factory=list, repr=False)

    def drop_pages(self, opens: Callable[[bytes], bool]) -> bool:
        """Move the pages whose dictionary a parser cannot take (``opens`` on a one-page file) to
        ``missing`` and rewrite ``data``; False when no page is left.

        A parser walks the whole page tree when a file is opened, so one mangled page dictionary (a
        broken key, a box that is not numbers) would lose every page; this finds it page by page.
        """
        good = [page for page in self._kept
                if opens(_write({page[1]: self._objects[page[1]]}, [page], contents=False))]
        kept = {number for number, _, _ in good}
        self.missing = sorted({*self.missing, *(number for number, _, _ in self._kept if number not in kept)})
        self._kept = good
        self.numbers = [number for number, _, _ in good]
        if good:
            self.data = _write(self._objects, good)
        return bool(good)


@dataclass
class _Object:
    body: bytes  # the dictionary (or other value) between "obj" and "stream"/"endobj"
    stream: bytes | None = None


def salvage(data: bytes) -> Salvaged | None:
    """The readable part of a damaged PDF, or ``None`` when not a single page survives."""
    objects = _objects(data)
    pages = _page_order(objects)
    lost_tail = pages is None
    if pages is None:  # no page tree: every page object found, in file order
        found = [number for number, obj in objects.items() if _type(obj.body) == b"Page"]
        pages = [(position, number, {}) for position, number in enumerate(found, 1)]
    kept: list[tuple[int, int, dict[bytes, bytes]]] = []
    missing: list[int] = []
    for page_number, object_number, inherited in pages:
        page = objects.get(object_number) if object_number else None
        if page is None or _type(page.body) != b"Page" or not _contents_present(page.body, objects):
            missing.append(page_number)
        else:
            kept.append((page_number, object_number, inherited))
    if not kept:
        return None
    return Salvaged(_write(objects, kept), [number for number, _, _ in kept], missing, lost_tail, objects, kept)


def substitute_fonts(page: Any) -> bool:
    """Give a pdfplumber ``page`` Helvetica for every font its content uses that did not survive.

    Returns whether any font was substituted (the caller then checks the text looks like text).
    """
    from pdfminer.pdftypes import PDFStream, resolve1
    from pdfminer.psparser import LIT

    page_object = page.page_obj
    resources = dict(resolve1(page_object.resources) or {})
    fonts = resolve1(resources.get("Font"))
    fonts = dict(fonts) if isinstance(fonts, dict) else {}
    used: set[str] = set()
    for stream in page_object.contents or ():
        stream = resolve1(stream)
        if isinstance(stream, PDFStream):
            used.update(m.group(1).decode("latin-1") for m in re.finditer(
                rb"/([^\s/\[\]()<>{}%]+)\s+[-+\d.]+\s+Tf", stream.get_data() or b""))
    lost = [name for name in used if not isinstance(resolve1(fonts.get(name)), dict)]
    for name in lost:
        fonts[name] = {"Type": LIT("Font"), "Subtype": LIT("Type1"), "BaseFont": LIT("Helvetica"),
                       "Encoding": LIT("WinAnsiEncoding")}
    if lost:
        resources["Font"] = fonts
        page_object.resources = resources
    return bool(lost)


def looks_like_text(text: str) -> bool:
    """False for what a wrong font makes of glyph ids: few letters, many unmapped or control characters.

    Runs of one punctuation mark (the dot leaders of a table of contents) count once; pdfminer's
    ``(cid:N)`` for a code the font does not map counts as one odd character.
    """
    sample = re.sub(r"\(cid:\d+\)", "\x00", "".join(text.split()))
    sample = re.sub(r"([^\w\x00])\1{2,}", r"\1", sample)[:4000]
    if not sample:
        return True
    letters = sum(ch.isalnum() for ch in sample)
    odd = sum(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch == "\ufffd" for ch in sample)
    return letters / len(sample) >= 0.5 and odd / len(sample) < 0.05


# -- reading the objects -----------------------------------------------------------------------------
def _objects(data: bytes) -> dict[int, _Object]:
    """Every complete object in ``data`` (a later definition of a number wins, as in an update)."""
    found: dict[int, _Object] = {}
    position = 0
    while match := _OBJ.search(data, position):
        start = match.end()
        end = data.find(b"endobj", start)
        stream = _STREAM.search(data, start, end if end >= 0 else len(data))
        if stream is not None:
            raw, finish = _stream_data(data, stream.end(), data[start:stream.start()])
            if finish < 0:
                break  # the stream was cut: nothing complete follows
            end = data.find(b"endobj", finish)
            if end < 0:
                break
            found[int(match.group(1))] = _Object(data[start:stream.start()], raw)
        else:
            if end < 0:
                break
            found[int(match.group(1))] = _Object(data[start:end])
        position = end + len(b"endobj")
    for number in [n for n, obj in found.items() if _type(obj.body) == b"ObjStm"]:
        for inner, body in _unpack(found[number]).items():
            found.setdefault(inner, _Object(body))
    return found


def _stream_data(data: bytes, begin: int, header: bytes) -> tuple[bytes, int]:
    """A stream's bytes from ``begin`` and where its ``endstream`` is (-1: cut off); ``header``: its dictionary."""
    length = dictionary(header).get(b"Length", b"")
    if length.isdigit():  # a direct /Length is exact when "endstream" follows it
        end = begin + int(length)
        if data[end:end + 64].lstrip(WHITESPACE).startswith(b"endstream"):
            return data[begin:end], data.find(b"endstream", end)
    finish = data.find(b"endstream", begin)
    raw = data[begin:finish] if finish >= 0 else b""
    # otherwise the end of line before "endstream" is the writer's, not the stream's
    return (raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith((b"\n", b"\r")) else raw), finish


def _unpack(container: _Object) -> dict[int, bytes]:
    """The objects inside an object stream (Flate-compressed or plain), bounded in size."""
    keys = dictionary(container.body)
    raw = container.stream or b""
    try:
        if b"FlateDecode" in keys.get(b"Filter", b""):
            raw = zlib.decompressobj().decompress(raw, MAX_OBJECT_STREAM_BYTES)
        elif keys.get(b"Filter"):
            return {}
        count, first = int(keys.get(b"N", b"0")), int(keys.get(b"First", b"0"))
    except (zlib.error, ValueError):
        return {}
    header = raw[:first].split()
    try:
        pairs = [(int(header[i]), int(header[i + 1])) for i in range(0, min(len(header), 2 * count) - 1, 2)]
    except ValueError:
        return {}
    out: dict[int, bytes] = {}
    for index, (number, offset) in enumerate(pairs):
        end = first + pairs[index + 1][1] if index + 1 < len(pairs) else len(raw)
        out[number] = raw[first + offset:end]
    return out


def _type(body: bytes) -> bytes:
    value = dictionary(body).get(b"Type", b"")
    return value[1:] if value.startswith(b"/") else b""


def _contents_present(body: bytes, objects: dict[int, _Object]) -> bool:
    contents = dictionary(body).get(b"Contents")
    if contents is None:
        return True  # a page with no content is blank, not damaged
    return all(int(m.group(1)) in objects and objects[int(m.group(1))].stream is not None
               for m in _REF.finditer(contents))


def _page_order(objects: dict[int, _Object]) -> list[tuple[int, int, dict[bytes, bytes]]] | None:
    """``(page number, object number or 0 if lost, inherited attributes)`` along the page tree, or None."""
    root = None
    for obj in objects.values():
        if _type(obj.body) == b"Catalog":
            root = _ref(dictionary(obj.body).get(b"Pages", b""))
    if root is None or root not in objects:
        roots = [n for n, obj in objects.items()
                 if _type(obj.body) == b"Pages" and b"Parent" not in dictionary(obj.body)]
        root = roots[0] if len(roots) == 1 else None
    if root is None:
        return None
    pages: list[tuple[int, int, dict[bytes, bytes]]] = []
    _walk(objects, root, {}, pages, set())
    return pages


def _walk(objects: dict[int, _Object], number: int, inherited: dict[bytes, bytes],
          pages: list[tuple[int, int, dict[bytes, bytes]]], seen: set[int]) -> None:
    seen.add(number)
    keys = dictionary(objects[number].body)
    inherited = {**inherited, **{k: keys[k] for k in _INHERITED if k in keys}}
    kids = [int(m.group(1)) for m in _REF.finditer(keys.get(b"Kids", b""))]
    known = sum(_count(objects, kid) for kid in kids if kid in objects)
    lost = [kid for kid in kids if kid not in objects]
    try:
        total = int(keys.get(b"Count", b"0"))
    except ValueError:
        total = len(kids)
    # a lost kid is one page, or the whole remainder when it is the only lost subtree
    lost_size = max(total - known, 1) if len(lost) == 1 else 1
    for kid in kids:
        if kid in seen:
            continue  # a loop in a damaged tree
        if kid not in objects:
            pages += [(len(pages) + 1, 0, inherited) for _ in range(lost_size)]
        elif _type(objects[kid].body) == b"Pages":
            _walk(objects, kid, inherited, pages, seen)
        else:
            pages.append((len(pages) + 1, kid, inherited))


def _count(objects: dict[int, _Object], number: int) -> int:
    if _type(objects[number].body) != b"Pages":
        return 1
    try:
        return int(dictionary(objects[number].body).get(b"Count", b"1"))
    except ValueError:
        return 1


def _ref(value: bytes) -> int | None:
    match = _REF.match(value.strip())
    return int(match.group(1)) if match else None


# -- writing the repaired file ---------------------------------------------------------------------
def _write(objects: dict[int, _Object], kept: list[tuple[int, int, dict[bytes, bytes]]],
           contents: bool = True) -> bytes:
    """A well-formed PDF of ``objects`` whose pages are ``kept``; ``contents=False``: the page dictionaries only."""
    tree, catalog = max(objects) + 1, max(objects) + 2
    pages = {number: inherited for _, number, inherited in kept}
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, obj in sorted(objects.items()):
        if _type(obj.body) in (b"ObjStm", b"XRef", b"Catalog", b"Pages"):
            continue  # unpacked (object streams) or replaced by the new page tree and catalog
        body = obj.body
        if number in pages:
            body = with_keys(body, {b"Parent": b"%d 0 R" % tree, **pages[number]},
                              replace=(b"Parent",) if contents else (b"Parent", b"Contents"))
        offsets[number] = len(out)
        if obj.stream is None:
            out += b"%d 0 obj\n%s\nendobj\n" % (number, body.strip())
        else:
            body = with_keys(body, {b"Length": b"%d" % len(obj.stream)}, replace=(b"Length",))
            out += b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, body.strip(), obj.stream)
    kids = b" ".join(b"%d 0 R" % number for _, number, _ in kept)
    offsets[tree] = len(out)
    out += b"%d 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (tree, kids, len(kept))
    offsets[catalog] = len(out)
    out += b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (catalog, tree)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (catalog + 1)
    for number in range(1, catalog + 1):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (catalog + 1, catalog, xref)
    return bytes(out)
