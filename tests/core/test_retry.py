"""The one retry policy (``rag.core.retry``) that the connectors and the OpenAI backend share."""

from __future__ import annotations

from email.utils import formatdate

from connectors import http as connector_http
from rag.core.retry import RETRY_STATUS, RetryPolicy, retry_after_seconds
from rag.generation.openai_backend import OpenAIGenerator


def test_retry_after_in_seconds_fractions_and_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds("-4") == 0.0
    now = 1_800_000_000.0
    assert retry_after_seconds(formatdate(now + 10, usegmt=True), now=now) == 10.0
    assert retry_after_seconds(formatdate(now - 10, usegmt=True), now=now) == 0.0
    for bad in (None, "", "soon", "inf", "nan", "Mon, 99 Foo 2026"):
        assert retry_after_seconds(bad) is None, bad


def test_backoff_doubles_retry_after_wins_and_both_are_capped() -> None:
    policy = RetryPolicy(max_retries=3, backoff=0.5, max_wait=3.0)
    assert [policy.delay(n) for n in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert policy.delay(0, "2") == 2.0  # the server's word beats a shorter backoff...
    assert policy.delay(2, "0") == 0.0  # ...and a longer one
    assert policy.delay(0, "3600") == 3.0
    assert policy.delay(10_000) == 3.0  # no overflow on absurd attempt counts


def test_which_failures_are_retried() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(0) and policy.should_retry(1, 503) and not policy.should_retry(2, 503)
    assert {408, 429, 500, 502, 503, 504} <= RETRY_STATUS
    for final in (400, 401, 403, 404, 501):
        assert not policy.should_retry(0, final)


def test_connectors_and_the_generator_use_the_same_policy() -> None:
    assert connector_http.retry_after_seconds is retry_after_seconds
    generator = OpenAIGenerator("m", "http://127.0.0.1:1/v1", max_retries=4, backoff_seconds=0.25,
                                max_backoff_seconds=2)
    assert generator.retry == RetryPolicy(max_retries=4, backoff=0.25, max_wait=2)
