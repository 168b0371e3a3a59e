"""OCR of pictures inside .docx and HTML files: off by default, on with ``ocr_images`` / ``--ocr-images`` /
``RAGLOOM_OCR_IMAGES``; the text goes where the picture was; HTML pictures come only from ``data:``
URIs and files inside the ingested folder; the size and time limits hold. Pictures are drawn here."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import docx
import pytest
from docx.shared import Inches

from bench.pdf_samples import text_image
from connectors.files import FileConnector
from connectors.formats import image_ocr
from connectors.options import ConnectorOptions
from rag import RAG
from rag.cli.main import main
from rag.core.types import Document, Skipped

NOTICE = ["Forklift inspection every Tuesday", "Gate code 4471 for night shift"]


def _load(path: Path, **options: object) -> tuple[list[Document], list[Skipped]]:
    items = list(FileConnector(path, ConnectorOptions(**options)).load())  # type: ignore[arg-type]
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Skipped)]


def _docx(path: Path, picture: bytes) -> None:
    document = docx.Document()
    document.add_heading("Depot report", level=1)
    document.add_paragraph("The picture below shows the notice board.")
    document.add_picture(io.BytesIO(picture), width=Inches(5))
    document.add_paragraph("The board is by the loading gate.")
    document.add_picture(io.BytesIO(picture), width=Inches(2))  # the same picture again (one part)
    document.save(path)


def test_docx_pictures_are_ocrd_only_when_asked_and_land_where_they_were(tmp_path: Path) -> None:
    path = tmp_path / "depot.docx"
    _docx(path, text_image(NOTICE, width_px=900))
    [plain], skipped = _load(path)
    assert not skipped and "ocr_images" not in plain.metadata
    assert plain.text == "Depot report\nThe picture below shows the notice board.\nThe board is by the loading gate."
    assert "Tuesday" not in plain.text and "4471" not in plain.text

    [read], skipped = _load(path, ocr_images=True, pdf_page_seconds=0, file_seconds=0)  # no budget: slow CI
    assert not skipped
    lines = read.text.split("\n")
    assert lines[:2] == ["Depot report", "The picture below shows the notice board."]
    assert lines[2:4] == [f"[image text] {NOTICE[0]}", NOTICE[1]]  # exact words, in the picture's place
    assert lines[4:] == ["The board is by the loading gate."]  # the repeated picture is read once
    [record] = read.metadata["ocr_images"]
    assert record["image"] == 1 and record["name"] == "word/media/image1.png" and 0.9 < record["confidence"] <= 1
    json.dumps(read.metadata)


def test_docx_with_only_a_picture_says_how_to_read_it(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_picture(io.BytesIO(text_image(["Just a scan"], width_px=400)))
    document.save(tmp_path / "scan.docx")
    documents, [skipped] = _load(tmp_path / "scan.docx")
    assert not documents and skipped.reason == ("no text in the document (it has 1 pictures; --ocr-images reads "
                                                "the text in them)")


def test_html_pictures_come_from_data_uris_and_the_folder_never_from_outside(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "img").mkdir(parents=True)
    (site / "img" / "ferry.png").write_bytes(text_image(["Ferry leaves at seven"], width_px=800))
    (tmp_path / "secret.png").write_bytes(text_image(["Secret outside text"], width_px=800))
    (site / "img" / "link.png").symlink_to(tmp_path / "secret.png")
    inline = base64.b64encode(text_image(["Harbour closed on Sunday"], width_px=800)).decode()
    (site / "port.html").write_text(
        "<html><head><title>Port</title></head><body><nav><img src='img/ferry.png'></nav><main>"
        f"<p>Before the pictures.</p><img src='data:image/png;base64,{inline}' alt='closed'><p>Between.</p>"
        "<img src='img/ferry.png?v=2'><img src='../secret.png'><img src='img/link.png'>"
        "<img src='http://127.0.0.1:9/remote.png'><img src='/etc/hostname'><img src='file:///etc/hostname'>"
        "<p>End.</p></main></body></html>", encoding="utf-8")
    [plain], _ = _load(site)
    assert plain.text == "Before the pictures.\n\nBetween.\n\nEnd."

    [page], skipped = _load(site, ocr_images=True, pdf_page_seconds=0, file_seconds=0)
    assert page.text == ("Before the pictures.\n\n[image text] Harbour closed on Sunday\n\nBetween.\n\n"
                         "[image text] Ferry leaves at seven\n\nEnd.")
    assert [(r["image"], r["name"]) for r in page.metadata["ocr_images"]] == [(1, "inline image/png"),
                                                                              (2, "img/ferry.png")]
    reasons = [s.reason for s in skipped]
    assert reasons == ["image 3 (../secret.png): outside the ingested folder; not read",
                       "image 4 (img/link.png): outside the ingested folder; not read",
                       "image 5 (/etc/hostname): not a relative path inside the ingested folder; not read",
                       "image 6 (file:///etc/hostname): not a relative path inside the ingested folder; not read"]
    assert all(s.source.startswith(f"{site / 'port.html'}#image=") for s in skipped)


def test_pictures_over_the_limits_are_reported_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "depot.docx"
    _docx(path, text_image(NOTICE, width_px=900))
    monkeypatch.setattr(image_ocr, "MAX_IMAGE_PIXELS", 100_000)
    [document], [skipped] = _load(path, ocr_images=True)
    assert "Tuesday" not in document.text and "ocr_images" not in document.metadata
    assert skipped.reason.startswith("image 1 (word/media/image1.png): 900x") and "over the 100,000 limit" in \
        skipped.reason
    monkeypatch.setattr(image_ocr, "MAX_IMAGE_BYTES", 1000)
    [document], [skipped] = _load(path, ocr_images=True)
    assert "MiB limit for OCR" in skipped.reason and "Tuesday" not in document.text


def test_a_picture_over_its_time_budget_is_reported_and_the_text_kept(tmp_path: Path) -> None:
    path = tmp_path / "depot.docx"
    _docx(path, text_image(NOTICE, width_px=900))
    [document], [skipped] = _load(path, ocr_images=True, pdf_page_seconds=0.001, file_seconds=0)
    assert document.text.startswith("Depot report") and "Tuesday" not in document.text
    assert skipped.source == f"{path}#image=1"
    assert skipped.reason.startswith("image 1 (word/media/image1.png): OCR of image word/media/image1.png took "
                                     "longer than 0.008s")


def test_low_confidence_pictures_are_listed_in_the_ingest_report(tmp_path: Path, embedder) -> None:
    meta = {"source": "a.docx", "ocr_images": [{"image": 1, "name": "word/media/image1.png", "confidence": 0.97},
                                               {"image": 2, "name": "word/media/image2.png", "confidence": 0.52}]}
    with RAG(tmp_path / "index", embedder=embedder) as rag:
        report = rag.ingest([Document("a.docx", "Text [image text] Bl0rry", meta)])
    assert report.low_confidence == [{"source": "a.docx#image=2", "confidence": 0.52}]


def test_the_setting_and_the_flag_turn_it_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], embedder) -> None:
    from connectors import options
    from rag.cli.main import build_parser

    assert options.from_args(build_parser().parse_args(["ingest", "x", "--ocr-images"])).ocr_images is True
    assert options.from_args(build_parser().parse_args(["ingest", "x"])).ocr_images is False
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "outside.png").write_bytes(text_image(["Not for the index"], width_px=400))
    # a picture that is refused (outside the folder) shows whether OCR was asked for, without running it
    (docs / "port.html").write_text("<p>Notice board.</p><img src='../outside.png'>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def ingest(*flags: str) -> list[dict[str, str]]:
        index = tmp_path / f"index-{len(list(tmp_path.glob('index-*')))}"
        assert main(["ingest", str(docs), "--index", str(index), "--json", *flags]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["added"] == 1
        return report["errors"]

    refused = [{"source": f"{docs / 'port.html'}#image=1",
                "reason": "image 1 (../outside.png): outside the ingested folder; not read"}]
    assert ingest() == []
    assert ingest("--ocr-images") == refused
    monkeypatch.setenv("RAGLOOM_OCR_IMAGES", "1")
    assert ingest() == refused
    with RAG(tmp_path / "lib-index", embedder=embedder) as rag:  # the library reads the setting too
        assert rag.settings.ocr_images is True
        assert [e["reason"] for e in rag.ingest([docs]).errors] == [refused[0]["reason"]]
