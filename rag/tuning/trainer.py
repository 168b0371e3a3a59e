"""The training loop: MultipleNegativesRankingLoss with mined hard negatives, validation, early stopping.

A plain loop over sentence-transformers' model and loss (no ``datasets``/``accelerate`` trainer):
on two CPU cores every step counts, and the loop needs to stop on a validation score or a time
budget and keep the best weights, which is a dozen lines here.

Validation holds out whole queries (``validation_fraction``); each held-out query ranks a small
pool (every held-out positive plus the mined candidates of every held-out query, i.e. the passages
the base model found hardest) and nDCG@10 over that pool is the score. Re-embedding a whole
corpus at every check would cost minutes on CPU; the pool costs seconds and moves with it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.core.errors import ConfigError
from rag.evaluation.retrieval import ndcg_at, recall_at
from rag.tuning.mining import Candidates
from rag.tuning.pairs import TrainingPair

MIN_PAIRS = 20  # fewer cannot give a training batch and a validation query worth the name
VALIDATION_POOL_PER_QUERY = 5  # mined candidates per held-out query in the pool (each check embeds the pool)
MAX_VALIDATION_QUERIES = 100
MARKED_NEGATIVE_SHARE = 0.5  # how often a query with user-marked negatives trains on one instead of a mined one


@dataclass(frozen=True)
class TuneSettings:
    epochs: int = 2
    batch_size: int = 32
    max_seq_length: int = 128  # passage tokens in training (the saved model reads 256): half the cost of 256
    learning_rate: float = 5e-5
    warmup: float = 0.1  # share of the steps with a rising learning rate
    validation_fraction: float = 0.1
    evaluations_per_epoch: int = 2
    patience: int = 2  # checks without improvement before stopping
    hard_negatives: bool = True
    seed: int = 13
    max_minutes: float | None = None  # stop (keeping the best weights) once training took this long
    min_pairs: int = MIN_PAIRS

    def check(self) -> None:
        for name in ("epochs", "batch_size", "max_seq_length", "evaluations_per_epoch", "patience"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.replace('_', ' ')} must be at least 1")
        if not 0 < self.validation_fraction < 0.5:
            raise ConfigError("the validation fraction must be between 0 and 0.5")
        if self.learning_rate <= 0:
            raise ConfigError("the learning rate must be positive")


@dataclass
class TuneResult:
    model: Any  # the SentenceTransformer, with the best weights loaded
    pairs: int
    train_pairs: int
    validation_queries: int
    steps: int = 0
    best_step: int = 0
    stopped: str = "finished"  # finished | early (validation stopped improving) | time budget
    base_validation: dict[str, float] = field(default_factory=dict)
    best_validation: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "train_pairs": self.train_pairs, "validation_queries": self.validation_queries,
                "steps": self.steps, "best_step": self.best_step, "stopped": self.stopped,
                "base_validation": self.base_validation, "best_validation": self.best_validation,
                "history": self.history, "train_seconds": round(self.seconds, 1)}


def split_validation(pairs: Sequence[TrainingPair], fraction: float, seed: int
                     ) -> tuple[list[TrainingPair], list[TrainingPair]]:
    """Hold out whole queries: ``(train, validation)``; at least one query on each side, at most 100 held out."""
    keys = sorted({p.key for p in pairs})
    random.Random(seed).shuffle(keys)
    held = set(keys[:max(1, min(len(keys) - 1, MAX_VALIDATION_QUERIES, round(len(keys) * fraction)))])
    return [p for p in pairs if p.key not in held], [p for p in pairs if p.key in held]


def make_batches(pairs: Sequence[TrainingPair], size: int, rng: random.Random) -> list[list[TrainingPair]]:
    """Shuffled batches in which no query and no positive passage occurs twice."""
    pending = list(pairs)
    rng.shuffle(pending)
    batches = []
    while pending:
        batch: list[TrainingPair] = []
        keys: set[str] = set()
        texts: set[str] = set()
        rest = []
        for pair in pending:
            if len(batch) < size and pair.key not in keys and pair.positive not in texts:
                batch.append(pair)
                keys.add(pair.key)
                texts.add(pair.positive)
            else:
                rest.append(pair)
        batches.append(batch)
        pending = rest
    return batches


class Validator:
    """nDCG@10 / Recall@10 of held-out queries over their pool (see the module docstring)."""

    def __init__(self, validation: Sequence[TrainingPair], candidates: Candidates) -> None:
        queries: dict[str, str] = {}
        relevant: dict[str, set[str]] = {}
        pool: dict[str, None] = {}
        for pair in validation:
            queries.setdefault(pair.key, pair.query)
            relevant.setdefault(pair.key, set()).add(pair.positive)
            pool[pair.positive] = None
        for key in queries:  # what the user marked not relevant belongs in the pool: it must rank low
            for text in [*candidates.marked.get(key, []), *candidates.by_key.get(key, [])[:VALIDATION_POOL_PER_QUERY]]:
                pool[text] = None
        self.keys = list(queries)
        self.queries = [queries[k] for k in self.keys]
        self.relevant = relevant
        self.pool = list(pool)

    def score(self, model: Any) -> dict[str, float]:
        model.eval()
        try:
            passages = model.encode(self.pool, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
            queries = model.encode(self.queries, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        finally:
            model.train()
        scores = queries @ passages.T
        ndcg, recall = [], []
        for row, key in zip(scores, self.keys, strict=True):
            ranking = [self.pool[i] for i in np.argsort(-row)[:10]]
            grades = {text: 1 for text in self.relevant[key]}
            ndcg.append(ndcg_at(ranking, grades, 10))
            recall.append(recall_at(ranking, grades, 10))
        return {"ndcg@10": float(np.mean(ndcg)), "recall@10": float(np.mean(recall))}


def load_base(folder: Path) -> Any:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    return model


Progress = Callable[[str], None]


def train(base: Path, pairs: Sequence[TrainingPair], candidates: Candidates, settings: TuneSettings | None = None,
          progress_bar: bool = False, log: Progress | None = None) -> TuneResult:
    """Fine-tune the model in ``base`` on ``pairs``; the best checkpoint by validation nDCG@10 wins.

    The base model's own validation score is the first checkpoint: if training never beats it, the
    result is the base weights (and ``best_step`` is 0), never a worse model.
    """
    import torch
    try:  # sentence-transformers 6 moved the losses; 3 to 5 keep them here
        from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    except ImportError:  # pragma: no cover - older sentence-transformers
        from sentence_transformers.losses import MultipleNegativesRankingLoss
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    settings = settings or TuneSettings()
    settings.check()
    if len(pairs) < settings.min_pairs:
        raise ConfigError(f"only {len(pairs)} training pairs; fine-tuning needs at least {settings.min_pairs}")
    if len({p.key for p in pairs}) < 2:
        raise ConfigError("all training pairs share one query; at least two queries are needed")
    say = log or (lambda _: None)
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    train_pairs, validation = split_validation(pairs, settings.validation_fraction, settings.seed)
    model = load_base(base)
    inference_length = int(model.max_seq_length)
    model.max_seq_length = min(settings.max_seq_length, inference_length)  # shorter in training: faster steps
    loss = MultipleNegativesRankingLoss(model)
    prepare = getattr(model, "preprocess", None) or model.tokenize  # tokenize before sentence-transformers 6
    validator = Validator(validation, candidates)
    result = TuneResult(model, len(pairs), len(train_pairs), len(validator.keys))
    started = time.perf_counter()
    result.base_validation = validator.score(model)
    say(f"validation ({len(validator.keys)} queries, pool of {len(validator.pool)} passages): "
        f"base nDCG@10 {result.base_validation['ndcg@10']:.4f}")
    best = result.base_validation["ndcg@10"]
    result.best_validation = dict(result.base_validation)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    epochs = [make_batches(train_pairs, settings.batch_size, rng) for _ in range(settings.epochs)]
    total = sum(len(batches) for batches in epochs)
    check_every = max(1, math.ceil(len(epochs[0]) / settings.evaluations_per_epoch))
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(total * settings.warmup), total)
    spare = [p.positive for p in train_pairs]  # random negatives for a query that has no mined one
    misses = 0
    model.train()
    bar = tqdm(total=total, desc="fine-tuning", unit="step", disable=not progress_bar, dynamic_ncols=True)
    try:
        for batches in epochs:
            for batch in batches:
                columns = [[p.query for p in batch], [p.positive for p in batch]]
                if settings.hard_negatives:
                    columns.append([_negative(p, candidates, spare, rng) for p in batch])
                features = [prepare(texts) for texts in columns]
                value = loss(features, None)
                value.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                result.steps += 1
                bar.update(1)
                bar.set_postfix(loss=f"{value.item():.3f}", best=f"{best:.4f}")
                out_of_time = settings.max_minutes is not None and \
                    time.perf_counter() - started > settings.max_minutes * 60
                if result.steps % check_every and result.steps != total and not out_of_time:
                    continue
                scores = validator.score(model)
                result.history.append({"step": result.steps, **scores})
                say(f"step {result.steps}/{total}: validation nDCG@10 {scores['ndcg@10']:.4f} (best {best:.4f})")
                if scores["ndcg@10"] > best + 1e-4:
                    best, misses = scores["ndcg@10"], 0
                    result.best_step, result.best_validation = result.steps, scores
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    misses += 1
                if out_of_time:
                    result.stopped = "time budget"
                    raise _Stop
                if misses >= settings.patience:
                    result.stopped = "early"
                    raise _Stop
    except _Stop:
        pass
    finally:
        bar.close()
    model.load_state_dict(best_state)
    model.max_seq_length = inference_length  # the saved model reads as far as the base did
    model.eval()
    result.seconds = time.perf_counter() - started
    return result


class _Stop(Exception):
    """Leaves both loops at once."""


def _negative(pair: TrainingPair, candidates: Candidates, spare: list[str], rng: random.Random) -> str:
    if pair.negative:
        return pair.negative
    mined, marked = candidates.of(pair), candidates.marked_of(pair)
    if marked and (not mined or rng.random() < MARKED_NEGATIVE_SHARE):
        return rng.choice(marked)
    if mined:
        return rng.choice(mined)
    while True:  # a random passage of another query
        text = rng.choice(spare)
        if text != pair.positive or len(set(spare)) == 1:
            return text
