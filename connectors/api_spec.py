"""Declarative specs for REST/JSON sources (ingest-time APIs and question-time tools), YAML or TOML.

Example (YAML)::

    name: tickets
    url: https://api.example.com/v1/tickets
    params: {state: open, per_page: 50}
    headers: {Authorization: "Bearer ${TICKETS_TOKEN}"}   # from the environment, never logged
    records: data.items        # dotted path to the list of records in each response
    id: id                     # -> source_id "api:tickets:<id>"
    text: "{title}\\n\\n{body}"  # template over (dotted) record fields
    title: title
    metadata: [state, author.login]
    pagination: {next: links.next}   # or {link_header: true} | {page_param: page, start: 1}
                                     # or {offset_param: offset, limit_param: limit, page_size: 50}
    rate_limit: 2              # requests per second
    timeout: 30
    max_retries: 4

``${NAME}`` is replaced from the environment when a request is made; a missing variable is an error
that names the variable, never its value. Spec problems raise ``ConnectorError`` in one line.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from connectors.dotted import TemplateError, as_scalar, as_text, get_path, render, template_fields
from connectors.formats.json_records import record_text
from connectors.netguard import redact_url
from rag.core.errors import ConnectorError
from rag.core.secrets import register_secret
from rag.core.types import Document, Skipped

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_SUBST = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_KNOWN = {"name", "url", "method", "params", "headers", "body", "records", "id", "text", "title", "modified",
          "metadata", "pagination", "rate_limit", "timeout", "max_retries", "backoff", "max_pages",
          "max_results", "allow_private", "max_response_mb", "description"}


@dataclass(frozen=True)
class Pagination:
    next: str | None = None  # dotted path to the next page's URL in the response body
    link_header: bool = False  # follow the Link: <...>; rel="next" header
    page_param: str | None = None  # query parameter holding the page number
    start: int = 1
    offset_param: str | None = None  # query parameter holding the record offset
    limit_param: str | None = None
    page_size: int | None = None


@dataclass(frozen=True)
class ApiSpec:
    name: str
    url: str
    method: str = "GET"
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    records: str | None = None
    id: str | None = None
    text: str | None = None
    title: str | None = None
    modified: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)  # metadata key -> dotted field
    pagination: Pagination = field(default_factory=Pagination)
    rate_limit: float | None = None
    timeout: float = 30.0
    max_retries: int = 3
    backoff: float = 0.5
    max_pages: int = 10_000
    max_results: int = 5
    allow_private: bool = False
    max_response_bytes: int = 20 * 1024 * 1024
    description: str = ""

    @property
    def public_url(self) -> str:
        """The URL as shown in metadata and messages: the unexpanded template, without query."""
        return redact_url(self.url)


def load_spec(path: str | os.PathLike[str], **defaults: Any) -> ApiSpec:
    """Read and validate a YAML (``.yaml``/``.yml``) or TOML (``.toml``) spec file."""
    spec_path = Path(path)
    try:
        raw = spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConnectorError(f"cannot read API spec {spec_path}: {exc.strerror or exc}") from exc
    try:
        data = tomllib.loads(raw) if spec_path.suffix.lower() == ".toml" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectorError(f"API spec {spec_path} is not valid {spec_path.suffix.lstrip('.')}: {first}") from exc
    except RecursionError as exc:  # both parsers recurse per nesting level
        raise ConnectorError(f"API spec {spec_path} is nested too deeply to read") from exc
    if not isinstance(data, dict):
        raise ConnectorError(f"API spec {spec_path} must be a mapping of settings")
    data.setdefault("name", spec_path.stem)
    return spec_from_dict({**defaults, **data}, where=str(spec_path))


def spec_from_dict(data: Mapping[str, Any], where: str = "API spec") -> ApiSpec:
    """Validate a spec already parsed into a mapping."""

    def bad(message: str) -> ConnectorError:
        return ConnectorError(f"{where}: {message}")

    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise bad(f"unknown setting(s) {', '.join(unknown)}")
    name = str(data.get("name", ""))
    if not _NAME.match(name):
        raise bad(f"name {name!r} must be letters, digits, '.', '_' or '-'")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad("url must be an http:// or https:// URL")
    method = str(data.get("method", "GET")).upper()
    if method not in ("GET", "POST"):
        raise bad(f"method must be GET or POST, not {method}")
    for key in ("params", "headers"):
        if not isinstance(data.get(key, {}), dict):
            raise bad(f"{key} must be a mapping")
    for key in ("records", "id", "title", "modified", "text"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise bad(f"{key} must be a string")
    if data.get("text"):
        try:
            template_fields(data["text"])
        except TemplateError as exc:
            raise bad(str(exc)) from exc
    metadata = data.get("metadata", {})
    if isinstance(metadata, list):
        metadata = {str(f): str(f) for f in metadata}
    if not isinstance(metadata, dict):
        raise bad("metadata must be a list of fields or a mapping of name: field")
    pagination = data.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise bad("pagination must be a mapping")
    try:
        pages = Pagination(**pagination)
    except TypeError as exc:
        raise bad(f"pagination: {exc}") from exc
    if sum(bool(x) for x in (pages.next, pages.link_header, pages.page_param, pages.offset_param)) > 1:
        raise bad("pagination: choose one of next, link_header, page_param, offset_param")
    try:
        numbers = {
            "rate_limit": float(data["rate_limit"]) if data.get("rate_limit") else None,
            "timeout": float(data.get("timeout", 30.0)),
            "max_retries": int(data.get("max_retries", 3)),
            "backoff": float(data.get("backoff", 0.5)),
            "max_pages": int(data.get("max_pages", 10_000)),
            "max_results": int(data.get("max_results", 5)),
            "max_response_bytes": int(float(data.get("max_response_mb", 20)) * 1024 * 1024),
        }
    except (TypeError, ValueError) as exc:
        raise bad(f"a numeric setting is not a number: {exc}") from exc
    if numbers["timeout"] <= 0 or numbers["max_retries"] < 0 or numbers["backoff"] < 0:
        raise bad("timeout must be > 0, max_retries and backoff >= 0")
    return ApiSpec(
        name=name, url=url, method=method, params=dict(data.get("params", {})),
        headers={str(k): str(v) for k, v in data.get("headers", {}).items()}, body=data.get("body"),
        records=data.get("records"), id=data.get("id"), text=data.get("text"), title=data.get("title"),
        modified=data.get("modified"), metadata={str(k): str(v) for k, v in metadata.items()},
        pagination=pages, allow_private=bool(data.get("allow_private", False)),
        description=str(data.get("description", "")), **numbers,
    )


def substitute(value: Any, spec: ApiSpec, values: Mapping[str, Any] | None = None, *, in_url: bool = False) -> Any:
    """``${ENV}`` from the environment and, when ``values`` is given, ``{name}`` from it; one pass,
    so text coming from a value (a user's query) is never expanded again."""
    if isinstance(value, dict):
        return {k: substitute(v, spec, values, in_url=in_url) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, spec, values, in_url=in_url) for v in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        env_name, field_name = match.groups()
        if env_name:
            if env_name not in os.environ:
                raise ConnectorError(f"API '{spec.name}': environment variable {env_name} is not set")
            return register_secret(os.environ[env_name]) or ""  # masked in every message from now on
        if values is None:
            return match.group(0)
        if field_name not in values:
            raise ConnectorError(f"API '{spec.name}': no value for parameter {{{field_name}}}")
        text = as_text(values[field_name])
        return quote(text, safe="") if in_url else text

    return _SUBST.sub(replace, value)


def record_document(spec: ApiSpec, record: Any, number: int, prefix: str) -> Document | Skipped:
    """One API record as a document keyed ``<prefix>:<name>:<id>`` (``id`` field, else its position)."""
    key = as_text(get_path(record, spec.id)) if spec.id else str(number)
    if not key:
        return Skipped(f"{prefix}:{spec.name}", f"record {number} has no '{spec.id}' field")
    text = render(spec.text, record) if spec.text else record_text(record, ())
    if not text.strip():
        return Skipped(f"{prefix}:{spec.name}:{key}", "record has no text")
    metadata: dict[str, Any] = {"source": spec.public_url, "file_type": "api", prefix: spec.name}
    title = as_text(get_path(record, spec.title)) if spec.title else ""
    metadata["title"] = title or f"{spec.name} {key}"
    if spec.modified:
        metadata["modified"] = as_scalar(get_path(record, spec.modified))
    for name, path in spec.metadata.items():
        metadata.setdefault(name, as_scalar(get_path(record, path)))
    return Document(source_id=f"{prefix}:{spec.name}:{key}", text=text, metadata=metadata)
