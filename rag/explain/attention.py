"""Attention: which source tokens the answer tokens attended to, in a local transformers model.

The finished answer is re-read once — prompt plus answer, one forward pass, no generation — by a
``transformers`` model with eager attention (the implementation that materialises the attention
weights, i.e. what ``output_attentions=True`` returns). A forward hook on every attention module
takes each layer's weights as they are produced and keeps only what the view needs: the rows of
the answer tokens, averaged over those tokens, at the columns of source tokens. So memory stays at
one layer's map (``output_attentions=True`` would hold all of them: 1.3 GB for 24 layers x 14
heads x 1,000 tokens).

Aggregation (the default view): the last third of the layers, every head, averaged. Early layers
attend mostly by position and to the first tokens (attention sinks); the later layers are where
heads that copy from the context work, and averaging heads keeps one idiosyncratic head from
deciding the picture. A source's weight is the total attention its tokens got (so a source the
answer copies from outweighs a long one it skimmed), as a share of what all sources got; the
per-head view shows any single head of any layer.

By default the re-run holds the system prompt, the user turn with the sources and question, and the
answer: the few-shot example turns and earlier conversation are left out (about 60% of a default
prompt's tokens, the same for every question, and not what the view shows), which makes the pass
2-3x faster. ``full_prompt=True`` re-reads the whole prompt. The model defaults to the bundled
Qwen2.5-Coder-0.5B (the same family as the default answering model); whichever model answered,
the explanation says which one attended.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from rag.core.answer import Answer
from rag.core.errors import RagloomError
from rag.explain.blocks import source_blocks, source_message, tokens_in_blocks
from rag.explain.types import (
    ATTENTION,
    AttentionHeads,
    Explanation,
    NothingToExplainError,
    SourceExplanation,
    explain_sources,
)

DEFAULT_EXPLAIN_MODEL = "qwen2.5-coder-0.5b"
MAX_TOKENS = 4096  # eager attention holds heads x n^2 floats per layer: 0.9 GB at 4,096 tokens for 14 heads

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load(model: str) -> tuple[Any, Any, threading.Lock]:
    """Our own instance of ``model`` with eager attention, loaded once per process."""
    from rag.generation.transformers_backend import TransformersGenerator

    with _models_lock:
        if model not in _models:
            generator = TransformersGenerator(model)
            hf_model = generator.hf_model
            hf_model.set_attn_implementation("eager")  # this instance is ours alone: the answering one is untouched
            _models[model] = (hf_model, generator.hf_tokenizer, threading.Lock())
        return _models[model]


@contextlib.contextmanager
def _threads(n_threads: int | None) -> Iterator[None]:
    import torch

    if not n_threads:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class AttentionExplainer:
    """Explains answers by the attention of ``model`` (a bundled name, ``.gguf`` file or HF folder).

    ``layers``: how many of the last layers the default view averages (``None``: the last third).
    """

    def __init__(self, model: str = DEFAULT_EXPLAIN_MODEL, *, layers: int | None = None,
                 n_threads: int | None = None, full_prompt: bool = False, max_tokens: int = MAX_TOKENS) -> None:
        if layers is not None and layers < 1:
            raise RagloomError(f"layers must be at least 1 (got {layers})")
        self.model = model
        self.layers = layers
        self.n_threads = n_threads
        self.full_prompt = full_prompt
        self.max_tokens = max_tokens

    def warm_up(self) -> None:
        _load(self.model)

    def explain(self, answer: Answer) -> Explanation:
        started = time.perf_counter()
        message = source_message(answer)
        blocks = source_blocks(message["content"], len(answer.sources))
        if not answer.text.strip():
            raise NothingToExplainError("nothing to explain: the answer is empty")
        hf_model, tokenizer, lock = _load(self.model)
        messages = list(answer.messages)
        if not self.full_prompt:
            messages = [m for m in messages[:1] if m["role"] == "system"] + [message]
        prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        shift = prompt.rfind(message["content"])
        if shift < 0:
            raise RagloomError(f"the chat template of {self.model} changes the source text; cannot map tokens")
        encoded = tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
        prompt_ids = list(encoded["input_ids"])
        answer_ids = list(tokenizer(answer.text, add_special_tokens=False)["input_ids"])
        total = len(prompt_ids) + len(answer_ids)
        if total > self.max_tokens:
            raise RagloomError(f"prompt and answer are {total} tokens; attention is explained up to {self.max_tokens}")
        positions, owners, spans = tokens_in_blocks(encoded["offset_mapping"], blocks, shift)
        with lock, _threads(self.n_threads):
            mass, share_by_layer = self._attention(hf_model, prompt_ids + answer_ids, len(prompt_ids), positions)
        count = mass.shape[0]
        chosen = list(range(count - (self.layers or max(1, round(count / 3))), count))
        chosen = [layer for layer in chosen if layer >= 0]
        heads = AttentionHeads(mass, np.asarray(owners, dtype=np.int64), tuple(spans))
        base = [SourceExplanation(b.number, 0.0, b.text) for b in blocks]
        sources = explain_sources(base, mass[chosen].mean(axis=(0, 1)), heads.token_source, spans)
        share = float(np.mean(share_by_layer[chosen]))
        notes = [f"re-read {total} tokens ({len(prompt_ids)} prompt, {len(answer_ids)} answer) in one forward pass"]
        if not self.full_prompt and len(messages) < len(answer.messages):
            notes.append("few-shot examples and earlier turns were left out of the re-read (system prompt, the "
                         "turn with the sources and question, and the answer were kept)")
        label = (f"attention of {self.model}: answer tokens to source tokens, last {len(chosen)} of {count} layers, "
                 f"{mass.shape[1]} heads averaged; {share:.0%} of the answer's attention went to source text")
        return Explanation(ATTENTION, label, sources, model=self.model, layers=tuple(chosen), source_share=share,
                           notes=tuple(notes), seconds=time.perf_counter() - started, tokens=total,
                           heads=heads)

    @staticmethod
    def _attention(hf_model: Any, ids: list[int], prompt_length: int,
                   positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """[layers, heads, source tokens] attention mass from the answer, and per layer the share (heads averaged)
        of the answer's attention that went to source tokens."""
        import torch

        modules = [module for name, module in hf_model.named_modules() if name.endswith("self_attn")]
        if not modules:
            raise RagloomError(f"{type(hf_model).__name__} has no self_attn modules to read attention from")
        columns = torch.tensor(positions, dtype=torch.long)
        captured: dict[int, np.ndarray] = {}

        def keep(index: int) -> Any:
            def hook(module: Any, args: Any, output: Any) -> None:
                weights = output[1] if isinstance(output, tuple) and len(output) > 1 else None
                if weights is None:
                    raise RagloomError("the attention module returned no weights (eager attention is required)")
                from_answer = weights[0, :, prompt_length:, :].float().mean(dim=1)  # heads x all tokens
                captured[index] = from_answer.index_select(-1, columns).numpy()
            return hook

        handles = [module.register_forward_hook(keep(i)) for i, module in enumerate(modules)]
        try:
            with torch.inference_mode():
                hf_model(input_ids=torch.tensor([ids], dtype=torch.long))
        finally:
            for handle in handles:
                handle.remove()
        mass = np.stack([captured[i] for i in range(len(modules))]).astype(np.float32)
        return mass, mass.sum(axis=-1).mean(axis=-1)
