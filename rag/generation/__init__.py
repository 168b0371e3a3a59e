"""Generation: the ``Generator`` contract, its backends by name, and the bundled offline models.

    gen = create_generator("llamacpp", "qwen2.5-coder-1.5b")   # nothing loads yet
    gen.generate([{"role": "user", "content": "Hi"}], SamplingParams())

Backends: ``"llamacpp"`` (default; extra ``ragloom[llamacpp]``), ``"transformers"`` (the
reference, core dependencies), ``"openai"`` (any OpenAI-compatible server; extra ``ragloom[openai]``).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from rag.core.errors import BackendMissingError, ConfigError
from rag.core.protocols import Generator
from rag.core.sampling import SamplingParams
from rag.core.types import Generation, Message

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
QUALITY_MODEL = "qwen2.5-coder-1.5b"

# name -> (module, class, extra that provides its package, the package's import name)
_BACKENDS: dict[str, tuple[str, str, str, str]] = {
    "llamacpp": ("rag.generation.llamacpp", "LlamaCppGenerator", "llamacpp", "llama_cpp"),
    "transformers": ("rag.generation.transformers_backend", "TransformersGenerator", "transformers", "transformers"),
    "openai": ("rag.generation.openai_backend", "OpenAIGenerator", "openai", "httpx"),
}


def create_generator(backend: str = "llamacpp", model: str | None = None, **options: Any) -> Generator:
    """A generator by backend name; cheap (no model load, no network) until ``warm_up()`` or first use.

    ``model`` is a bundled model name, a ``.gguf`` path or a HF folder (``"openai"``: the name the
    server knows; default ``DEFAULT_MODEL`` for local backends). ``options`` go to the backend's
    constructor (``context_window``, ``n_threads``, ``base_url``, ``api_key_env``, ...).
    """
    if backend not in _BACKENDS:
        raise ConfigError(f"unknown generation backend {backend!r}; choose one of {', '.join(_BACKENDS)}")
    module_name, class_name, extra, package = _BACKENDS[backend]
    if importlib.util.find_spec(package) is None:
        raise BackendMissingError(
            f"the {backend!r} backend needs the {package!r} package; install it with: pip install 'ragloom[{extra}]'"
        )
    cls = getattr(importlib.import_module(module_name), class_name)
    if backend == "openai":
        return cls(model or "default", **options)
    return cls(model or DEFAULT_MODEL, **options)


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m rag.generation.models` does not find its module already imported.
    if name in ("BUNDLED_MODELS", "resolve_model"):
        from rag.generation import models

        return getattr(models, name)
    raise AttributeError(f"module 'rag.generation' has no attribute {name!r}")


__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "QUALITY_MODEL",
    "Generation",
    "Generator",
    "Message",
    "SamplingParams",
    "create_generator",
    "resolve_model",
]
