"""The service reads uploaded files the way ``ragloom ingest`` would with the same settings."""

from __future__ import annotations

from pathlib import Path

from rag import load_settings
from tests.service.conftest import build_team_index


def test_jobs_take_ocr_images_from_the_settings(tmp_path: Path) -> None:
    from rag.service.context import Service, ServiceConfig

    index = build_team_index(tmp_path / "teams")
    config = ServiceConfig(indexes=(f"teams={index}",))
    assert not Service(config, load_settings(environ={})).connector_options().ocr_images
    service = Service(config, load_settings(environ={"RAGLOOM_OCR_IMAGES": "1"}))
    assert service.connector_options().ocr_images
