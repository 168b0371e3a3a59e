"""Who is calling: the ``Authorization: Bearer <key>`` header becomes a ``Scope`` (or 401/429).

Keys are required once any key exists, and always when bound beyond loopback (``Service`` refuses to
start there without one). Without keys, on loopback, every caller gets the whole service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.service.collections import MODEL_PREFIX, Collection
from rag.service.context import Service
from rag.service.errors import ApiError
from rag.service.scope import Scope


def service_of(request: Request) -> Service:
    return request.app.state.service


def authorize(request: Request) -> Scope:
    """FastAPI dependency: the caller's scope."""
    service = service_of(request)
    if not service.keys.required():
        return Scope()
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "missing API key: send Authorization: Bearer <key>", code="invalid_api_key",
                       headers={"WWW-Authenticate": "Bearer"})
    found = service.keys.lookup(secret.strip())
    if found is None:
        raise ApiError(401, "invalid API key", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
    record, collections = found
    wait = service.limiter.check(record.id, record.rate_per_minute)
    if wait is not None:
        raise ApiError(429, f"rate limit exceeded; retry in {wait} s", code="rate_limit_exceeded",
                       headers={"Retry-After": str(wait)})
    return Scope(collections=collections, filter=record.filter, read_only=record.read_only, key_id=record.id)


def collection_for(service: Service, scope: Scope, name: str | None, *, write: bool = False,
                   param: str = "collection") -> Collection:
    """The collection a request names (``ragloom/<name>`` or ``<name>``; optional when only one is visible)."""
    if name is None or name == "":
        visible = [n for n in service.collections if scope.allows(n)]
        if len(visible) != 1:
            raise ApiError(400, f"{param} is required (one of: {', '.join(visible)})", code="missing_collection",
                           param=param)
        name = visible[0]
    short = name[len(MODEL_PREFIX):] if name.startswith(MODEL_PREFIX) else name
    if short not in service.collections:
        raise ApiError(404, f"no collection {name!r}; GET /v1/models lists them", code="model_not_found", param=param)
    if not scope.allows(short):
        raise ApiError(403, f"this key may not use collection {short!r}", code="collection_forbidden", param=param)
    if write and scope.read_only:
        raise ApiError(403, "this key is read-only", code="read_only_key")
    return service.collections[short]


Caller = Annotated[Scope, Depends(authorize)]  # a route parameter: the caller's scope
