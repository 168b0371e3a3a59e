"""Metadata filters, compiled to a SQL WHERE clause over the chunk store.

A filter is a dict: ``{"lang": "en"}`` (equality), ``{"year": {"$gte": 2020, "$lt": 2024}}``
(ranges), ``{"type": {"$in": ["pdf", "md"]}}``. Keys combine with AND. Values are compared
with SQLite's JSON values, so numbers compare as numbers and strings as strings.

Nothing from a filter is ever pasted into SQL: values are bound parameters, and a metadata key
becomes a bound JSON path (``$."key"``) after a check that it can't leave its quotes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rag.core.errors import FilterError
from rag.core.types import Filter

_COMPARISONS = {"$eq": "=", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_COLUMNS = {"document_id": "document_id"}  # keys that live in a column, not in the metadata JSON
_SCALARS = (str, int, float, bool)


def compile_filter(filter: Filter | None) -> tuple[str, list[Any]]:
    """``(sql, params)`` for ``WHERE sql``; ``("1", [])`` when there is no filter."""
    if not filter:
        return "1", []
    if not isinstance(filter, Mapping):
        raise FilterError(f"a filter must be a mapping of metadata keys to conditions, got {type(filter).__name__}")
    clauses: list[str] = []
    params: list[Any] = []
    for key, condition in filter.items():
        field, field_params = _field(key)
        conditions = condition if isinstance(condition, Mapping) else {"$eq": condition}
        if not conditions:
            raise FilterError(f"empty condition for filter key {key!r}")
        for op, value in conditions.items():
            if op in _COMPARISONS:
                _check_scalar(key, op, value)
                clauses.append(f"{field} {_COMPARISONS[op]} ?")
                params.extend([*field_params, value])
            elif op in ("$in", "$nin"):
                if not isinstance(value, list | tuple | set) or not value:
                    raise FilterError(f"{op} for {key!r} needs a non-empty list of values")
                for item in value:
                    _check_scalar(key, op, item)
                marks = ", ".join("?" * len(value))
                clauses.append(f"{field} {'IN' if op == '$in' else 'NOT IN'} ({marks})")
                params.extend([*field_params, *value])
            else:
                supported = ", ".join([*_COMPARISONS, "$in", "$nin"])
                raise FilterError(f"unsupported filter operator {op!r} for {key!r} (supported: {supported})")
    return " AND ".join(clauses), params


def parse_cli_filters(expressions: list[str]) -> dict[str, Any]:
    """Turn ``key=value``, ``key!=value``, ``key>=3``, ``key<3`` ... into a filter dict.

    The same key given twice with ``=`` means "any of these values".
    """
    result: dict[str, dict[str, Any]] = {}
    for expression in expressions:
        key, op, raw = _split_expression(expression)
        value = _cli_value(raw)
        conditions = result.setdefault(key, {})
        if op == "$eq" and ("$eq" in conditions or "$in" in conditions):
            conditions["$in"] = [*conditions.pop("$in", [conditions.pop("$eq", None)]), value]
        else:
            conditions[op] = value
    return result


_CLI_OPERATORS = (("!=", "$ne"), (">=", "$gte"), ("<=", "$lte"), ("=", "$eq"), (">", "$gt"), ("<", "$lt"))


def _split_expression(expression: str) -> tuple[str, str, str]:
    for token, op in _CLI_OPERATORS:
        key, sep, raw = expression.partition(token)
        if sep and key.strip() and not any(c in key for c in "!<>="):
            return key.strip(), op, raw.strip()
    raise FilterError(f"cannot read filter {expression!r}; use key=value, key!=value, key>=n, key<n ...")


def _cli_value(raw: str) -> Any:
    # Numbers and booleans compare as such; anything else is a string, quotes optional.
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, _SCALARS) else raw


def _field(key: Any) -> tuple[str, list[str]]:
    """SQL for a key's value and its bound parameters; the key itself never becomes SQL text."""
    if not isinstance(key, str) or not key:
        raise FilterError(f"invalid filter key {key!r}: a key is a non-empty string")
    if any(c in '"\\' or ord(c) < 0x20 for c in key):
        # JSON paths can't address these (SQLite compares them in their escaped form): refuse, never guess.
        raise FilterError(f"invalid filter key {key!r}: quotes, backslashes and control characters are not allowed")
    if key in _COLUMNS:
        return _COLUMNS[key], []
    return "json_extract(metadata, ?)", [f'$."{key}"']


def _check_scalar(key: str, op: str, value: Any) -> None:
    if not isinstance(value, _SCALARS):
        raise FilterError(f"filter {key!r} {op} needs a string, number or boolean, got {type(value).__name__}")
