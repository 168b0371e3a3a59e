"""Fixtures for the service tests: a two-team index, and the service on 127.0.0.1 with the smallest real model."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.server_helpers import served

SMALL_MODEL = "smollm2-135m"

# Each team's facts are only in its own documents: a key scoped to one team must never see the other's.
TEAM_DOCUMENTS = {
    "legal/falcon-contract.md": ("legal", "The Falcon supplier contract renews every March. Its termination notice "
                                          "period is ninety days, given in writing to the supplier."),
    "legal/privacy-policy.md": ("legal", "Customer records are kept for six years and then deleted. Privacy "
                                         "requests are answered within thirty days by the legal team."),
    "sales/nordic-target.md": ("sales", "The quarterly sales target for the Nordic region is 4.2 million euros. "
                                        "The Nordic sales campaign is code-named Bluebird."),
    "sales/discounts.md": ("sales", "Sales staff may grant discounts of up to 15 percent on annual plans; larger "
                                    "discounts need the approval of the Nordic sales director, Ingrid Paulsen."),
}
SALES_SECRETS = ("4.2 million", "Bluebird", "Ingrid", "Paulsen", "nordic-target", "discounts.md", "annual plans")


def build_team_index(folder: Path) -> Path:
    from rag import RAG, Document

    documents = [Document(source_id, text, {"team": team, "source": source_id, "title": Path(source_id).stem})
                 for source_id, (team, text) in TEAM_DOCUMENTS.items()]
    with RAG(folder) as rag:
        rag.ingest(documents)
    return folder


@pytest.fixture(scope="session")
def team_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_team_index(tmp_path_factory.mktemp("service") / "teams")


def small_model_settings() -> Any:
    from rag import load_settings

    # One thread: llama.cpp's threads spin-wait, so two of them crawl when other jobs share the cores.
    return load_settings(environ={}).with_(model=SMALL_MODEL, context_window=2048, threads=1)


def need_small_model() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: bash setup/install_generation.sh .venv/bin")


@pytest.fixture(scope="session")
def team_service(team_index: Path) -> Iterator[str]:
    """The two-team index served as collection ``teams`` (no keys yet: tests that need keys make their own)."""
    from rag.service.context import Service, ServiceConfig

    service = Service(ServiceConfig(indexes=(f"teams={team_index}",), rate_per_minute=0), small_model_settings())
    with served(service) as base:
        yield base
