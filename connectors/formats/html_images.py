"""Where an HTML file's ``<img>`` bytes may come from when its pictures are OCR'd: never the network.

A ``data:`` URI carries the picture itself. A relative ``src`` is read only when it resolves (links
followed) to a regular file inside the folder being ingested, and not hidden unless hidden files are
ingested. Absolute paths, ``file:`` and any other scheme are refused; remote pictures are ignored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from stat import S_ISREG
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from connectors.formats.base import FileInfo
from connectors.formats.image_ocr import MAX_IMAGE_BYTES  # a bigger picture is not even read from disk

# (key, label, bytes) to OCR; a reason (str) to report; None for a remote picture (quietly not fetched)
Found = tuple[str, str, bytes] | str | None


def image_source(info: FileInfo, src: str) -> Found:
    """The bytes of the picture ``src`` of the HTML file ``info``, within the rules above."""
    if src[:5].lower() == "data:":
        return _data_uri(src)
    parts = urlsplit(src)
    if parts.scheme.lower() in ("http", "https") or src.startswith("//"):
        return None
    if parts.scheme or parts.netloc or src.startswith(("/", "\\")):
        return "not a relative path inside the ingested folder; not read"
    relative = unquote(parts.path)
    if not relative:
        return None
    folder = info.folder.resolve()
    try:
        path = (info.path.parent / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return "no such file"
    if not path.is_relative_to(folder):
        return "outside the ingested folder; not read"
    if not info.options.hidden and any(part.startswith(".") for part in path.relative_to(folder).parts):
        return "a hidden file; not read (hidden files are not ingested)"
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):
            return "not a regular file; not read"
        if stat.st_size > MAX_IMAGE_BYTES:
            return f"{stat.st_size / 2**20:.0f} MiB, over the {MAX_IMAGE_BYTES // 2**20} MiB limit for OCR"
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    return str(path), str(Path(relative).as_posix()), data


def _data_uri(src: str) -> Found:
    header, comma, payload = src[5:].partition(",")
    if not comma:
        return "a malformed data: URI"
    media = header.split(";", 1)[0].strip().lower()
    if not media.startswith("image/"):
        return None  # not a picture
    try:
        if ";base64" in header.lower():
            compact = "".join(payload.split())
            if len(compact) * 3 // 4 > MAX_IMAGE_BYTES:
                return f"an inline picture over the {MAX_IMAGE_BYTES // 2**20} MiB limit for OCR"
            data = base64.b64decode(compact, validate=True)
        else:
            data = unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return "a malformed data: URI"
    if len(data) > MAX_IMAGE_BYTES:
        return f"an inline picture over the {MAX_IMAGE_BYTES // 2**20} MiB limit for OCR"
    return "data:" + hashlib.sha256(data).hexdigest()[:16], f"inline {media}", data
