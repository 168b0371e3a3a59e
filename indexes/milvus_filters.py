"""Metadata filters (``indexes.filters``' dict language) compiled to a Milvus boolean expression.

The same filter must select the same chunks in every backend, so this mirrors the SQL compiler:
keys combine with AND, ``document_id`` is a column, every other key is a path into the chunk's
``metadata`` JSON field, and a chunk without the key never matches (not even ``$ne``/``$nin``:
Milvus treats a missing JSON key as null, as SQLite's ``json_extract`` does).

Nothing from the user is pasted into the expression unescaped: keys and string values become
double-quoted literals with ``\\``, ``"`` and the C escapes (``\\n``, ``\\r``, ``\\t``) escaped, and
other control characters are refused; numbers must be finite; only ``str``, ``int``, ``float`` and
``bool`` values are accepted. (Milvus's expression templates would avoid escaping, but Milvus
Lite does not accept them, and JSON path keys cannot be template parameters anyway.)
``$in``/``$nin`` on a JSON path are spelled as ``==``/``!=`` chains because Milvus Lite accepts
``in`` on plain fields only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rag.core.errors import FilterError
from rag.core.types import Filter

_COMPARISONS = {"$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_COLUMNS = ("document_id",)  # keys stored as their own field, not inside the metadata JSON
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def compile_milvus_filter(filter: Filter | None) -> str:
    """A Milvus ``filter`` expression for ``filter``; ``""`` (everything) when there is none."""
    if not filter:
        return ""
    if not isinstance(filter, Mapping):
        raise FilterError(f"a filter must be a mapping of metadata keys to conditions, got {type(filter).__name__}")
    clauses: list[str] = []
    for key, condition in filter.items():
        field = _field(key)
        conditions = condition if isinstance(condition, Mapping) else {"$eq": condition}
        if not conditions:
            raise FilterError(f"empty condition for filter key {key!r}")
        for op, value in conditions.items():
            if op in _COMPARISONS:
                clauses.append(f"{field} {_COMPARISONS[op]} {_literal(key, op, value)}")
            elif op in ("$in", "$nin"):
                if not isinstance(value, list | tuple | set) or not value:
                    raise FilterError(f"{op} for {key!r} needs a non-empty list of values")
                literals = [_literal(key, op, item) for item in value]
                if key in _COLUMNS:
                    clauses.append(f"{field} {'in' if op == '$in' else 'not in'} [{', '.join(literals)}]")
                elif op == "$in":
                    clauses.append("(" + " or ".join(f"{field} == {v}" for v in literals) + ")")
                else:
                    clauses.append("(" + " and ".join(f"{field} != {v}" for v in literals) + ")")
            else:
                supported = ", ".join([*_COMPARISONS, "$in", "$nin"])
                raise FilterError(f"unsupported filter operator {op!r} for {key!r} (supported: {supported})")
    return " and ".join(clauses)


def quote(text: str) -> str:
    """``text`` as a double-quoted Milvus string literal."""
    if any(ord(c) < 32 and c not in _ESCAPES for c in text):
        raise FilterError(f"control characters are not allowed in a filter: {text!r}")
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def _field(key: Any) -> str:
    if not isinstance(key, str) or not key or any(c in key for c in '"\\'):  # refused by the SQL side too
        raise FilterError(f"invalid filter key {key!r}")
    return key if key in _COLUMNS else f"metadata[{quote(key)}]"


def _literal(key: str, op: str, value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"filter {key!r} {op} needs a finite number, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    raise FilterError(f"filter {key!r} {op} needs a string, number or boolean, got {type(value).__name__}")
