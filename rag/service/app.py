"""The FastAPI application: routes, errors in the OpenAI shape, the upload limit, start-up and shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag import __version__
from rag.service import native_routes, openai_routes
from rag.service.context import Service
from rag.service.errors import error_body, install_error_handlers
from rag.service.schemas import Health

DESCRIPTION = """\
ragloom's retrieval-augmented answers over HTTP.

* OpenAI-compatible: `GET /v1/models` (each collection is a model `ragloom/<collection>`),
  `POST /v1/chat/completions` (streaming with `stream: true`), `POST /v1/embeddings`.
  Answers carry their sources, citations and grounding flags in the `ragloom` field.
* Native: `POST /v1/search`, `POST /v1/ask`, `GET/DELETE /v1/documents`, `POST /v1/ingest` (a job),
  `GET /v1/jobs/{id}`.
* `Authorization: Bearer <key>` is required once any key exists (`ragloom keys create`). A key is
  limited to its collections and its metadata scope, which every search is confined to.
"""


class UploadLimit:
    """413 for a request body over the limit, whether or not it announced its length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(self.max_bytes)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _too_large(self.max_bytes)(scope, receive, send)


class _TooLarge(Exception):
    pass


def _too_large(max_bytes: int) -> JSONResponse:
    mb = max_bytes / (1024 * 1024)
    return JSONResponse(error_body(413, f"request body over the {mb:g} MB upload limit", "request_too_large"),
                        status_code=413)


def create_app(service: Service) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(title="ragloom", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.service = service
    install_error_handlers(app)
    app.include_router(openai_routes.router)
    app.include_router(native_routes.router)

    @app.get("/health", response_model=Health, tags=["service"], summary="The process is up (no key needed)")
    def health() -> dict[str, Any]:
        return {"status": "ok", "collections": []}

    @app.get("/ready", response_model=Health, tags=["service"],
             summary="Collections open and embedders loaded (no key needed)",
             responses={503: {"model": Health, "description": "still warming up"}})
    def ready(request: Request) -> Any:
        if not service.ready.is_set():
            return JSONResponse({"status": "starting", "collections": []}, status_code=503,
                                headers={"Retry-After": "1"})
        return {"status": "ready", "collections": list(service.collections), "answers_in_queue": service.slots.admitted}

    app.add_middleware(UploadLimit, max_bytes=service.max_upload_bytes)
    return app
