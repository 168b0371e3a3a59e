"""The running service's state: its settings, collections, keys, rate limiter, generation queue, jobs."""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag import ConnectorOptions, RagloomError, Settings
from rag.service.collections import Collection, open_collections
from rag.service.generation_slots import GenerationSlots
from rag.service.job_store import JobStore
from rag.service.jobs import JobRunner
from rag.service.keys import KeyRecord, KeyStore, state_dir
from rag.service.ratelimit import RateLimiter


@dataclass(frozen=True)
class ServiceConfig:
    indexes: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8000
    rate_per_minute: float = 600.0  # per key; 0 = unlimited; a key may carry its own rate
    queue_size: int = 4  # answers allowed to wait while one generates (then 503)
    max_upload_mb: float = 50.0
    retry_after: int = 5  # seconds suggested to a client turned away by a full queue

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class KeyRing:
    """The key stores of every served index; a key found in one grants that store's collections."""

    def __init__(self, collections: dict[str, Collection]) -> None:
        self._stores = [(name, KeyStore(c.path)) for name, c in collections.items()]
        self._any: tuple[float, bool] = (0.0, False)

    def required(self) -> bool:
        """Whether any key exists (re-checked every second, so a key created while serving takes effect)."""
        checked, value = self._any
        if time.monotonic() - checked > 1.0:
            value = any(store.has_keys() for _, store in self._stores)
            self._any = (time.monotonic(), value)
        return value

    def lookup(self, secret: str) -> tuple[KeyRecord, frozenset[str]] | None:
        for name, store in self._stores:
            record = store.lookup(secret)
            if record is not None:
                return record, frozenset(record.collections or (name,))
        return None


class Service:
    def __init__(self, config: ServiceConfig, settings: Settings) -> None:
        if not config.indexes:
            raise RagloomError("serve needs at least one --index DIR")
        self.config = config
        self.settings = settings
        self.collections = open_collections(config.indexes, settings)
        self.keys = KeyRing(self.collections)
        if not config.loopback and not self.keys.required():
            raise RagloomError(f"serving on {config.host} (beyond this machine) needs an API key first: "
                               f"ragloom keys create --index {next(iter(self.collections.values())).path}")
        self.limiter = RateLimiter(config.rate_per_minute)
        self.slots = GenerationSlots(config.queue_size, config.retry_after)
        self.runners: dict[str, JobRunner] = {}
        self.ready = threading.Event()
        self.started = int(time.time())

    def start(self) -> None:
        """Resume interrupted jobs, then warm the embedders (``/ready`` turns 200 after that)."""
        for name, collection in self.collections.items():
            folder = state_dir(collection.path)
            runner = JobRunner(collection, JobStore(folder), folder, self.connector_options())
            self.runners[name] = runner
            runner.start()
        threading.Thread(target=self._warm_up, name="ragloom-warm-up", daemon=True).start()

    def connector_options(self) -> ConnectorOptions:
        """How upload and URL jobs read files: as ``ragloom ingest`` would with the same settings."""
        return ConnectorOptions(ocr_images=self.settings.ocr_images)

    def _warm_up(self) -> None:
        for collection in self.collections.values():
            collection.rag.warm_up()
        self.ready.set()

    def stop(self) -> None:
        for runner in self.runners.values():
            runner.stop()
        for collection in self.collections.values():
            with collection.lock.write():
                collection.rag.close()

    @property
    def max_upload_bytes(self) -> int:
        return int(self.config.max_upload_mb * 1024 * 1024)

    def uploads_root(self, collection: str) -> Path:
        return self.runners[collection].uploads
