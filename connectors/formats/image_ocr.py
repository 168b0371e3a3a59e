"""OCR of the pictures inside a DOCX or HTML file, only when asked (``ConnectorOptions.ocr_images``).

Pictures are read with the same RapidOCR engine as scanned PDF pages (``pdf_ocr.recognise``) and
their text goes where the picture was, as a paragraph starting ``[image text]``. The work is
bounded: a picture over ``MAX_IMAGE_BYTES`` or ``MAX_IMAGE_PIXELS`` is refused before it is decoded,
at most ``MAX_IMAGES`` pictures are read per file, each has the time budget of an OCR'd PDF page,
and all of them count against the file's budget (``--file-seconds``). A picture that is repeated
(a logo in every section) is read once, at its first place. Each picture read gets its confidence
in the document's metadata (``ocr_images``); the ingest report lists those under the
low-confidence threshold, as it does for scanned PDF pages.

Where pictures come from is the caller's business (``docx``: the document's own parts; ``html``:
``data:`` URIs and files inside the ingested folder, never the network).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from connectors.budget import TimeBudget, TimeBudgetExceeded
from connectors.formats.base import FileInfo
from connectors.formats.pdf_ocr import OcrUnavailable, recognise
from rag.core.types import Skipped

MARK = "[image text]"
MAX_IMAGE_BYTES = 20 * 2**20
MAX_IMAGE_PIXELS = 40_000_000  # 8000 x 5000; RapidOCR scales its input down to 2000 px anyway
MIN_IMAGE_SIDE = 16  # icons, bullets and spacers are not read
MAX_IMAGES = 200  # per file
OCR_BUDGET_FACTOR = 8  # as for a PDF page that needs OCR: this many times the page budget per picture
_FORMATS = {"PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "MPO"}  # raster formats; EMF/WMF/SVG are not OCR'd


@dataclass
class ImageOcr:
    """Reads one file's pictures in order; keeps their confidences and the problems to report."""

    info: FileInfo
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Skipped] = field(default_factory=list)
    _done: set[str] = field(default_factory=set)
    _count: int = 0

    def problem(self, label: str, reason: str) -> None:
        """Report a picture that was asked for but cannot be read (one line in the ingest report)."""
        self._count += 1
        self._report(self._count, label, reason)

    def paragraph(self, key: str, data: bytes, label: str) -> str:
        """The ``[image text] ...`` paragraph for the picture ``data`` (named ``label``), or "" if it has none.

        ``key`` identifies the picture within the file (its part name, path or a digest).
        """
        if key in self._done:
            return ""
        self._done.add(key)
        self._count += 1
        number = self._count
        if number > MAX_IMAGES:
            if number == MAX_IMAGES + 1:
                self._report(number, label, f"over {MAX_IMAGES} images in one file; the rest are not OCR'd")
            return ""
        try:
            image = self._decode(data, label, number)
        except ImportError:  # Pillow comes with the OCR engine (the pdf extra)
            self._report(number, label, "OCR needs rapidocr-onnxruntime: pip install 'ragloom[pdf]'")
            return ""
        if image is None:
            return ""
        seconds = self.info.options.pdf_page_seconds
        try:
            with TimeBudget(seconds * OCR_BUDGET_FACTOR if seconds else seconds, f"OCR of image {label}").running():
                lines, confidence = recognise(image)
        except TimeBudgetExceeded as exc:
            self._report(number, label, f"{exc}; its text was not read")
            return ""
        except OcrUnavailable as exc:
            self._report(number, label, str(exc))
            return ""
        text = "\n".join(" ".join(word.text for word in line) for line in lines).strip()
        if not text:
            return ""
        self.records.append({"image": number, "name": label, "confidence": confidence})
        return f"{MARK} {text}"

    def metadata(self) -> dict[str, Any]:
        """``ocr_images``: per picture read, its number in the file, name and confidence."""
        return {"ocr_images": self.records} if self.records else {}

    def _report(self, number: int, label: str, reason: str) -> None:
        self.problems.append(Skipped(f"{self.info.source}#image={number}", f"image {number} ({label}): {reason}"))

    def _decode(self, data: bytes, label: str, number: int) -> Any:
        from PIL import Image, UnidentifiedImageError

        if len(data) > MAX_IMAGE_BYTES:
            limit = MAX_IMAGE_BYTES // 2**20
            self._report(number, label, f"{len(data) / 2**20:.0f} MiB, over the {limit} MiB limit for OCR")
            return None
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
            if image.format not in _FORMATS:
                return None  # a vector or unknown format: nothing to OCR, nothing to report
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                self._report(number, label, f"{width}x{height} pixels, over the {MAX_IMAGE_PIXELS:,} limit for OCR")
                return None
            if min(width, height) < MIN_IMAGE_SIDE:
                return None
            image.load()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            self._report(number, label, "not a readable picture")
            return None
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            # transparent pixels would turn black and hide dark text: lay the picture on white
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            white.alpha_composite(rgba)
            return white.convert("RGB")
        return image.convert("RGB")
