"""Limits for zip containers (.docx and friends), checked from the central directory before unpacking.

Python's ``zipfile`` never inflates a member past the size its directory entry declares (it stops
and fails the CRC check), so the declared sizes are a sound bound: a 3 MB file that claims to unpack
to 1 GiB is refused here, before any parser builds an XML tree from it.
"""

from __future__ import annotations

import io
import zipfile

from connectors.formats.base import FormatError
from connectors.options import ConnectorOptions

_RATIO_FLOOR = 1024 * 1024  # small members may compress extremely well (empty XML parts); only big ones count
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def check_zip(data: bytes, options: ConnectorOptions, kind: str) -> None:
    """Raise ``FormatError`` if the archive is corrupt or would unpack past ``options``' limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FormatError(f"corrupt {kind}: {exc}") from exc
    with archive:
        members = archive.infolist()
        if len(members) > options.max_zip_members:
            raise FormatError(f"{kind} holds {len(members)} parts, over the {options.max_zip_members} limit")
        total = xml = 0
        for member in members:
            total += member.file_size
            if member.filename.lower().endswith(_XML_SUFFIXES):
                xml += member.file_size
            if member.file_size > _RATIO_FLOOR:
                ratio = member.file_size / max(member.compress_size, 1)
                if ratio > options.max_compression_ratio:
                    raise FormatError(f"{kind} part {member.filename[:80]} expands {ratio:.0f}:1, over the "
                                      f"{options.max_compression_ratio:g}:1 limit (a zip bomb?)")
        if total > options.max_unpacked_bytes:
            raise FormatError(f"{kind} unpacks to {total / 2**20:.0f} MiB, over the "
                              f"{options.max_unpacked_bytes / 2**20:.0f} MiB limit")
        if xml > options.max_unpacked_xml_bytes:
            raise FormatError(f"{kind} holds {xml / 2**20:.0f} MiB of XML, over the "
                              f"{options.max_unpacked_xml_bytes / 2**20:.0f} MiB limit")
