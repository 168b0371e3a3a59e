"""Request and response bodies. Unknown request fields are ignored (OpenAI clients send many)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- errors ----------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in ((400, "Invalid request"), (401, "Missing or wrong API key"),
                                (403, "Collection or operation outside the key's scope"), (404, "Not found"),
                                (413, "Upload too large"), (429, "Rate limit exceeded (see Retry-After)"),
                                (500, "Internal error"), (503, "Busy or not ready (see Retry-After)"))
}


# -- shared ----------------------------------------------------------------------------------------
class Location(BaseModel):
    """Where a PDF source's text is: boxes are [page, x0, top, x1, bottom] in points, origin top-left."""

    source: str
    page: int
    pages: list[int]
    boxes: list[list[float]]
    page_width: float | None = None
    page_height: float | None = None
    link: str = Field(description="the file with a #page=N fragment")


class Source(BaseModel):
    number: int | None = Field(None, description="the [n] an answer cites this source by")
    rank: int
    score: float
    cosine: float | None = None
    keyword: float | None = None
    chunk_id: int
    document_id: str
    source: str
    text: str
    metadata: dict[str, Any]
    location: Location | None = Field(None, description="PDF sources: file, page(s) and line boxes to highlight")


class Citation(BaseModel):
    number: int
    chunk_id: int
    document_id: str


class Grounding(BaseModel):
    """ragloom's extension: what an answer was grounded on and how."""

    collection: str
    query: str = Field(description="the retrieval query (a follow-up rewritten with the history)")
    sources: list[Source]
    citations: list[Citation]
    unknown_citations: list[int]
    refused: bool = Field(description="true when the documents do not contain the answer")
    grounded: bool = Field(description="true when the answer cites at least one source")
    notes: list[str]


# -- OpenAI: models --------------------------------------------------------------------------------
class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "ragloom"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


# -- OpenAI: chat ----------------------------------------------------------------------------------
class ContentPart(_Request):
    type: str
    text: str | None = None


class ChatMessage(_Request):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None


class StreamOptions(_Request):
    include_usage: bool = False


class ChatCompletionRequest(_Request):
    model: str = Field(description="ragloom/<collection> (or the collection name)")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0, le=2, description="0 or absent: greedy (deterministic)")
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    stop: str | list[str] | None = Field(None, description="up to 4 stop sequences")
    top_k: int | None = Field(None, ge=0, le=1000, description="extension: sample among the k likeliest tokens")
    k: int | None = Field(None, ge=0, le=50, description="extension: sources retrieved for the answer")
    filter: dict[str, Any] | None = Field(None, description="extension: metadata filter (within the key's scope)")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"]


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    ragloom: Grounding


# -- OpenAI: embeddings ----------------------------------------------------------------------------
class EmbeddingRequest(_Request):
    model: str
    input: str | list[str] = Field(description="text or up to 256 texts (token arrays are not accepted)")
    encoding_format: Literal["float", "base64"] = "float"


class Embedding(BaseModel):
    object: Literal["embedding"] = "embedding"
    index: int
    embedding: list[float] | str


class EmbeddingUsage(BaseModel):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


# -- native ----------------------------------------------------------------------------------------
class SearchRequest(_Request):
    collection: str | None = Field(None, description="needed when more than one collection is served")
    query: str = Field(min_length=1, max_length=10_000)
    k: int = Field(5, ge=1, le=100)
    filter: dict[str, Any] | None = None
    mode: Literal["dense", "keyword", "hybrid"] | None = None
    min_score: float | None = Field(None, ge=-1, le=1)
    mmr: bool = False
    documents: bool = Field(False, description="one result per document")


class SearchResponse(BaseModel):
    object: Literal["list"] = "list"
    collection: str
    data: list[Source]


class AskRequest(_Request):
    collection: str | None = None
    question: str = Field(min_length=1, max_length=10_000)
    task: Literal["qa", "summarize", "translate", "extract", "code", "write"] = "qa"
    target_language: str | None = Field(None, max_length=50)
    k: int | None = Field(None, ge=0, le=50)
    filter: dict[str, Any] | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    top_k: int | None = Field(None, ge=0, le=1000)
    max_tokens: int | None = Field(None, ge=1, le=4096)
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    stop: str | list[str] | None = None


class AskResponse(BaseModel):
    object: Literal["answer"] = "answer"
    text: str
    finish_reason: Literal["stop", "length"]
    usage: Usage
    ragloom: Grounding


class DocumentInfo(BaseModel):
    id: str
    chunks: int
    ingested_at: str
    metadata: dict[str, Any]


class DocumentList(BaseModel):
    object: Literal["list"] = "list"
    collection: str
    total: int
    data: list[DocumentInfo]


class Deleted(BaseModel):
    id: str
    object: Literal["document"] = "document"
    deleted: bool
    chunks: int


class JobItemInfo(BaseModel):
    name: str
    kind: str
    status: str
    errors: list[dict[str, str]]


class JobInfo(BaseModel):
    id: str
    object: Literal["ingest.job"] = "ingest.job"
    collection: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    created: str
    updated: str
    progress: dict[str, int]
    counts: dict[str, int]
    message: str | None = None
    items: list[JobItemInfo]


class Health(BaseModel):
    status: str
    collections: list[str] = []
    answers_in_queue: int | None = Field(None, description="answers generating or waiting for the model")
