"""The generator the settings describe (backend, model, window, threads, server URL); nothing loads yet."""

from __future__ import annotations

from typing import Any

from rag.config import Settings
from rag.core.protocols import Generator
from rag.generation import create_generator


def generator_from_settings(settings: Settings) -> Generator:
    options: dict[str, Any] = {}
    if settings.context_window is not None:
        options["context_window"] = settings.context_window
    if settings.backend == "openai":
        options["api_key_env"] = settings.api_key_env
        if settings.base_url:
            options["base_url"] = settings.base_url
    elif settings.threads is not None:
        options["n_threads"] = settings.threads
    return create_generator(backend=settings.backend, model=settings.model, **options)
