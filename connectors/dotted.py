"""Dotted-path lookup ("post.author.name", "items.0.id") and a safe text template over records.

The template language is deliberately tiny: ``{field}`` or ``{a.b.0}`` and ``{{``/``}}`` escapes. No
conversions, no format specs, no attribute access or indexing beyond the dotted lookup, no eval, so a
spec file cannot reach into Python objects.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

_MISSING = object()
_FIELD = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")


class TemplateError(ValueError):
    """A template uses syntax outside ``{dotted.field}``."""


def get_path(value: Any, path: str | None, default: Any = None) -> Any:
    """The value at dotted ``path`` inside nested dicts/lists, or ``default``; an empty path is ``value``."""
    if not path:
        return value
    current = value
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            current = _MISSING
        if current is _MISSING:
            return default
    return current


def as_text(value: Any) -> str:
    """A field value as plain text: scalars as themselves, lists joined, objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(as_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def as_scalar(value: Any) -> str | int | float | bool | None:
    """A JSON-compatible scalar for metadata: scalars kept, anything else flattened to text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return as_text(value)


def template_fields(template: str) -> list[str]:
    """The dotted fields ``template`` uses; raises ``TemplateError`` for anything else."""
    fields: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"bad template {template!r}: {exc}") from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        # "__x" parts are refused although lookup is dict-only: they can only be an attempt at Python internals
        if conversion or spec or not _FIELD.match(name) or any(p.startswith("__") for p in name.split(".")):
            raise TemplateError(f"bad template field {{{name}}}: only {{name}} or {{dotted.name}} is allowed")
        fields.append(name)
    return fields


def render(template: str, record: Any) -> str:
    """``template`` with each ``{field}`` replaced by that dotted field of ``record`` (missing = empty)."""
    template_fields(template)  # validate first so no partial output escapes
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(as_text(get_path(record, name)))
    return "".join(out)
