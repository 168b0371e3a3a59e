"""The scope merge: a key's filter ANDed with the caller's, checked against the index's real filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag import FilterError
from rag.service.scope import IMPOSSIBLE, Scope, matches, merge_filters


@pytest.mark.parametrize(("scope", "requested", "merged"), [
    ({"team": "legal"}, None, {"team": {"$eq": "legal"}}),
    (None, {"year": {"$gte": 2020}}, {"year": {"$gte": 2020}}),
    ({"team": "legal"}, {"team": "legal"}, {"team": {"$eq": "legal"}}),
    ({"team": "legal"}, {"team": "sales"}, IMPOSSIBLE),
    ({"team": "legal"}, {"team": {"$in": ["sales", "legal"]}}, {"team": {"$eq": "legal", "$in": ["sales", "legal"]}}),
    ({"team": "legal"}, {"team": {"$in": ["sales"]}}, IMPOSSIBLE),
    ({"team": "legal"}, {"team": {"$ne": "legal"}}, IMPOSSIBLE),
    ({"team": {"$in": ["a", "b"]}}, {"team": {"$in": ["b", "c"]}}, {"team": {"$in": ["b"]}}),
    ({"team": {"$in": ["a"]}}, {"team": {"$in": ["c"]}}, IMPOSSIBLE),
    ({"team": {"$ne": "x"}}, {"team": {"$ne": "y"}}, {"team": {"$nin": ["x", "y"]}}),
    ({"year": {"$gte": 2020}}, {"year": {"$gte": 2018, "$lt": 2024}}, {"year": {"$gte": 2020, "$lt": 2024}}),
    ({"year": {"$lte": 2020}}, {"year": {"$lte": 2019}}, {"year": {"$lte": 2019}}),
    ({"team": "legal"}, {"lang": "en"}, {"team": {"$eq": "legal"}, "lang": {"$eq": "en"}}),
    ({"flag": True}, {"flag": 1}, IMPOSSIBLE),  # a boolean is not the number 1
])
def test_merge(scope, requested, merged) -> None:
    assert merge_filters(scope, requested) == merged


def test_merge_rejects_malformed_filters() -> None:
    with pytest.raises(FilterError):
        merge_filters({"team": "legal"}, ["team"])  # type: ignore[arg-type]
    with pytest.raises(FilterError):
        merge_filters({"year": {"$gte": 2020}}, {"year": {"$gte": "2020"}})


def test_merged_filter_selects_exactly_the_intersection(tmp_path: Path) -> None:
    """Every merge, run by the real index, returns exactly the documents both filters allow."""
    from rag import RAG, Document

    docs = [Document(f"d{i}", f"report number {i} about the budget", {"team": team, "year": year})
            for i, (team, year) in enumerate([("legal", 2019), ("legal", 2021), ("sales", 2021), ("ops", 2023)])]
    scopes = [{"team": "legal"}, {"team": {"$in": ["legal", "sales"]}}, {"year": {"$gte": 2021}}]
    requests = [None, {"team": "sales"}, {"team": {"$ne": "legal"}}, {"year": {"$lt": 2022}},
                {"team": {"$nin": ["ops"]}, "year": {"$gte": 2020}}]
    with RAG(tmp_path / "index") as rag:
        rag.ingest(docs)
        for scope in scopes:
            for requested in requests:
                merged = merge_filters(scope, requested)
                expected = {d.source_id for d in docs
                            if matches(scope, d.metadata, d.source_id) and matches(requested, d.metadata, d.source_id)}
                found = set() if merged is IMPOSSIBLE else {
                    h.chunk.document_id for h in rag.search("budget report", k=10, filter=merged, mode="dense")}
                assert found == expected, (scope, requested, merged)


def test_scope_allows_only_its_collections() -> None:
    scope = Scope(collections=frozenset({"a"}))
    assert scope.allows("a") and not scope.allows("b")
    assert Scope().allows("anything")
