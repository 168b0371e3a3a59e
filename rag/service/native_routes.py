"""ragloom's own endpoints: search, ask, documents, ingest jobs. Every read is confined to the key's scope."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from rag.service import answering
from rag.service.auth import Caller, collection_for, service_of
from rag.service.errors import ApiError, error_body
from rag.service.job_store import JobItem
from rag.service.schemas import (
    ERROR_RESPONSES,
    AskRequest,
    AskResponse,
    Deleted,
    DocumentList,
    JobInfo,
    SearchRequest,
    SearchResponse,
)
from rag.service.scope import IMPOSSIBLE, Scope

router = APIRouter(prefix="/v1", tags=["ragloom"], responses=ERROR_RESPONSES)

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_ITEMS = 1000


@router.post("/search", response_model=SearchResponse, summary="The chunks closest to a query, within scope")
async def search(body: SearchRequest, request: Request, scope: Caller) -> dict[str, Any]:
    collection = collection_for(service_of(request), scope, body.collection)
    search_filter = scope.search_filter(body.filter)
    hits = []
    if search_filter is not IMPOSSIBLE and collection.rag.exists:
        hits = await anyio.to_thread.run_sync(lambda: collection.rag.search(
            body.query, body.k, filter=search_filter, min_score=body.min_score, mode=body.mode, mmr=body.mmr,
            documents=body.documents))
    return {"object": "list", "collection": collection.name,
            "data": [answering.source_dict(None, hit) for hit in hits]}


@router.post("/ask", response_model=AskResponse, summary="A cited answer from a collection")
async def ask(body: AskRequest, request: Request, scope: Caller) -> Any:
    service = service_of(request)
    collection = collection_for(service, scope, body.collection)
    sampling = answering.sampling_from(body)
    search_filter = scope.search_filter(body.filter)
    if search_filter is IMPOSSIBLE:
        answer = answering.refused_without_search(body.question)
    else:
        messages = [{"role": "user", "content": body.question}]
        options = {"sampling": sampling, "k": body.k, "filter": search_filter, "task": body.task,
                   "target_language": body.target_language}
        answer = await answering.answer_once(request, service.slots,
                                             lambda: collection.rag.chat(messages, **options))
        if answer is None:
            return JSONResponse(error_body(499, "client closed the request"), status_code=499)
    return {"object": "answer", "text": answer.text, "finish_reason": answering.finish_reason(answer),
            "usage": answering.usage(answer), "ragloom": answering.grounding(collection, answer)}


@router.get("/documents", response_model=DocumentList, summary="The documents of a collection, within scope")
async def list_documents(request: Request, scope: Caller,
                         collection: Annotated[str | None, Query(max_length=200)] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                         offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    chosen = collection_for(service_of(request), scope, collection)

    def visible() -> list[Any]:
        with chosen.lock.read():
            return [r for r in chosen.rag.documents() if scope.sees(r.metadata, r.source_id)]

    records = await anyio.to_thread.run_sync(visible)
    return {"object": "list", "collection": chosen.name, "total": len(records),
            "data": [{"id": r.source_id, "chunks": r.chunk_count, "ingested_at": r.ingested_at,
                      "metadata": r.metadata} for r in records[offset:offset + limit]]}


@router.delete("/documents", response_model=Deleted, summary="Remove one document and its chunks")
async def delete_document(request: Request, id: Annotated[str, Query(min_length=1, max_length=4000)],
                          scope: Caller,
                          collection: Annotated[str | None, Query(max_length=200)] = None) -> dict[str, Any]:
    chosen = collection_for(service_of(request), scope, collection, write=True)

    def remove() -> int | None:
        with chosen.lock.write():
            records = {r.source_id: r for r in chosen.rag.documents()}
            record = records.get(id)
            if record is None or not scope.sees(record.metadata, record.source_id):
                return None  # out of scope looks exactly like absent
            return chosen.rag.delete(id)

    removed = await anyio.to_thread.run_sync(remove)
    if removed is None:
        raise ApiError(404, f"no document {id!r} in collection {chosen.name!r}", code="document_not_found", param="id")
    return {"id": id, "object": "document", "deleted": True, "chunks": removed}


@router.post("/ingest", response_model=JobInfo, status_code=202,
             summary="Start an ingest job (files, URLs, an API spec); poll GET /v1/jobs/{id}")
async def ingest(request: Request, scope: Caller,
                 collection: Annotated[str | None, Form(max_length=200)] = None,
                 files: Annotated[list[UploadFile], File(description="documents to add or update")] = [],  # noqa: B006
                 urls: Annotated[list[str], Form(description="http(s) pages to fetch")] = [],  # noqa: B006
                 api_spec: Annotated[UploadFile | None, File(description="a REST/JSON API spec (YAML/TOML)")] = None,
                 crawl_depth: Annotated[int, Form(ge=0, le=3)] = 0,
                 max_pages: Annotated[int, Form(ge=1, le=200)] = 50) -> dict[str, Any]:
    service = service_of(request)
    chosen = collection_for(service, scope, collection, write=True)
    urls = [u.strip() for u in urls if u and u.strip()]
    uploads = [f for f in files if f.filename]
    if not uploads and not urls and api_spec is None:
        raise ApiError(400, "nothing to ingest: send files, urls or an api_spec", code="invalid_value")
    if len(uploads) + len(urls) + 1 > MAX_ITEMS:
        raise ApiError(400, f"at most {MAX_ITEMS} items per job", code="invalid_value")
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise ApiError(400, f"only http(s) URLs can be ingested, not {url[:80]!r}", code="invalid_value",
                           param="urls")
    runner = service.runners[chosen.name]
    job_id = runner.store.new_id()
    folder = runner.upload_folder(job_id)
    items: list[JobItem] = []
    names: set[str] = set()
    for upload in uploads:
        name = _safe_name(upload.filename or "upload", names)
        target = folder / str(len(items)) / name
        await _save(upload, target)
        items.append(JobItem(len(items), "file", str(target), name))
    for url in urls:
        items.append(JobItem(len(items), "url", url, url))
    if api_spec is not None:
        name = _safe_name(api_spec.filename or "api-spec.yaml", names)
        target = folder / str(len(items)) / name
        await _save(api_spec, target)
        items.append(JobItem(len(items), "api", str(target), name))
    job = runner.store.create(job_id, chosen.name, scope.key_id, dict(scope.filter),
                              {"crawl_depth": crawl_depth, "max_pages": max_pages}, items)
    runner.submit(job)
    return job.to_dict()


@router.get("/jobs/{job_id}", response_model=JobInfo, summary="An ingest job's progress and per-item errors")
def get_job(job_id: str, request: Request, scope: Caller) -> dict[str, Any]:
    return _own_job(request, scope, job_id)[1].to_dict()


@router.post("/jobs/{job_id}/cancel", response_model=JobInfo, summary="Stop a job after its current item")
def cancel_job(job_id: str, request: Request, scope: Caller) -> dict[str, Any]:
    runner, job = _own_job(request, scope, job_id)
    if scope.read_only:
        raise ApiError(403, "this key is read-only", code="read_only_key")
    runner.cancel(job.id)
    refreshed = runner.store.get(job.id)
    assert refreshed is not None
    return refreshed.to_dict()


def _own_job(request: Request, scope: Scope, job_id: str) -> tuple[Any, Any]:
    """The job, if this key started it (another key's job is reported as absent)."""
    service = service_of(request)
    for name, runner in service.runners.items():
        job = runner.store.get(job_id)
        if job is not None and scope.allows(name) and job.key_id == scope.key_id:
            return runner, job
    raise ApiError(404, f"no job {job_id!r}", code="job_not_found")


def _safe_name(filename: str, taken: set[str]) -> str:
    """The upload's base name with only harmless characters (no path can escape the upload folder)."""
    base = _UNSAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip(" .") or "upload"
    name, n = base[:200], 1
    while name in taken:
        n += 1
        stem, dot, ext = base.rpartition(".")
        name = f"{stem}-{n}.{ext}" if dot and stem else f"{base}-{n}"
    taken.add(name)
    return name


async def _save(upload: UploadFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            out.write(chunk)
