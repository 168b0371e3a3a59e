"""The reference backend: Hugging Face ``transformers`` on CPU, for any local model folder or GGUF file.

A GGUF is loaded with ``from_pretrained(dir, gguf_file=...)``, which dequantises it to fp32
(tens of seconds). The result is saved once as safetensors under
``$RAGLOOM_CACHE/transformers/<key>/`` so later loads take seconds. Sampling goes through
``generate()``, whose logits processors run in the order the contract states: repetition penalty
(over prompt and answer), temperature, top-k, top-p. Nothing is ever fetched from a hub
(``local_files_only=True``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.config import cache_dir
from rag.core.errors import BackendMissingError, ConfigError
from rag.core.sampling import SamplingParams
from rag.core.types import Generation, Message
from rag.generation._common import StopScanner, Timer, check_fits, check_messages, final_generation
from rag.generation.models import BUNDLED_MODELS, bundled_name, resolve_model

try:
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        StoppingCriteria,
        StoppingCriteriaList,
        TextIteratorStreamer,
    )
except ImportError as error:  # pragma: no cover - depends on the environment
    raise BackendMissingError(
        f"the transformers backend needs torch and transformers ({error}); install with: pip install 'ragloom'"
    ) from error


def _require_gguf_support() -> None:
    missing = [name for name in ("gguf", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendMissingError(
            f"transformers reads GGUF files only with {' and '.join(missing)} installed; "
            "install with: pip install gguf==0.19.0 accelerate==1.15.0 (or bash setup/install_generation.sh .venv/bin)"
        )


class _StopFlag(StoppingCriteria):
    """Lets the consumer of a stream end generation (a stop sequence was seen)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool)


