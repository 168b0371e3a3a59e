"""Reaching Milvus: a URI to a client, the collection's schema, and Milvus Lite's embedded server.

A URI is either a local path ending in ``.db`` (Milvus Lite, run inside this process on a
127.0.0.1 port by ``milvus_lite``'s server manager; one process per data folder) or an
``http(s)://`` / ``tcp://`` / ``unix:`` address of a Milvus server (Milvus Lite's own
``milvus-lite server``, Milvus standalone or a cluster). Embedded servers are reference-counted
here and stopped when the last index using one closes, so the data folder's lock is released
and another process can open it.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from pymilvus import DataType, MilvusClient, MilvusException

from rag.core.errors import ConfigError, RagloomError

SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")
LITE_SUFFIX = ".db"
MAX_SOURCE_ID = 4096  # bytes of a document id stored beside each vector
CONNECT_TIMEOUT = 10.0
# Index types ragloom builds, with their build parameters (metric: inner product on unit vectors = cosine).
INDEX_TYPES: dict[str, dict[str, Any]] = {
    "HNSW": {"M": 32, "efConstruction": 200},
    "IVF_FLAT": {"nlist": 1024},
    "FLAT": {},
}

_lite_users: Counter[str] = Counter()
_lite_lock = threading.Lock()


def is_server(uri: str) -> bool:
    return uri.startswith(SERVER_SCHEMES)


def resolve_uri(folder: Path, uri: str | None) -> str:
    """The URI to connect to: a server address as given, a Lite file relative to the index folder."""
    if not uri:
        return str((folder / f"milvus{LITE_SUFFIX}").absolute())
    if is_server(uri):
        return uri
    if not uri.endswith(LITE_SUFFIX):
        raise ConfigError(f"milvus_uri {uri!r} is neither a server URI (http://host:port) nor a local Milvus Lite "
                          f"file ending in {LITE_SUFFIX}")
    path = Path(uri).expanduser()
    return str((path if path.is_absolute() else folder / path).absolute())


def stored_uri(folder: Path, uri: str) -> str:
    """How the manifest records ``uri``: a Lite file inside the index folder relative to it (the folder may move)."""
    if is_server(uri):
        return re.sub(r"//[^/@]*@", "//", uri)  # never keep credentials given in the URI
    try:
        return str(Path(uri).relative_to(folder.absolute()))
    except ValueError:
        return uri


def connect(uri: str) -> MilvusClient:
    """A client for ``uri``; a Lite file starts (or reuses) this process's embedded server for it."""
    token = os.environ.get("RAGLOOM_MILVUS_TOKEN", "")  # a secret: from the environment only, never stored
    try:
        if is_server(uri):
            return MilvusClient(uri=uri, token=token, timeout=CONNECT_TIMEOUT)
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        with _lite_lock:
            if not _lite_users[uri]:
                _check_not_locked(uri)
            client = MilvusClient(uri=uri, timeout=CONNECT_TIMEOUT)
            _lite_users[uri] += 1
        return client
    except MilvusException as exc:
        raise RagloomError(f"cannot open Milvus at {stored_uri(Path(uri).parent, uri)}: {exc.message}") from exc


def _check_not_locked(uri: str) -> None:
    """Milvus Lite serves a data folder to one process; say so plainly instead of its stack trace."""
    lock = Path(uri) / "LOCK"
    if not lock.exists():
        return
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except BlockingIOError:
        raise RagloomError(f"{uri} is open in another process, and Milvus Lite serves a file to one process at a "
                           "time; to share it, run `milvus-lite server --data-dir ... --host 127.0.0.1` and set "
                           "milvus_uri to its http:// address") from None
    finally:
        os.close(fd)


def disconnect(client: MilvusClient, uri: str) -> None:
    client.close()
    if is_server(uri):
        return
    from milvus_lite import server_manager_instance

    with _lite_lock:
        _lite_users[uri] -= 1
        if _lite_users[uri] <= 0:
            del _lite_users[uri]
            server_manager_instance.release_server(uri)


def create_collection(client: MilvusClient, name: str, dimension: int, index_type: str, shards: int = 1) -> None:
    """A collection of (id, document_id, metadata JSON, vector) with an inner-product vector index.

    ``shards`` spreads writes over that many data nodes of a cluster (Milvus Lite keeps one).
    """
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)  # the chunk store's stable chunk id
    schema.add_field("document_id", DataType.VARCHAR, max_length=MAX_SOURCE_ID)
    schema.add_field("metadata", DataType.JSON)  # the chunk's metadata, for filters inside the search
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    params = client.prepare_index_params()
    params.add_index(field_name="vector", index_type=index_type, metric_type="IP", params=INDEX_TYPES[index_type])
    # Strong consistency: a search sees every write acknowledged before it (Lite always does).
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong",
                             num_shards=shards)


def search_params(index_type: str, ef_search: int, nprobe: int, limit: int) -> dict[str, Any]:
    if index_type == "HNSW":
        return {"metric_type": "IP", "params": {"ef": max(ef_search, limit)}}
    if index_type == "IVF_FLAT":
        return {"metric_type": "IP", "params": {"nprobe": nprobe}}
    return {"metric_type": "IP", "params": {}}


def check_index_type(index_type: str) -> str:
    normalised = index_type.upper()
    if normalised not in INDEX_TYPES:
        raise ConfigError(f"unknown milvus_index {index_type!r}; choose one of {', '.join(INDEX_TYPES)}")
    return normalised
