"""``tune_embedder``: mine hard negatives, train, write the folder (see ``rag.tuning``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.bundled_embedder import bundled_model_path, folder_embedder_name
from rag.config import DEFAULT_EMBEDDER
from rag.core.errors import ConfigError
from rag.embeddings import create_embedder
from rag.tuning.mining import corpus_search, index_search, mine_negatives
from rag.tuning.output import check_output, write_tuned
from rag.tuning.pairs import TrainingData
from rag.tuning.trainer import TuneSettings, train

if TYPE_CHECKING:
    from rag.api import RAG


def tune_embedder(data: TrainingData, out: str | Path, *, base: str | Path | None = None,
                  settings: TuneSettings | None = None, index: RAG | None = None, force: bool = False,
                  progress: bool = False, log: Callable[[str], None] | None = None,
                  onnx: bool = True) -> dict[str, Any]:
    """Fine-tune ``base`` (default: the bundled MiniLM) on ``data`` and write it to ``out``.

    Hard negatives are mined with the base model from ``index`` when given (its chunks, its own
    vectors), else from the data's corpus (a BEIR corpus) or, for bare pairs, from the pairs' own
    passages. Returns what was recorded in the folder's ``ragloom-tune.json``.
    """
    settings = settings or TuneSettings()
    say = log or (lambda _: None)
    base_folder = bundled_model_path() if base in (None, DEFAULT_EMBEDDER) else Path(str(base)).expanduser()
    if not (base_folder / "config.json").is_file():
        raise ConfigError(f"base model {base} is not a sentence-transformers folder")
    out = Path(out)
    check_output(out, base_folder, force)  # before minutes of work, not after
    settings.check()
    if len(data.pairs) < settings.min_pairs:
        raise ConfigError(f"only {len(data.pairs)} training pairs in {data.source or 'the input'}; "
                          f"fine-tuning needs at least {settings.min_pairs}")
    started = time.perf_counter()
    if index is not None:
        say(f"mining hard negatives from the index {index.path} (embedder {index.embedder.name})")
        search = index_search(index.search_many)
    else:
        texts = data.corpus if data.corpus is not None else \
            [t for p in data.pairs for t in (p.positive, p.negative) if t]
        say(f"mining hard negatives from {len(set(texts)):,} passages with the base model")
        base_embedder = create_embedder(DEFAULT_EMBEDDER if base in (None, DEFAULT_EMBEDDER) else base_folder)
        search = corpus_search(base_embedder, texts, progress=progress)
    candidates = mine_negatives(data.pairs, search, positive_ids=data.positive_ids).with_marked(data.negatives)
    mined = time.perf_counter() - started
    result = train(base_folder, data.pairs, candidates, settings, progress_bar=progress, log=say)
    if result.best_step == 0:
        say("validation never improved on the base model: the folder holds the base weights")
    info = {"base": DEFAULT_EMBEDDER if base in (None, DEFAULT_EMBEDDER) else folder_embedder_name(base_folder),
            "source": data.source, "settings": asdict(settings), "mining_seconds": round(mined, 1),
            **result.summary()}
    say("writing the model" + (" and its ONNX int8 file" if onnx else ""))
    return write_tuned(result.model, out, base_folder, info, force=force, onnx=onnx)