class TransformersGenerator:
    """A ``Generator`` on ``transformers``: a bundled model name, a ``.gguf`` file or a HF model folder.

    ``n_threads`` sets torch's (process-wide) intra-op threads while this backend loads or
    generates, restoring them after; ``None`` keeps torch's choice. ``tokenizer_only=True``
    loads just the tokenizer (for counting tokens elsewhere).
    Generations on one instance run one at a time: seeding uses torch's global generator inside
    ``torch.random.fork_rng``, so a fixed seed reproduces and the caller's RNG state is untouched.
    """

    def __init__(
        self,
        model: str,
        *,
        context_window: int | None = None,
        n_threads: int | None = None,
        cache_converted: bool = True,
        tokenizer_only: bool = False,
    ) -> None:
        if context_window is not None and context_window < 16:
            raise ConfigError(f"context_window must be >= 16 (got {context_window})")
        self.model_ref = model
        self.name = f"transformers:{model}"
        self._requested_window = context_window
        self.n_threads = n_threads
        self.cache_converted = cache_converted
        self.tokenizer_only = tokenizer_only
        self._tokenizer: Any = None
        self._model: Any = None
        self._window: int | None = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()

    # -- loading ----------------------------------------------------------------------------

    def warm_up(self) -> None:
        with self._load_lock:
            if self._tokenizer is not None:
                return
            path = resolve_model(self.model_ref)
            folder, gguf_file = (path.parent, path.name) if path.is_file() else (path, None)
            converted = self._converted_dir(path) if gguf_file else None
            if converted is not None and (converted / "config.json").is_file():
                folder, gguf_file = converted, None
            source: dict[str, Any] = {"local_files_only": True}
            if gguf_file:
                _require_gguf_support()
                source["gguf_file"] = gguf_file
            tokenizer = AutoTokenizer.from_pretrained(folder, **source)
            if not self.tokenizer_only:
                with self._threads():
                    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **source)
                model.eval()
                if gguf_file and converted is not None:
                    self._save_converted(model, tokenizer, converted)
                self._model = model
                trained = getattr(model.config, "max_position_embeddings", None)
            else:
                trained = None
            name = bundled_name(self.model_ref)
            trained = trained or (BUNDLED_MODELS[name].context_window if name else 4096)
            self._window = min(self._requested_window or trained, trained)
            self._tokenizer = tokenizer

    def _converted_dir(self, gguf: Path) -> Path | None:
        if not self.cache_converted:
            return None
        name = bundled_name(self.model_ref)
        if name:  # bundled files are checksummed: the checksum is the key
            key = f"{name}-{BUNDLED_MODELS[name].sha256[:12]}"
        else:
            stat = gguf.stat()
            key = (
                gguf.stem + "-" + hashlib.sha256(f"{gguf}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
            )
        return cache_dir() / "transformers" / key

    @staticmethod
    def _save_converted(model: Any, tokenizer: Any, target: Path) -> None:
        # The loaded weights are plain fp32 now; dropping the GGUF quantizer lets save_pretrained write them.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            model.save_pretrained(staging)
            tokenizer.save_pretrained(staging)
            os.replace(staging, target)  # atomic: a folder appears whole or not at all
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process won the race, or disk full: keep going
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    # -- contract ---------------------------------------------------------------------------

    @property
    def context_window(self) -> int:
        self.warm_up()
        assert self._window is not None
        return self._window

    @property
    def hf_model(self) -> Any:
        """The loaded ``transformers`` model (loaded on first use), for analysis such as ``rag.explain``."""
        self.warm_up()
        if self._model is None:
            raise ConfigError("this TransformersGenerator was built with tokenizer_only=True")
        return self._model

    @property
    def hf_tokenizer(self) -> Any:
        """The loaded ``transformers`` tokenizer (loaded on first use)."""
        self.warm_up()
        return self._tokenizer

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt text exactly as the model's chat template renders it."""
        self.warm_up()
        return self._tokenizer.apply_chat_template(check_messages(messages), tokenize=False, add_generation_prompt=True)

    def prompt_ids(self, messages: Sequence[Message]) -> list[int]:
        # The template already holds any special tokens the model wants; add none twice.
        return list(self._tokenizer(self.render(messages), add_special_tokens=False)["input_ids"])

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.prompt_ids(messages))

    def generate(self, messages: Sequence[Message], sampling: SamplingParams) -> Generation:
        return final_generation(self.stream(messages, sampling))

    def stream(self, messages: Sequence[Message], sampling: SamplingParams) -> Iterator[str | Generation]:
        if self.tokenizer_only:
            raise ConfigError("this TransformersGenerator was built with tokenizer_only=True")
        timer = Timer()
        ids = self.prompt_ids(messages)
        check_fits(len(ids), sampling.max_new_tokens, self.context_window)
        stop_event = threading.Event()
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        outcome: dict[str, Any] = {}
        kwargs = self._generate_kwargs(ids, sampling, streamer, stop_event)

        def run() -> None:
            try:
                with self._threads(), torch.random.fork_rng(devices=[]), torch.inference_mode():
                    if sampling.seed is not None:
                        torch.manual_seed(sampling.seed)
                    outcome["sequences"] = self._model.generate(**kwargs)
            except BaseException as error:  # re-raised in the consumer's thread
                outcome["error"] = error
                streamer.end()

        scanner = StopScanner(sampling.stop)
        with self._run_lock:
            worker = threading.Thread(target=run, name="ragloom-transformers-generate", daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    if piece:
                        timer.mark_first()
                    if out := scanner.feed(piece):
                        yield out
                    if scanner.stopped:
                        stop_event.set()
            finally:
                stop_event.set()  # also when the consumer abandons the stream
                worker.join()
        if "error" in outcome:
            raise outcome["error"]
        if tail := scanner.flush():
            yield tail
        new_tokens = outcome["sequences"][0][len(ids) :].tolist()
        ended = bool(new_tokens) and new_tokens[-1] in self._eos_ids()
        hit_length = len(new_tokens) >= sampling.max_new_tokens and not ended and not scanner.stopped
        yield timer.result(scanner.text, len(ids), len(new_tokens), "length" if hit_length else "stop")

    # -- helpers ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _threads(self) -> Iterator[None]:
        # torch's thread count is process-wide: set it only while this backend computes.
        if not self.n_threads:
            yield
            return
        before = torch.get_num_threads()
        torch.set_num_threads(self.n_threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _eos_ids(self) -> set[int]:
        eos = self._model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self._tokenizer.eos_token_id is not None:
            ids.add(self._tokenizer.eos_token_id)
        return ids

    def _generate_kwargs(
        self, ids: list[int], sampling: SamplingParams, streamer: Any, stop_event: threading.Event
    ) -> dict[str, Any]:
        input_ids = torch.tensor([ids], dtype=torch.long)
        kwargs: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": torch.ones_like(input_ids),
            "max_new_tokens": sampling.max_new_tokens,
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([_StopFlag(stop_event)]),
            "eos_token_id": sorted(self._eos_ids()),
            "pad_token_id": self._tokenizer.pad_token_id or sorted(self._eos_ids())[0],
            "repetition_penalty": sampling.repetition_penalty,
            # Explicit values override a model's generation_config.json defaults (Qwen ships top_k=20 etc.).
            "min_p": None,
            "typical_p": 1.0,
        }
        if sampling.greedy:
            kwargs.update(do_sample=False, temperature=None, top_k=None, top_p=None)
        else:
            kwargs.update(do_sample=True, temperature=sampling.temperature, top_k=sampling.top_k, top_p=sampling.top_p)
        return kwargs
