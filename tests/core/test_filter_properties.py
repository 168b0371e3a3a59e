"""Filters are data, never SQL: property tests over arbitrary keys and values, and the probe's injection."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexes.chunk_store import ChunkStore
from indexes.filters import compile_filter, parse_cli_filters
from rag import RAG, Document
from rag.core.errors import FilterError
from rag.core.types import DocumentRecord, NewChunk

# Halves, not arbitrary floats: SQLite's text-to-double parse may differ from Python's in the last bit.
scalars = st.one_of(st.text(max_size=6), st.integers(-4, 4), st.integers(-8, 8).map(lambda i: i / 2), st.booleans())
keys = st.text(max_size=10)
comparisons = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
CRAFTED = "'||char(34)) IS NULL OR 1=1 OR json_extract(metadata, '$.x"  # matched 3 of 3 before


def condition_strategy() -> st.SearchStrategy[Any]:
    return st.one_of(
        scalars,
        st.dictionaries(comparisons, scalars, min_size=1, max_size=2),
        st.builds(lambda op, values: {op: values}, st.sampled_from(["$in", "$nin"]),
                  st.lists(scalars, min_size=1, max_size=3)),
    )


@given(key=keys, condition=condition_strategy())
def test_a_key_never_changes_the_sql_text(key: str, condition: Any) -> None:
    try:
        sql, params = compile_filter({key: condition})
    except FilterError:
        assert not key or any(c in '"\\' or ord(c) < 0x20 for c in key)
        return
    if key == "document_id":
        return
    assert sql == compile_filter({"k": condition})[0]  # the same SQL whatever the key says
    assert f'$."{key}"' in params


def _rank(value: Any) -> tuple[int, Any]:
    """SQLite's order across types for json_extract values: numbers (true/false are 1/0) before text."""
    return (1, value) if isinstance(value, str) else (0, int(value) if isinstance(value, bool) else value)


def _holds(stored: Any, op: str, value: Any) -> bool:
    """What the filter means, in Python: a missing key (SQL NULL) matches nothing."""
    if stored is _MISSING:
        return False
    if op in ("$in", "$nin"):
        inside = any(_rank(stored) == _rank(v) for v in value)
        return inside if op == "$in" else not inside
    a, b = _rank(stored), _rank(value)
    return {"$eq": a == b, "$ne": a != b, "$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[op]


_MISSING = object()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=keys.filter(lambda k: k != "document_id"), stored=st.lists(st.one_of(scalars, st.just(_MISSING)),
       min_size=1, max_size=6), condition=condition_strategy())
def test_filters_select_exactly_what_they_say(key: str, stored: list[Any], condition: Any) -> None:
    store = ChunkStore(Path(":memory:"))
    try:
        for n, value in enumerate(stored):
            metadata = {"other": n} if value is _MISSING else {key: value, "other": n}
            store.put_document(DocumentRecord(f"d{n}", "h", {}, 1, "t"))
            store.add_chunks(f"d{n}", [NewChunk(f"text {n}", 0, 1, metadata)])
        store.commit()
        try:
            found = store.chunk_ids({key: condition}).tolist()
        except FilterError:
            assert not key or any(c in '"\\' or ord(c) < 0x20 for c in key)
            return
        conditions = condition if isinstance(condition, dict) else {"$eq": condition}
        expected = [n + 1 for n, value in enumerate(stored)
                    if all(_holds(value, op, v) for op, v in conditions.items())]
        assert sorted(found) == expected
        # The keyword search restricts by the same filter.
        assert sorted(i for i, _ in store.keyword_search("text", 10, {key: condition})) == expected
    finally:
        store.close()


@given(expression=st.text(max_size=20))
def test_cli_filter_expressions_parse_or_fail_clearly(expression: str) -> None:
    try:
        parsed = parse_cli_filters([expression])
    except FilterError:
        return
    with contextlib.suppress(FilterError):  # a parsed filter compiles or says why not, nothing else
        compile_filter(parsed)


def test_the_probes_crafted_key_matches_nothing(tmp_path: Path, embedder) -> None:
    with RAG(tmp_path / "i", embedder=embedder) as rag:
        rag.ingest([Document(f"d{i}", f"Text number {i} about lava.", {"lang": lang})
                    for i, lang in enumerate(["en", "fr", "de"])])
        assert rag.search("lava", k=5, filter={"lang": "nothing"}) == []
        assert rag.search("lava", k=5, filter={CRAFTED: "nothing"}) == []
        assert rag.search("lava", k=5, filter={"lang') IS NOT NULL OR ('": "x"}) == []
        assert [h.chunk.metadata["lang"] for h in rag.search("lava", k=5, filter={"lang": "fr"})] == ["fr"]
    for expression in (f"{CRAFTED}=nothing", "a'b=1"):
        result = subprocess.run([sys.executable, "-m", "rag.cli.main", "search", "lava", "--index",
                                 str(tmp_path / "i"), "--filter", expression, "--json"],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        assert json.loads(result.stdout) == []


@pytest.mark.parametrize("key", ['a"b', "a\\b", "a\nb", ""])
def test_keys_a_json_path_cannot_address_are_refused(key: str) -> None:
    with pytest.raises(FilterError, match="invalid filter key"):
        compile_filter({key: 1})
