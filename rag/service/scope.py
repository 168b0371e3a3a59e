"""What one API key may see: its collections and a metadata pre-filter merged into every search.

A scope's filter is ANDed with the caller's own filter, so a request can narrow its scope but never
widen it. Both use the index's filter language (``{"team": "legal"}``, ``{"year": {"$gte": 2020}}``,
``$in``/``$nin``/``$ne``...). When a key appears in both, the merged condition satisfies both:
operators that differ are simply combined (they are ANDed per key), equal operators are reduced to
the stricter one, and a contradiction (``team = legal`` AND ``team = sales``) becomes ``IMPOSSIBLE``,
which callers answer with no results without searching at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rag import FilterError

_SCALARS = (str, int, float, bool)
_LOWER = ("$gt", "$gte")
_UPPER = ("$lt", "$lte")


class _Impossible:
    """A merged filter no record can satisfy."""

    def __repr__(self) -> str:
        return "IMPOSSIBLE"


IMPOSSIBLE: Any = _Impossible()


@dataclass(frozen=True)
class Scope:
    """A caller's reach. ``collections=None`` means every collection; ``filter`` is the metadata pre-filter."""

    collections: frozenset[str] | None = None
    filter: Mapping[str, Any] = field(default_factory=dict)
    read_only: bool = False
    key_id: str | None = None  # None: the service runs without keys (loopback, no key created)

    def allows(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def search_filter(self, requested: Mapping[str, Any] | None) -> Any:
        """The caller's filter with the scope merged in (``IMPOSSIBLE`` when they contradict)."""
        return merge_filters(self.filter, requested)

    def sees(self, metadata: Mapping[str, Any], document_id: str) -> bool:
        """Whether a document (its metadata) lies inside the scope."""
        return matches(self.filter, metadata, document_id)


def merge_filters(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> Any:
    """``a AND b`` as one filter dict, ``None`` when both are empty, ``IMPOSSIBLE`` on a contradiction."""
    for value in (a, b):
        if value is not None and not isinstance(value, Mapping):
            raise FilterError(f"a filter must be an object of metadata keys to conditions, got {type(value).__name__}")
    merged: dict[str, dict[str, Any]] = {}
    for source in (a or {}, b or {}):
        for key, condition in source.items():
            conditions = _normalised(key, condition)
            target = merged.setdefault(key, {})
            for op, value in conditions.items():
                if op not in target:
                    target[op] = value
                    continue
                combined = _combine(key, op, target[op], value)
                if combined is IMPOSSIBLE:
                    return IMPOSSIBLE
                target[op] = combined
    if any(_contradicts(conditions) for conditions in merged.values()):
        return IMPOSSIBLE
    return merged or None


def _conditions(key: Any, condition: Any) -> dict[str, Any]:
    if not isinstance(key, str) or not key:
        raise FilterError(f"invalid filter key {key!r}")
    if isinstance(condition, Mapping):
        if not condition:
            raise FilterError(f"empty condition for filter key {key!r}")
        return dict(condition)
    return {"$eq": condition}


def _normalised(key: Any, condition: Any) -> dict[str, Any]:
    """Conditions with ``$ne: v`` as ``$nin: [v]`` (the same in SQL), so two exclusions merge into one list."""
    conditions = _conditions(key, condition)
    if "$ne" in conditions:
        excluded = conditions.pop("$ne")
        conditions["$nin"] = [excluded, *[v for v in conditions.get("$nin", []) if not _same(v, excluded)]]
    return conditions


def _combine(key: str, op: str, left: Any, right: Any) -> Any:
    """Both ``left`` and ``right`` under the same operator, as one value (or ``IMPOSSIBLE``)."""
    if op == "$eq":
        return left if _same(left, right) else IMPOSSIBLE
    if op == "$in":
        kept = [v for v in _list(key, op, left) if any(_same(v, w) for w in _list(key, op, right))]
        return kept or IMPOSSIBLE
    if op == "$nin":
        first = _list(key, op, left)
        return [*first, *[v for v in _list(key, op, right) if not any(_same(v, w) for w in first)]]
    if op in _LOWER or op in _UPPER:
        if not _comparable(left, right):
            raise FilterError(f"filter {key!r} {op} compares {left!r} with {right!r}, which have different types")
        stricter = max if op in _LOWER else min
        return stricter(left, right)
    raise FilterError(f"unsupported filter operator {op!r} for {key!r}")


def _contradicts(conditions: dict[str, Any]) -> bool:
    """True when the conditions on one key cannot all hold (an equality outside an $in, inside a $nin)."""
    if "$eq" in conditions:
        eq = conditions["$eq"]
        if "$in" in conditions and not any(_same(eq, v) for v in conditions["$in"]):
            return True
        if "$nin" in conditions and any(_same(eq, v) for v in conditions["$nin"]):
            return True
    return False


def matches(filter: Mapping[str, Any] | None, metadata: Mapping[str, Any], document_id: str) -> bool:
    """Python twin of the index's SQL filter, for document records (listing and deleting by scope)."""
    for key, condition in (filter or {}).items():
        value = document_id if key == "document_id" else metadata.get(key)
        for op, expected in _conditions(key, condition).items():
            if not _holds(op, value, expected):
                return False
    return True


def _holds(op: str, value: Any, expected: Any) -> bool:
    if value is None:  # SQL: a missing key matches no comparison at all
        return False
    if op == "$eq":
        return _same(value, expected)
    if op == "$ne":
        return not _same(value, expected)
    if op == "$in":
        return any(_same(value, v) for v in expected)
    if op == "$nin":
        return not any(_same(value, v) for v in expected)
    if not _comparable(value, expected):
        return False
    return {"$gt": value > expected, "$gte": value >= expected,
            "$lt": value < expected, "$lte": value <= expected}[op]


def _same(a: Any, b: Any) -> bool:
    return _comparable(a, b) and a == b


def _comparable(a: Any, b: Any) -> bool:
    numeric = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    return (isinstance(a, numeric) and isinstance(b, numeric)) or type(a) is type(b)


def _list(key: str, op: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple) or not value:
        raise FilterError(f"{op} for {key!r} needs a non-empty list of values")
    return list(value)
