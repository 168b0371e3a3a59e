"""Property-based run of schemathesis against ``/openapi.json``: no 500s, responses match the schema.

Bounded (a few examples per operation) so it stays a CI test; it runs on its own copy of the team index
because it ingests and deletes whatever it generates.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.service.conftest import build_team_index, small_model_settings  # noqa: E402
from tests.service.server_helpers import served  # noqa: E402


@pytest.fixture(scope="module")
def schemathesis_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from rag.service.context import Service, ServiceConfig

    index = build_team_index(tmp_path_factory.mktemp("schemathesis") / "teams")
    service = Service(ServiceConfig(indexes=(f"teams={index}",), rate_per_minute=0), small_model_settings())
    with served(service) as base:
        yield base


@pytest.fixture(scope="module")
def api_schema(schemathesis_base: str):
    return schemathesis.openapi.from_url(f"{schemathesis_base}/openapi.json")


def test_api_conforms_to_its_schema(api_schema) -> None:
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case) -> None:
            if isinstance(case.body, dict) and case.operation.path == "/v1/chat/completions":
                case.body["max_tokens"] = 8  # the schema allows 4096; this run checks shapes, not long answers
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                           status_code_conformance, content_type_conformance], timeout=120)

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_schema_lists_every_endpoint(api_schema) -> None:
    paths = {result.ok().path for result in api_schema.get_all_operations()}
    assert {"/v1/models", "/v1/chat/completions", "/v1/embeddings", "/v1/search", "/v1/ask", "/v1/documents",
            "/v1/ingest", "/v1/jobs/{job_id}", "/health", "/ready"} <= paths
